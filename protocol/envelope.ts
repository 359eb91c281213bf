/**
 * Signed envelopes: every state-changing statement a member makes is a BIP340 Schnorr
 * signature, by the member's identity key, over a tagged hash of the RFC 8785 canonical
 * form of the envelope (DESIGN.md, trust model). The tag names the message type, so a
 * signature made for one kind of message never verifies as another. Each envelope carries
 * a random nonce (replay protection is the verifier's record of used nonces) and a validity
 * window; clock and randomness are injected so the code stays pure.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { canonicalBytes } from './canonical-json';
import { ConclaveError } from './errors';
import { taggedHash } from './hashing';

export const ENVELOPE_VERSION = 1;
/** Longest validity window a verifier accepts, so a captured envelope cannot live long. */
export const MAX_ENVELOPE_TTL_SECONDS = 24 * 3600;
/** Clock skew tolerated between signer and verifier. */
export const CLOCK_SKEW_SECONDS = 300;

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes of lowercase hex`);
/**
 * UTC with exactly millisecond precision, as `Date.prototype.toISOString` writes it (what
 * signEnvelope produces): a fixed 24 characters, so no timestamp a verifier stores can be long.
 */
const timestamp = z.iso.datetime({ precision: 3 });

export const envelopeSchema = z.object({
  v: z.literal(ENVELOPE_VERSION),
  type: z.string().regex(/^[a-z][a-z0-9.-]{1,63}$/),
  body: z.unknown(),
  signer: hex(32),
  nonce: hex(16),
  created: timestamp,
  expires: timestamp,
  sig: hex(64),
}).strict();

export interface Envelope<T = unknown> {
  v: typeof ENVELOPE_VERSION;
  type: string;
  body: T;
  /** x-only BIP340 public key of the identity key that signed. */
  signer: string;
  nonce: string;
  created: string;
  expires: string;
  sig: string;
}

export interface SignOptions {
  now: Date;
  randomBytes: (length: number) => Uint8Array;
  ttlSeconds?: number;
}

export function envelopeTag(type: string): string {
  return `Conclave/envelope/${type}`;
}

export function envelopeDigest(envelope: Omit<Envelope, 'sig'>): Uint8Array {
  const { v, type, body, signer, nonce, created, expires } = envelope;
  return taggedHash(envelopeTag(type), canonicalBytes({ v, type, body, signer, nonce, created, expires }));
}

export function identityPublicKey(secretKey: Uint8Array): string {
  return bytesToHex(schnorr.getPublicKey(secretKey));
}

export function signEnvelope<T>(type: string, body: T, secretKey: Uint8Array, options: SignOptions): Envelope<T> {
  const ttl = options.ttlSeconds ?? 600;
  if (ttl <= 0 || ttl > MAX_ENVELOPE_TTL_SECONDS) {
    throw new ConclaveError('VALIDATION_FAILED', `ttlSeconds: must be within 1..${MAX_ENVELOPE_TTL_SECONDS}`);
  }
  const unsigned = {
    v: ENVELOPE_VERSION,
    type,
    body,
    signer: identityPublicKey(secretKey),
    nonce: bytesToHex(options.randomBytes(16)),
    created: options.now.toISOString(),
    expires: new Date(options.now.getTime() + ttl * 1000).toISOString(),
  } as const;
  const sig = schnorr.sign(envelopeDigest(unsigned), secretKey, options.randomBytes(32));
  return { ...unsigned, sig: bytesToHex(sig) };
}

export interface VerifyOptions {
  now: Date;
  expectedType: string;
  /** When false, the validity window is not checked (re-verifying stored evidence later). */
  checkTime?: boolean;
}

/** Parses and verifies an envelope; throws ENVELOPE_* errors. Replay is checked by the caller's nonce store. */
export function verifyEnvelope<T = unknown>(input: unknown, options: VerifyOptions): Envelope<T> {
  const parsed = envelopeSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConclaveError('ENVELOPE_INVALID', `envelope.${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`);
  }
  const envelope = parsed.data as Envelope<T>;
  if (envelope.type !== options.expectedType) {
    throw new ConclaveError('ENVELOPE_WRONG_TYPE', `envelope.type: expected "${options.expectedType}", got "${envelope.type}"`);
  }
  let valid = false;
  try {
    valid = schnorr.verify(hexToBytes(envelope.sig), envelopeDigest(envelope), hexToBytes(envelope.signer));
  } catch {
    valid = false;
  }
  if (!valid) throw new ConclaveError('ENVELOPE_BAD_SIGNATURE', `envelope.sig: signature by ${envelope.signer} does not verify`);
  if (options.checkTime !== false) {
    const created = Date.parse(envelope.created);
    const expires = Date.parse(envelope.expires);
    const now = options.now.getTime();
    if (expires <= created || expires - created > MAX_ENVELOPE_TTL_SECONDS * 1000) {
      throw new ConclaveError('ENVELOPE_EXPIRED', 'envelope.expires: validity window is empty or too long');
    }
    if (now + CLOCK_SKEW_SECONDS * 1000 < created) throw new ConclaveError('ENVELOPE_EXPIRED', 'envelope.created: lies in the future; check the clock');
    if (now > expires) throw new ConclaveError('ENVELOPE_EXPIRED', `envelope.expires: expired at ${envelope.expires}`);
  }
  return envelope;
}
