/** Sign-in with a passkey pinned in a vault's member set: no password, no reset by a help desk. */
import { errorBox, h, replace } from '../dom';
import { signInWithPasskey } from '../passkey';
import { saveSession } from '../session';

export async function signInPage(onSignedIn: () => void): Promise<HTMLElement> {
  const message = h('div', { id: 'sign-in-message' });
  const button = h('button', { type: 'button', id: 'sign-in', class: 'primary' }, 'Sign in with a passkey');
  button.addEventListener('click', async () => {
    button.setAttribute('disabled', '');
    replace(message, h('p', null, 'Waiting for your passkey…'));
    try {
      saveSession(await signInWithPasskey());
      onSignedIn();
    } catch (error) {
      replace(message, errorBox(error));
    } finally {
      button.removeAttribute('disabled');
    }
  });
  return h('section', { class: 'sign-in' },
    h('h1', { tabindex: '-1' }, 'Sign in to Conclave'),
    h('p', null, 'Use the passkey pinned for you in your vault\'s member set. There is no password, and nobody can reset your access but the quorum your vault\'s policy names.'),
    button, message,
    h('p', { class: 'hint' }, 'No passkey here yet? Run ', h('code', null, 'conclave-signer passkey link'), ' where your signer is, open the link it prints in this browser, and have your vault\'s quorum pin the passkey.'));
}
