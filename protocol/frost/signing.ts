/**
 * FROST signing rounds (RFC 9591 sections 5.1-5.4, BIP340 ciphersuite `schnorr_FROST`) as the
 * signer and the coordinator both call them, plus the wire forms of what they exchange.
 *
 * Round 1: each signer commits to two fresh nonces (`commitNonces`) and publishes the
 * commitments. Round 2: with the commitment list of exactly the chosen signers, each signer
 * computes its share (`signShare`); the coordinator checks every share (`verifyShare`, which
 * names a bad one) and combines them (`aggregateSignature`), which also checks the final
 * BIP340 signature against the output key the caller expects, never only the package's.
 *
 * Nonces MUST be used at most once (DESIGN.md invariant 4). noble zeroes the nonce object it
 * signed with, but a byte copy reloaded from disk is not caught: the signer MUST durably mark
 * a nonce pair spent before it releases a share made with it.
 */
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/curves/utils.js';
import type * as noble from '@noble/curves/abstract/frost.js';
import { ConclaveError, type ErrorCode } from '../errors';
import { Fn, type FrostIdentifier, mulBase, parseIdentifier, parsePoint, parseScalar } from './group-key';

// noble's package shapes, with fields any Uint8Array satisfies (noble's own types demand an
// ArrayBuffer-backed one); what noble returns fits these, and these are handed to noble as is.

/** The public package of a key: commitments[0] is the group (output) key. */
export interface FrostPublic {
  readonly signers: { readonly min: number; readonly max: number };
  readonly commitments: readonly Uint8Array[];
  readonly verifyingShares: Readonly<Record<FrostIdentifier, Uint8Array>>;
}
/** One participant's secret share of a key. */
export interface FrostSecret {
  readonly identifier: FrostIdentifier;
  readonly signingShare: Uint8Array;
}
/** Secret nonces of one signing session: used once, then zeroed by signShare. */
export interface Nonces {
  readonly hiding: Uint8Array;
  readonly binding: Uint8Array;
}
/** The public commitments to a signer's nonces (hiding and binding points, 33 bytes each). */
export interface NonceCommitments {
  readonly identifier: FrostIdentifier;
  readonly hiding: Uint8Array;
  readonly binding: Uint8Array;
}

const asNoble = {
  pub: (p: FrostPublic) => p as noble.FrostPublic,
  secret: (s: FrostSecret) => s as noble.FrostSecret,
  nonces: (n: Nonces) => n as noble.Nonces,
  list: (l: readonly NonceCommitments[]) => [...l] as noble.NonceCommitments[],
  shares: (s: Readonly<Record<FrostIdentifier, Uint8Array>>) => ({ ...s }) as Record<FrostIdentifier, Uint8Array<ArrayBuffer>>,
};

/** Injected randomness: `length` fresh uniformly random bytes per call. */
export type RandomBytes = (length: number) => Uint8Array;

/** Version byte of `encodeNonces`, so a stored blob of another layout is never misread. */
export const NONCES_ENCODING_VERSION = 1;
const NONCES_ENCODED_LENGTH = 1 + 32 + 32;

function fail(code: ErrorCode, where: string, message: string, details?: Record<string, unknown>): never {
  throw new ConclaveError(code, `${where}: ${message}`, details);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// ---- round 1 ----

/**
 * Fresh nonces and their public commitments for one signing session (RFC 9591 5.1). noble
 * hashes 32 random bytes with the signing share for each nonce, so a weak `randomBytes` alone
 * does not leak the share. The nonces MUST be used for one signShare only.
 */
export function commitNonces(secret: FrostSecret, randomBytes: RandomBytes): { nonces: Nonces; commitments: NonceCommitments } {
  const where = 'frost/commit';
  parseIdentifier(secret?.identifier, `${where}: identifier`);
  parseScalar(secret.signingShare, `${where}: signing share`, 'FROST_KEY_INVALID', true);
  if (typeof randomBytes !== 'function') throw new ConclaveError('VALIDATION_FAILED', `${where}: randomBytes must be a function`);
  const rng = (length = 32): Uint8Array => {
    const bytes = randomBytes(length);
    if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
      throw new ConclaveError('VALIDATION_FAILED', `${where}: randomBytes returned other than ${length} bytes`);
    }
    return bytes;
  };
  return schnorr_FROST.commit(asNoble.secret(secret), rng);
}

// ---- checks shared by round 2 and aggregation ----

/**
 * A commitment list for `pub`: between min and max entries, each a valid commitment of a
 * distinct participant of the key. Throws FROST_COMMITMENT_INVALID naming the entry.
 */
export function assertCommitmentList(pub: FrostPublic, list: readonly NonceCommitments[], where = 'frost/commitments'): void {
  if (!Array.isArray(list)) fail('FROST_COMMITMENT_INVALID', where, 'expected a list of commitments');
  const { min, max } = pub.signers;
  if (list.length < min || list.length > max) {
    fail('FROST_COMMITMENT_INVALID', where, `needs between ${min} and ${max} commitments, got ${list.length}`);
  }
  const seen = new Set<string>();
  list.forEach((c, i) => {
    checkCommitments(c, `${where}[${i}]`);
    if (seen.has(c.identifier)) fail('FROST_COMMITMENT_INVALID', `${where}[${i}]`, `participant ${c.identifier} appears twice`);
    seen.add(c.identifier);
    if (!Object.prototype.hasOwnProperty.call(pub.verifyingShares, c.identifier)) {
      fail('FROST_COMMITMENT_INVALID', `${where}[${i}]`, `participant ${c.identifier} is not in the key`);
    }
  });
}

function checkCommitments(c: NonceCommitments, where: string): void {
  if (typeof c !== 'object' || c === null) fail('FROST_COMMITMENT_INVALID', where, 'expected { identifier, hiding, binding }');
  parseIdentifier(c.identifier, `${where}.identifier`, 'FROST_COMMITMENT_INVALID');
  parsePoint(c.hiding, `${where}.hiding`, 'FROST_COMMITMENT_INVALID');
  parsePoint(c.binding, `${where}.binding`, 'FROST_COMMITMENT_INVALID');
}

// ---- round 2 ----

/**
 * This signer's share of the signature over `msg` (RFC 9591 5.2), with the child key from
 * childSigningKey. noble zeroes `nonces` in place on success. Throws FROST_COMMITMENT_INVALID
 * for a bad list (or one without this signer), FROST_NONCE_INVALID for nonces that were
 * already used or do not match this signer's published commitment.
 */
export function signShare(
  secret: FrostSecret, pub: FrostPublic, nonces: Nonces, commitments: readonly NonceCommitments[], msg: Uint8Array,
): Uint8Array {
  const where = 'frost/sign';
  assertCommitmentList(pub, commitments, `${where}: commitments`);
  parseIdentifier(secret?.identifier, `${where}: identifier`);
  parseScalar(secret.signingShare, `${where}: signing share`, 'FROST_KEY_INVALID', true);
  if (!(msg instanceof Uint8Array)) throw new ConclaveError('VALIDATION_FAILED', `${where}: message must be bytes`);
  const own = commitments.find((c) => c.identifier === secret.identifier);
  if (!own) fail('FROST_COMMITMENT_INVALID', where, `the commitment list does not include this signer (${secret.identifier})`);
  const hiding = parseScalar(nonces?.hiding, `${where}: hiding nonce`, 'FROST_NONCE_INVALID', true);
  const binding = parseScalar(nonces.binding, `${where}: binding nonce`, 'FROST_NONCE_INVALID', true);
  if (hiding === 0n || binding === 0n) fail('FROST_NONCE_INVALID', where, 'these nonces were already used (zeroed)');
  if (!mulBase(hiding).equals(parsePoint(own.hiding, where)) || !mulBase(binding).equals(parsePoint(own.binding, where))) {
    fail('FROST_NONCE_INVALID', where, 'the nonces do not match the commitment published for this signer');
  }
  try {
    return schnorr_FROST.signShare(asNoble.secret(secret), asNoble.pub(pub), asNoble.nonces(nonces), asNoble.list(commitments), msg);
  } catch (e) {
    return fail('FROST_KEY_INVALID', where, `cannot sign with this package: ${message(e)}`);
  }
}

/**
 * Whether `share` is `identifier`'s valid share (RFC 9591 5.4). Never throws: garbage in any
 * argument is simply not a valid share.
 */
export function verifyShare(
  pub: FrostPublic, commitments: readonly NonceCommitments[], msg: Uint8Array, identifier: FrostIdentifier, share: Uint8Array,
): boolean {
  try {
    assertCommitmentList(pub, commitments);
    if (!commitments.some((c) => c.identifier === identifier)) return false;
    parseScalar(share, 'frost/verify-share', 'FROST_SHARE_INVALID', true);
    return schnorr_FROST.verifyShare(asNoble.pub(pub), asNoble.list(commitments), msg, identifier, share);
  } catch {
    return false;
  }
}

/**
 * The participants whose share cannot be used: missing, malformed or not verifying for one in
 * the commitment list, and any share from a participant outside it. Empty when all are good.
 */
export function invalidShares(
  pub: FrostPublic, commitments: readonly NonceCommitments[], msg: Uint8Array, shares: Readonly<Record<FrostIdentifier, Uint8Array>>,
): FrostIdentifier[] {
  const listed = new Set(Array.isArray(commitments) ? commitments.map((c) => c?.identifier) : []);
  if (typeof shares !== 'object' || shares === null) return [...listed].filter((id): id is string => typeof id === 'string').sort();
  const bad = [...listed].filter((id): id is string => typeof id === 'string'
    && !(Object.prototype.hasOwnProperty.call(shares, id) && verifyShare(pub, commitments, msg, id, shares[id])));
  const extra = Object.keys(shares).filter((id) => !listed.has(id));
  return [...bad, ...extra].sort();
}

/**
 * The final 64-byte BIP340 signature (RFC 9591 5.3), returned only after `schnorr.verify`
 * accepts it under `outputKey` (x-only, the key the spent output commits to). Throws
 * FROST_SHARE_INVALID with `details.identifiers` naming the signers at fault, or
 * FROST_SIGNATURE_INVALID when the result does not verify under `outputKey`.
 */
export function aggregateSignature(
  pub: FrostPublic, commitments: readonly NonceCommitments[], msg: Uint8Array,
  shares: Readonly<Record<FrostIdentifier, Uint8Array>>, outputKey: Uint8Array,
): Uint8Array {
  const where = 'frost/aggregate';
  assertCommitmentList(pub, commitments, `${where}: commitments`);
  if (!(outputKey instanceof Uint8Array) || outputKey.length !== 32) fail('FROST_KEY_INVALID', where, 'output key must be 32 bytes x-only');
  if (!(msg instanceof Uint8Array)) throw new ConclaveError('VALIDATION_FAILED', `${where}: message must be bytes`);
  if (typeof shares !== 'object' || shares === null) fail('FROST_SHARE_INVALID', where, 'expected a map of identifier to share');
  const listed = commitments.map((c) => c.identifier);
  const unusable = [
    ...listed.filter((id) => !Object.prototype.hasOwnProperty.call(shares, id) || !isScalar(shares[id])),
    ...Object.keys(shares).filter((id) => !listed.includes(id)),
  ];
  if (unusable.length > 0) {
    fail('FROST_SHARE_INVALID', where, `shares missing, malformed or from outside the commitment list: ${unusable.join(', ')}`, { identifiers: unusable.sort() });
  }
  let signature: Uint8Array;
  try {
    signature = schnorr_FROST.aggregate(asNoble.pub(pub), asNoble.list(commitments), msg, asNoble.shares(shares));
  } catch (e) {
    const cheaters = (e as { cheaters?: unknown }).cheaters;
    if (Array.isArray(cheaters) && cheaters.length > 0) {
      fail('FROST_SHARE_INVALID', where, `signature shares do not verify: ${cheaters.join(', ')}`, { identifiers: [...cheaters].sort() });
    }
    return fail('FROST_SIGNATURE_INVALID', where, `aggregation failed: ${message(e)}`);
  }
  if (!schnorr.verify(signature, msg, outputKey)) {
    fail('FROST_SIGNATURE_INVALID', where, 'the aggregate signature does not verify under the expected output key');
  }
  return signature;
}

function isScalar(bytes: unknown): boolean {
  return bytes instanceof Uint8Array && bytes.length === 32 && Fn.isValid(BigInt('0x' + bytesToHex(bytes)));
}

// ---- wire forms ----

/** Nonce commitments as they travel: identifier and 33-byte points as lowercase hex. */
export interface NonceCommitmentsWire {
  readonly identifier: string;
  readonly hiding: string;
  readonly binding: string;
}

function strictHex(value: unknown, bytes: number, code: ErrorCode, where: string): Uint8Array<ArrayBuffer> {
  if (typeof value !== 'string' || value.length !== bytes * 2 || !/^[0-9a-f]*$/.test(value)) {
    fail(code, where, `expected ${bytes} bytes as ${bytes * 2} lowercase hex characters`);
  }
  return Uint8Array.from(hexToBytes(value));
}

export function encodeCommitments(c: NonceCommitments): NonceCommitmentsWire {
  checkCommitments(c, 'frost/commitments');
  return { identifier: c.identifier, hiding: bytesToHex(c.hiding), binding: bytesToHex(c.binding) };
}

/** Strict: exactly the three fields, canonical identifier, valid compressed points. */
export function decodeCommitments(wire: unknown, where = 'frost/commitments'): NonceCommitments {
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire)) fail('FROST_COMMITMENT_INVALID', where, 'expected { identifier, hiding, binding }');
  const keys = Object.keys(wire).sort().join(',');
  if (keys !== 'binding,hiding,identifier') fail('FROST_COMMITMENT_INVALID', where, 'expected exactly the fields identifier, hiding, binding');
  const w = wire as Record<string, unknown>;
  parseIdentifier(w.identifier, `${where}.identifier`, 'FROST_COMMITMENT_INVALID');
  const c: NonceCommitments = {
    identifier: w.identifier as string,
    hiding: strictHex(w.hiding, 33, 'FROST_COMMITMENT_INVALID', `${where}.hiding`),
    binding: strictHex(w.binding, 33, 'FROST_COMMITMENT_INVALID', `${where}.binding`),
  };
  checkCommitments(c, where);
  return c;
}

/** A list of commitments of distinct participants (the key's own checks come with signing). */
export function decodeCommitmentList(wire: unknown, where = 'frost/commitments'): NonceCommitments[] {
  if (!Array.isArray(wire) || wire.length === 0) fail('FROST_COMMITMENT_INVALID', where, 'expected a non-empty list');
  const list = wire.map((w, i) => decodeCommitments(w, `${where}[${i}]`));
  if (new Set(list.map((c) => c.identifier)).size !== list.length) fail('FROST_COMMITMENT_INVALID', where, 'a participant appears twice');
  return list;
}

export function encodeSignatureShare(share: Uint8Array): string {
  parseScalar(share, 'frost/share', 'FROST_SHARE_INVALID', true);
  return bytesToHex(share);
}

/** A signature share: 32 bytes of lowercase hex, a scalar below the group order. */
export function decodeSignatureShare(wire: unknown, where = 'frost/share'): Uint8Array {
  const bytes = strictHex(wire, 32, 'FROST_SHARE_INVALID', where);
  parseScalar(bytes, where, 'FROST_SHARE_INVALID', true);
  return bytes;
}

/**
 * Secret nonces for storage (the signer encrypts them at rest): version byte, then the hiding
 * and binding scalars. Refuses zeroed (used) nonces, which must never be stored as fresh.
 */
export function encodeNonces(nonces: Nonces): Uint8Array {
  const where = 'frost/nonces';
  parseScalar(nonces?.hiding, `${where}: hiding`, 'FROST_NONCE_INVALID');
  parseScalar(nonces.binding, `${where}: binding`, 'FROST_NONCE_INVALID');
  return concatBytes(Uint8Array.of(NONCES_ENCODING_VERSION), nonces.hiding, nonces.binding);
}

export function decodeNonces(bytes: unknown): Nonces {
  const where = 'frost/nonces';
  if (!(bytes instanceof Uint8Array) || bytes.length !== NONCES_ENCODED_LENGTH) {
    fail('FROST_NONCE_INVALID', where, `expected ${NONCES_ENCODED_LENGTH} bytes`);
  }
  if (bytes[0] !== NONCES_ENCODING_VERSION) fail('FROST_NONCE_INVALID', where, `unknown encoding version ${bytes[0]}`);
  const hiding = bytes.slice(1, 33);
  const binding = bytes.slice(33);
  parseScalar(hiding, `${where}: hiding`, 'FROST_NONCE_INVALID');
  parseScalar(binding, `${where}: binding`, 'FROST_NONCE_INVALID');
  return { hiding, binding };
}
