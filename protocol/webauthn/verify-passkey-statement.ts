/**
 * Verifies a passkey-signed statement (passkey-statement.ts) against the passkeys pinned for
 * its signer in a member set: never against a key that arrives with the statement, so a
 * coordinator cannot swap in a passkey of its own. Pure and synchronous: the caller supplies
 * the pinned passkeys and checks the statement's time itself, as for envelopes.
 *
 * Only ES256 (ECDSA P-256 with SHA-256, COSE alg -7) is accepted: it is what every platform
 * authenticator offers, and one algorithm is one thing to get right. The COSE key is CBOR,
 * decoded with @simplewebauthn/server's helpers; the signature is checked with noble's p256.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { base64urlnopad } from '@scure/base';
import { cose, decodeCredentialPublicKey } from '@simplewebauthn/server/helpers';
import { ConclaveError } from '../errors';
import { passkeyChallenge, passkeyStatementSchema } from './passkey-statement';

export interface PinnedPasskey {
  credentialId: string;
  /** COSE public key, base64url. */
  publicKey: string;
}

export interface VerifiedPasskeyStatement<T = unknown> {
  signer: string;
  type: string;
  body: T;
  created: string;
  credentialId: string;
}

export interface PasskeyVerifyOptions {
  /** When given, the assertion must be for this relying party (SHA-256 of it leads the authenticator data). */
  rpId?: string;
  /** When given, clientDataJSON.origin must be one of these. */
  origins?: readonly string[];
}

/** Authenticator data flags (WebAuthn §6.1): user present, user verified. */
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
/** rpIdHash (32) + flags (1) + signCount (4). */
const MIN_AUTHENTICATOR_DATA = 37;
const COSE_KTY_EC2 = 2;
const COSE_ALG_ES256 = -7;
const COSE_CRV_P256 = 1;

function decodeBase64url(value: string, where: string): Uint8Array {
  try {
    return base64urlnopad.decode(value);
  } catch {
    throw new ConclaveError('PASSKEY_INVALID', `${where}: not base64url without padding`);
  }
}

/** The uncompressed P-256 point of a pinned COSE key; refuses every other algorithm. */
export function es256PublicKey(cosePublicKey: string): Uint8Array {
  const bytes = decodeBase64url(cosePublicKey, 'passkey.publicKey');
  let key: ReturnType<typeof decodeCredentialPublicKey>;
  try {
    key = decodeCredentialPublicKey(new Uint8Array(bytes));
  } catch {
    throw new ConclaveError('PASSKEY_INVALID', 'passkey.publicKey: not a CBOR-encoded COSE key');
  }
  if (!(key instanceof Map)) throw new ConclaveError('PASSKEY_INVALID', 'passkey.publicKey: not a COSE key map');
  const kty = key.get(cose.COSEKEYS.kty);
  const alg = key.get(cose.COSEKEYS.alg);
  if (alg !== COSE_ALG_ES256 || kty !== COSE_KTY_EC2) {
    throw new ConclaveError('PASSKEY_ALGORITHM_UNSUPPORTED', `passkey.publicKey: COSE alg ${String(alg)} / kty ${String(kty)} is not accepted; only ES256 (alg -7, EC2 P-256) is`);
  }
  const ec2 = key as cose.COSEPublicKeyEC2;
  const crv = ec2.get(cose.COSEKEYS.crv);
  const x = ec2.get(cose.COSEKEYS.x);
  const y = ec2.get(cose.COSEKEYS.y);
  if (crv !== COSE_CRV_P256) throw new ConclaveError('PASSKEY_ALGORITHM_UNSUPPORTED', `passkey.publicKey: curve ${String(crv)} is not P-256`);
  if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) {
    throw new ConclaveError('PASSKEY_INVALID', 'passkey.publicKey: x and y must be 32 bytes each');
  }
  const point = concatBytes(Uint8Array.of(0x04), x, y);
  try {
    p256.Point.fromBytes(point).assertValidity();
  } catch {
    throw new ConclaveError('PASSKEY_INVALID', 'passkey.publicKey: not a point on P-256');
  }
  return point;
}

function parseClientData(bytes: Uint8Array): { type: unknown; challenge: unknown; origin: unknown } {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as { type: unknown; challenge: unknown; origin: unknown };
  } catch {
    throw new ConclaveError('PASSKEY_INVALID', 'statement.clientDataJSON: not a JSON object in UTF-8');
  }
}

/**
 * Checks that `input` is a passkey statement of `expectedType`, made by one of the passkeys
 * `passkeysOf(signer)` returns, over exactly this statement (the challenge), with the user
 * present and verified. Returns what was stated; throws ConclaveError PASSKEY_* otherwise.
 */
export function verifyPasskeyStatement<T = unknown>(
  input: unknown,
  passkeysOf: (identityKey: string) => readonly PinnedPasskey[],
  expectedType: string,
  options: PasskeyVerifyOptions = {},
): VerifiedPasskeyStatement<T> {
  const parsed = passkeyStatementSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConclaveError('PASSKEY_INVALID', `statement.${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`);
  }
  const statement = parsed.data;
  if (statement.type !== expectedType) {
    throw new ConclaveError('ENVELOPE_WRONG_TYPE', `statement.type: expected "${expectedType}", got "${statement.type}"`);
  }
  const passkey = passkeysOf(statement.signer).find((p) => p.credentialId === statement.credentialId);
  if (passkey === undefined) {
    throw new ConclaveError('PASSKEY_NOT_PINNED', `statement.credentialId: ${statement.credentialId} is not a pinned passkey of ${statement.signer}`);
  }
  const publicKey = es256PublicKey(passkey.publicKey);

  const clientDataBytes = decodeBase64url(statement.clientDataJSON, 'statement.clientDataJSON');
  const clientData = parseClientData(clientDataBytes);
  if (clientData.type !== 'webauthn.get') {
    throw new ConclaveError('PASSKEY_CHALLENGE_MISMATCH', `statement.clientDataJSON.type: expected "webauthn.get", got ${JSON.stringify(clientData.type)}`);
  }
  const expectedChallenge = base64urlnopad.encode(passkeyChallenge(statement));
  if (clientData.challenge !== expectedChallenge) {
    throw new ConclaveError('PASSKEY_CHALLENGE_MISMATCH', 'statement.clientDataJSON.challenge: the assertion was made for another statement');
  }
  if (options.origins !== undefined && !options.origins.includes(String(clientData.origin))) {
    throw new ConclaveError('PASSKEY_CHALLENGE_MISMATCH', `statement.clientDataJSON.origin: ${JSON.stringify(clientData.origin)} is not an accepted origin`);
  }

  const authenticatorData = decodeBase64url(statement.authenticatorData, 'statement.authenticatorData');
  if (authenticatorData.length < MIN_AUTHENTICATOR_DATA) {
    throw new ConclaveError('PASSKEY_INVALID', `statement.authenticatorData: ${authenticatorData.length} bytes, at least ${MIN_AUTHENTICATOR_DATA} expected`);
  }
  if (options.rpId !== undefined) {
    const expectedRpIdHash = sha256(new TextEncoder().encode(options.rpId));
    if (!authenticatorData.subarray(0, 32).every((b, i) => b === expectedRpIdHash[i])) {
      throw new ConclaveError('PASSKEY_CHALLENGE_MISMATCH', `statement.authenticatorData: made for another relying party than ${options.rpId}`);
    }
  }
  const flags = authenticatorData[32]!;
  if ((flags & FLAG_UP) === 0 || (flags & FLAG_UV) === 0) {
    throw new ConclaveError('PASSKEY_USER_NOT_VERIFIED', 'statement.authenticatorData: the authenticator did not verify the user (UP and UV flags must both be set)');
  }

  const signature = decodeBase64url(statement.signature, 'statement.signature');
  const signed = concatBytes(authenticatorData, sha256(clientDataBytes));
  let valid = false;
  try {
    // Authenticators do not normalize S, so high-S signatures are valid WebAuthn signatures.
    valid = p256.verify(signature, signed, publicKey, { format: 'der', lowS: false, prehash: true });
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new ConclaveError('PASSKEY_BAD_SIGNATURE', `statement.signature: does not verify under passkey ${statement.credentialId} of ${statement.signer}`);
  }
  return { signer: statement.signer, type: statement.type, body: statement.body as T, created: statement.created, credentialId: statement.credentialId };
}
