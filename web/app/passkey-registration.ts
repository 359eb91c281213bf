/**
 * Creating a passkey in this browser (navigator.credentials.create) from the coordinator's
 * registration options, for the enrolment page. The coordinator checks the attestation and
 * answers the verified `{ credentialId, publicKey }`; registering pins nothing.
 */
import { api } from './api';
import { decode, encode } from './base64url';
import { PasskeyError } from './passkey';

/** The WebAuthn creation options as @simplewebauthn/server writes them (JSON, base64url bytes). */
interface CreationOptionsJSON {
  challenge: string;
  rp: { name: string; id?: string };
  user: { id: string; name: string; displayName: string };
  pubKeyCredParams: PublicKeyCredentialParameters[];
  timeout?: number;
  excludeCredentials?: Array<{ id: string; type: 'public-key'; transports?: AuthenticatorTransport[] }>;
  authenticatorSelection?: AuthenticatorSelectionCriteria;
  attestation?: AttestationConveyancePreference;
}

export interface RegisteredPasskey { credentialId: string; publicKey: string }

async function create(publicKey: PublicKeyCredentialCreationOptions): Promise<PublicKeyCredential & { response: AuthenticatorAttestationResponse }> {
  if (!window.PublicKeyCredential || !navigator.credentials) throw new PasskeyError('PASSKEY_UNSUPPORTED', 'This browser has no passkey support (WebAuthn).');
  let credential: Credential | null;
  try {
    credential = await navigator.credentials.create({ publicKey });
  } catch (error) {
    const name = error instanceof DOMException ? error.name : '';
    if (name === 'NotAllowedError') throw new PasskeyError('PASSKEY_CANCELLED', 'The passkey prompt was cancelled or timed out; no passkey was made. Try again.');
    if (name === 'InvalidStateError') throw new PasskeyError('PASSKEY_EXISTS', 'This authenticator already holds one of your passkeys for Conclave.');
    throw new PasskeyError('PASSKEY_FAILED', `No passkey could be made: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!(credential instanceof PublicKeyCredential)) throw new PasskeyError('PASSKEY_FAILED', 'The browser returned no new passkey.');
  return credential as PublicKeyCredential & { response: AuthenticatorAttestationResponse };
}

/** Runs the whole ceremony with the enrolment link's secret; answers the verified passkey. */
export async function registerPasskey(bearer: string): Promise<RegisteredPasskey> {
  const options = await api<CreationOptionsJSON>('POST', '/api/v1/auth/passkeys/registration/options', undefined, bearer);
  const credential = await create({
    challenge: decode(options.challenge),
    rp: options.rp,
    user: { ...options.user, id: decode(options.user.id) },
    pubKeyCredParams: options.pubKeyCredParams,
    timeout: options.timeout ?? 120_000,
    excludeCredentials: (options.excludeCredentials ?? []).map((c) => ({ type: 'public-key' as const, id: decode(c.id), ...(c.transports ? { transports: c.transports } : {}) })),
    ...(options.authenticatorSelection ? { authenticatorSelection: options.authenticatorSelection } : {}),
    attestation: options.attestation ?? 'none',
  });
  const { response } = credential;
  const transports = typeof response.getTransports === 'function' ? response.getTransports() : [];
  const registered = await api<{ passkey: RegisteredPasskey }>('POST', '/api/v1/auth/passkeys/registration', {
    response: {
      id: credential.id, rawId: encode(credential.rawId), type: 'public-key',
      response: { clientDataJSON: encode(response.clientDataJSON), attestationObject: encode(response.attestationObject), ...(transports.length > 0 ? { transports } : {}) },
      clientExtensionResults: {},
    },
  }, bearer);
  return registered.passkey;
}
