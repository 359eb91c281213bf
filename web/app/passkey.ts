/**
 * The WebAuthn ceremonies of the web app, with the browser's own API:
 *  - sign-in: the coordinator's single-use challenge, answered by any passkey of this relying
 *    party (discoverable), exchanged for a session;
 *  - statements: the member signs exactly `{ type, body, created, signer }` with a passkey
 *    pinned for them. The challenge is computed here with protocol/webauthn/passkey-statement.ts,
 *    the very code signers verify with, so the authenticator signs what signers will check.
 */
import type { PasskeyStatement } from '../../protocol/webauthn/passkey-statement';
import { passkeyChallenge } from '../../protocol/webauthn/passkey-statement';
import { api } from './api';
import { decode, encode } from './base64url';
import type { Session } from './session';

interface SignInOptions { challenge: string; rpId?: string; timeout?: number }

export class PasskeyError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

async function assertion(publicKey: PublicKeyCredentialRequestOptions): Promise<PublicKeyCredential & { response: AuthenticatorAssertionResponse }> {
  if (!window.PublicKeyCredential || !navigator.credentials) throw new PasskeyError('PASSKEY_UNSUPPORTED', 'This browser has no passkey support (WebAuthn).');
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.get({ publicKey });
  } catch (error) {
    const name = error instanceof DOMException ? error.name : '';
    if (name === 'NotAllowedError') throw new PasskeyError('PASSKEY_CANCELLED', 'The passkey prompt was cancelled or timed out; nothing was signed.');
    throw new PasskeyError('PASSKEY_FAILED', `The passkey could not be used: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!(credential instanceof PublicKeyCredential)) throw new PasskeyError('PASSKEY_FAILED', 'The browser returned no passkey assertion.');
  return credential as PublicKeyCredential & { response: AuthenticatorAssertionResponse };
}

export async function signInWithPasskey(): Promise<Session> {
  const options = await api<SignInOptions>('POST', '/api/v1/auth/passkey/options');
  const rpId = options.rpId ?? location.hostname;
  const credential = await assertion({ challenge: decode(options.challenge), rpId, userVerification: 'required', timeout: options.timeout ?? 120_000 });
  const { response } = credential;
  const session = await api<Omit<Session, 'rpId'>>('POST', '/api/v1/auth/passkey', {
    response: {
      id: credential.id, rawId: encode(credential.rawId), type: 'public-key',
      response: {
        clientDataJSON: encode(response.clientDataJSON), authenticatorData: encode(response.authenticatorData), signature: encode(response.signature),
        ...(response.userHandle && response.userHandle.byteLength > 0 ? { userHandle: encode(response.userHandle) } : {}),
      },
      clientExtensionResults: {},
    },
  });
  return { ...session, rpId };
}

/** Signs `{ type, body }` for `signer` with one of `credentialIds` (the passkeys pinned for them in the vault). */
export async function signStatement(session: Session, type: string, body: unknown, credentialIds: readonly string[]): Promise<PasskeyStatement> {
  if (credentialIds.length === 0) throw new PasskeyError('PASSKEY_NOT_PINNED', 'No passkey is pinned for you in this vault; a quorum-approved member change must add one first.');
  const signer = session.member.identityKey;
  const created = new Date().toISOString();
  const challenge = passkeyChallenge({ type, body, created, signer });
  const credential = await assertion({
    challenge: new Uint8Array(challenge), rpId: session.rpId, userVerification: 'required', timeout: 120_000,
    allowCredentials: credentialIds.map((id) => ({ type: 'public-key' as const, id: decode(id) })),
  });
  const { response } = credential;
  return {
    format: 'webauthn', type, body, created, signer, credentialId: credential.id,
    authenticatorData: encode(response.authenticatorData), clientDataJSON: encode(response.clientDataJSON), signature: encode(response.signature),
  };
}
