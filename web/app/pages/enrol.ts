/**
 * Registering a passkey through an enrolment link (`conclave-signer passkey link`): the link's
 * secret opens nothing but this registration, and ends with it. The page shows the verified
 * passkey as passkey.json and what the member does next: a passkey counts only once a
 * quorum-approved member change pins it, as every signer checks for itself.
 */
import { describeError, errorBox, h, replace } from '../dom';
import { download } from '../export';
import { registerPasskey } from '../passkey-registration';

const NEXT_COMMAND = 'conclave-signer governance propose <vaultId> --op member.replace-credentials --identity-key <your name> --add-passkey-file passkey.json --reason "new passkey"';

export function enrolPage(bearer: string | null): HTMLElement[] {
  const heading = h('h1', { tabindex: '-1' }, 'Register a passkey');
  if (bearer === null) {
    return [heading, h('div', { class: 'error', role: 'alert' },
      'This enrolment link has been used, or the page was reloaded. Run ', h('code', null, 'conclave-signer passkey link'), ' again for a new one.')];
  }
  const message = h('div', { id: 'enrol-message', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'create-passkey', class: 'primary' }, 'Create a passkey on this device');
  button.addEventListener('click', async () => {
    button.setAttribute('disabled', '');
    replace(message, h('p', null, 'Follow your browser\'s passkey prompt…'));
    try {
      const passkey = await registerPasskey(bearer);
      button.remove();
      replace(message, ...registered(passkey));
    } catch (error) {
      replace(message, errorBox(error));
      // A link that expired or was used up cannot be retried; anything else can.
      if (!['AUTH_REQUIRED', 'ACCESS_DENIED'].includes(describeError(error).code)) button.removeAttribute('disabled');
    }
  });
  return [heading,
    h('p', null, 'This link lets this browser register one passkey for you, for the next few minutes. Your passkey stays on this device (or your phone or security key); Conclave receives only its public key.'),
    h('p', null, 'It does not count yet: your vault\'s quorum pins it with a member change, so nobody can slip a passkey in for you.'),
    button, message];
}

function registered(passkey: { credentialId: string; publicKey: string }): HTMLElement[] {
  const json = `${JSON.stringify({ passkeys: [passkey] }, null, 2)}\n`;
  return [
    h('p', { class: 'ok', role: 'status' }, 'Passkey created and verified by the coordinator.'),
    h('h2', null, 'Your new passkey'),
    h('pre', { id: 'passkey-json', class: 'descriptor' }, json),
    h('button', { type: 'button', id: 'download-passkey', on: { click: () => download('passkey.json', 'application/json', json) } }, 'Download passkey.json'),
    h('h2', null, 'Next: have it pinned'),
    h('ol', null,
      h('li', null, 'Save passkey.json on the machine with your signer.'),
      h('li', null, 'Propose the change: ', h('code', null, NEXT_COMMAND)),
      h('li', null, 'Once the quorum has approved it and its delay has passed, sign in here with this passkey.')),
  ];
}
