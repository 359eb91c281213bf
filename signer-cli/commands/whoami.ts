/** `whoami`: the public identity of this signer, for out-of-band comparison. Needs no passphrase. */
import type { KeyOrigin } from '../../protocol/api';
import { identityFingerprint } from '../../protocol/identity';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';

/** `[fingerprint/path]xpub`, the key expression a descriptor lists (BIP380). */
export function describeAccountKey(key: KeyOrigin): string {
  return `[${key.fingerprint}/${key.path}]${key.xpub}`;
}

export async function runWhoami(ctx: CliContext): Promise<CommandResult> {
  const pub = ctx.keystorePublic();
  const state = ctx.state.read();
  const fingerprint = identityFingerprint(pub.identityKey);
  return {
    data: {
      network: pub.network,
      identityKey: pub.identityKey,
      fingerprint,
      accountKey: pub.accountKey,
      coordinator: state.coordinator,
      memberId: state.memberId,
      home: ctx.home,
    },
    text: [
      `Identity fingerprint: ${fingerprint}`,
      `Identity key:         ${pub.identityKey}`,
      `Account key:          ${describeAccountKey(pub.accountKey)}`,
      `Network:              ${pub.network}`,
      `Coordinator:          ${state.coordinator ?? '(not joined)'}${state.memberId ? ` as member ${state.memberId}` : ''}`,
    ],
  };
}
