/**
 * A software WebAuthn authenticator for tests: one ES256 (P-256) credential held in memory.
 * It answers registration (attestation "none") and assertion ceremonies the way a platform
 * authenticator and browser do together (authenticator data, clientDataJSON, DER signature),
 * so the coordinator's @simplewebauthn/server checks and Conclave's own passkey-statement
 * verifier run on real bytes, not on mocks. Flags can be cleared to build refused assertions.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { base64urlnopad } from '@scure/base';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { passkeyChallenge, type PasskeyStatement } from '../../protocol/webauthn/passkey-statement';

export const TEST_RP_ID = 'localhost';
export const TEST_ORIGIN = 'http://localhost';

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface CeremonyOptions {
  rpId?: string;
  origin?: string;
  /** Authenticator data flags; UP|UV by default. */
  flags?: number;
  /** clientDataJSON.type; "webauthn.get" for assertions by default. */
  clientDataType?: string;
}

export interface RegistrationResponseJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, never>;
}

export interface AuthenticationResponseJson {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  clientExtensionResults: Record<string, never>;
}

const b64u = (bytes: Uint8Array): string => base64urlnopad.encode(bytes);

export class SoftwarePasskey {
  readonly credentialId: string;
  private readonly rawId: Uint8Array;
  private readonly secretKey: Uint8Array;

  constructor(seed?: Uint8Array) {
    this.secretKey = seed ?? p256.utils.randomSecretKey();
    this.rawId = randomBytes(16);
    this.credentialId = b64u(this.rawId);
  }

  /** The COSE key (EC2, ES256, P-256) as CBOR: what a member set pins as `publicKey`. */
  get cosePublicKey(): Uint8Array<ArrayBuffer> {
    const point = p256.getPublicKey(this.secretKey, false);
    return isoCBOR.encode(new Map<number, number | Uint8Array>([
      [1, 2], [3, -7], [-1, 1], [-2, point.slice(1, 33)], [-3, point.slice(33, 65)],
    ]));
  }

  /** `{ credentialId, publicKey }` as protocol/policy-engine/members.ts pins a passkey. */
  get pinned(): { credentialId: string; publicKey: string } {
    return { credentialId: this.credentialId, publicKey: b64u(this.cosePublicKey) };
  }

  private clientData(type: string, challenge: string, origin: string): Uint8Array {
    return utf8ToBytes(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  private authenticatorData(rpId: string, flags: number, attested?: Uint8Array): Uint8Array {
    const counter = new Uint8Array(4); // 0: a passkey that keeps no counter, as synced passkeys do
    return concatBytes(sha256(utf8ToBytes(rpId)), Uint8Array.of(flags), counter, ...(attested ? [attested] : []));
  }

  /** navigator.credentials.create() for `challenge` (base64url), serialized as browsers do. */
  register(challenge: string, options: CeremonyOptions = {}): RegistrationResponseJson {
    const idLength = Uint8Array.of(this.rawId.length >> 8, this.rawId.length & 0xff);
    const attested = concatBytes(new Uint8Array(16), idLength, this.rawId, this.cosePublicKey);
    const authData = this.authenticatorData(options.rpId ?? TEST_RP_ID, (options.flags ?? FLAG_UP | FLAG_UV) | FLAG_AT, attested);
    const attestationObject = isoCBOR.encode(new Map<string, Uint8Array | string | Map<string, string>>([
      ['fmt', 'none'], ['attStmt', new Map<string, string>()], ['authData', authData],
    ]));
    const clientData = this.clientData(options.clientDataType ?? 'webauthn.create', challenge, options.origin ?? TEST_ORIGIN);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: { clientDataJSON: b64u(clientData), attestationObject: b64u(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get() for `challenge` (base64url), serialized as browsers do. */
  assert(challenge: string, options: CeremonyOptions = {}): AuthenticationResponseJson {
    const authData = this.authenticatorData(options.rpId ?? TEST_RP_ID, options.flags ?? FLAG_UP | FLAG_UV);
    const clientData = this.clientData(options.clientDataType ?? 'webauthn.get', challenge, options.origin ?? TEST_ORIGIN);
    const signature = p256.sign(concatBytes(authData, sha256(clientData)), this.secretKey, { format: 'der', prehash: true });
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: { clientDataJSON: b64u(clientData), authenticatorData: b64u(authData), signature: b64u(signature) },
      clientExtensionResults: {},
    };
  }

  /** A statement `{ type, body }` signed with this passkey on behalf of member `signer`. */
  statement(type: string, body: unknown, signer: string, created: Date = new Date(), options: CeremonyOptions = {}): PasskeyStatement {
    const createdIso = created.toISOString();
    const challenge = b64u(passkeyChallenge({ type, body, created: createdIso, signer }));
    const { response } = this.assert(challenge, options);
    return {
      format: 'webauthn',
      type,
      body,
      created: createdIso,
      signer,
      credentialId: this.credentialId,
      authenticatorData: response.authenticatorData,
      clientDataJSON: response.clientDataJSON,
      signature: response.signature,
    };
  }
}
