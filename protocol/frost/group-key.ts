/**
 * The base key of a FROST Taproot vault (DESIGN.md, "Two kinds of vault"; RFC 9591 with the
 * BIP340 ciphersuite of `schnorr_FROST`): the group key P the DKG produced, BEFORE any BIP341
 * tweak, normalised to even Y so it has exactly one 33-byte encoding (0x02 || x) to build the
 * vault's xpub on. Every address is a BIP32 child of that xpub and only then gets its own
 * BIP341 key-path tweak (child-key.ts).
 *
 * noble's `DKG.round3` returns a package already tweaked for P itself: when P has odd Y it
 * negates the commitments, verifying shares and signing share, then adds t*G (resp. t) with
 * t = TapTweak(x(P)) (BIP341, empty merkle root) to commitments[0] and every verifying share
 * (frostTweakPublic / frostTweakSecret in @noble/curves secp256k1.js). An xpub built on that Q
 * would tweak every address twice, so `baseKeyFromDkg` undoes the tweak exactly and checks the
 * result. P itself is the sum of every participant's round-1 commitment[0].
 */
import { HDKey } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { ConclaveError, type ErrorCode } from '../errors';
import { taggedHash } from '../hashing';
import { networkParams, type NetworkName } from '../network';

export const Point = secp256k1.Point;
export type Point = InstanceType<typeof secp256k1.Point>;
export const Fn = Point.Fn;

/** noble's participant identifier: the scalar as 64 lowercase hex characters, 1 <= id < n. */
export type FrostIdentifier = string;

/** The untweaked, even-Y group key package every participant and the coordinator share. */
export interface FrostBaseKey {
  /** Signers needed: the `min` of noble's `signers`. */
  readonly threshold: number;
  /** Every participant, in ascending scalar order; their number is noble's `max`. */
  readonly identifiers: readonly FrostIdentifier[];
  /** even(P), compressed: always 0x02 || x(P). */
  readonly groupKey: Uint8Array;
  /** The VSS commitments (noble's `commitments`), `threshold` points; [0] equals groupKey. */
  readonly commitments: readonly Uint8Array[];
  /** Each participant's verifying share (signingShare * G), untweaked, compressed. */
  readonly verifyingShares: Readonly<Record<FrostIdentifier, Uint8Array>>;
}

/** One participant's secret share of the base key: untweaked, consistent with even(P). */
export interface FrostBaseShare {
  readonly identifier: FrostIdentifier;
  /** 32-byte big-endian scalar. MUST stay with its keyholder (encrypted at rest). */
  readonly signingShare: Uint8Array;
}

/** What `DKG.round3` returns (noble's `Key`), structurally. */
export interface DkgRound3Output {
  readonly public: {
    readonly signers: { readonly min: number; readonly max: number };
    readonly commitments: readonly Uint8Array[];
    readonly verifyingShares: Readonly<Record<string, Uint8Array>>;
  };
  readonly secret: { readonly identifier: string; readonly signingShare: Uint8Array };
}

// ---- small strict helpers shared by the frost/ files ----

function fail(code: ErrorCode, where: string, message: string): never {
  throw new ConclaveError(code, `${where}: ${message}`);
}

/** A 33-byte compressed point on the curve (the identity has no such encoding). */
export function parsePoint(bytes: unknown, where: string, code: ErrorCode = 'FROST_KEY_INVALID'): Point {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 33 || (bytes[0] !== 2 && bytes[0] !== 3)) {
    fail(code, where, 'expected a 33-byte compressed point');
  }
  try {
    const p = Point.fromBytes(bytes);
    p.assertValidity();
    return p;
  } catch {
    return fail(code, where, 'not a point on secp256k1');
  }
}

/** A 32-byte big-endian scalar below the group order n; zero only when `allowZero`. */
export function parseScalar(bytes: unknown, where: string, code: ErrorCode, allowZero = false): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) fail(code, where, 'expected a 32-byte scalar');
  const n = bytesToNumberBE(bytes);
  if (n >= Fn.ORDER) fail(code, where, 'scalar is not below the group order');
  if (n === 0n && !allowZero) fail(code, where, 'scalar is zero');
  return n;
}

/** A canonical noble identifier: 64 lowercase hex characters of a scalar 1 <= id < n. */
export function parseIdentifier(value: unknown, where: string, code: ErrorCode = 'FROST_KEY_INVALID'): bigint {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    fail(code, where, 'identifier must be 64 lowercase hex characters');
  }
  const n = BigInt('0x' + value);
  if (n === 0n || n >= Fn.ORDER) fail(code, where, 'identifier is not a non-zero scalar');
  return n;
}

export const hasEvenY = (p: Point): boolean => p.y % 2n === 0n;
export const evenY = (p: Point): Point => (hasEvenY(p) ? p : p.negate());
/** x(P) as 32 bytes, the BIP340 x-only encoding. */
export const xOnly = (p: Point): Uint8Array => p.toBytes(true).slice(1);
/** k*G for any scalar, including 0 (noble's multiply refuses 0). */
export const mulBase = (k: bigint): Point => (Fn.create(k) === 0n ? Point.ZERO : Point.BASE.multiply(Fn.create(k)));

/**
 * BIP341 taproot_tweak_pubkey with no script tree: t = TapTweak(x(P)) as a scalar. BIP341
 * rejects t >= n instead of reducing it, as noble's tweak does, so a package tweaked by noble
 * and one tweaked here always agree.
 */
export function tapTweakScalar(internalKeyXOnly: Uint8Array): bigint {
  if (internalKeyXOnly.length !== 32) fail('FROST_KEY_INVALID', 'frost/taptweak', 'internal key must be 32 bytes x-only');
  const t = bytesToNumberBE(taggedHash('TapTweak', internalKeyXOnly));
  if (t >= Fn.ORDER) fail('FROST_KEY_INVALID', 'frost/taptweak', 'TapTweak hash is not below the group order (BIP341: the key cannot be used)');
  return t;
}

/** sum_j C_j * id^j: the verifying share the VSS commitments imply for `id` (RFC 9591 C.2). */
export function vssVerifyingShare(commitments: readonly Point[], id: bigint): Point {
  let acc = Point.ZERO;
  let power = 1n;
  for (const c of commitments) {
    acc = acc.add(c.multiply(power));
    power = Fn.mul(power, id);
  }
  return acc;
}

// ---- the base key ----

/**
 * The untweaked group key P: the sum of every participant's round-1 commitment[0] (each a
 * 33-byte compressed point). P keeps its parity here; the base key normalises it.
 */
export function groupKeyFromRound1Commitments(commitments0: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(commitments0) || commitments0.length < 2) {
    fail('FROST_KEY_INVALID', 'frost/group-key', 'need the round-1 commitment[0] of at least two participants');
  }
  let sum = Point.ZERO;
  commitments0.forEach((c, i) => {
    sum = sum.add(parsePoint(c, `frost/group-key: round-1 commitment[0] of participant ${i}`));
  });
  if (sum.is0()) fail('FROST_KEY_INVALID', 'frost/group-key', 'the round-1 commitments sum to the identity');
  return sum.toBytes(true);
}

/**
 * Checks a base key package: shape, even group key equal to commitments[0], and every
 * verifying share equal to what the commitments imply for its identifier. Throws
 * FROST_KEY_INVALID naming what is wrong.
 */
export function assertBaseKey(key: FrostBaseKey): void {
  const where = 'frost/base-key';
  if (typeof key !== 'object' || key === null) fail('FROST_KEY_INVALID', where, 'not a key package');
  const { threshold, identifiers, groupKey, commitments, verifyingShares } = key;
  if (!Number.isSafeInteger(threshold) || threshold < 2) fail('FROST_KEY_INVALID', where, 'threshold must be an integer of at least 2');
  if (!Array.isArray(identifiers) || identifiers.length < threshold) {
    fail('FROST_KEY_INVALID', where, 'needs at least threshold participants');
  }
  if (!Array.isArray(commitments) || commitments.length !== threshold) {
    fail('FROST_KEY_INVALID', where, `needs exactly ${threshold} commitments (one per polynomial coefficient)`);
  }
  const P = parsePoint(groupKey, `${where}: groupKey`);
  if (!hasEvenY(P)) fail('FROST_KEY_INVALID', where, 'groupKey must have even Y (0x02 prefix)');
  const C = commitments.map((c, i) => parsePoint(c, `${where}: commitments[${i}]`));
  if (!C[0].equals(P)) fail('FROST_KEY_INVALID', where, 'commitments[0] is not the group key');
  if (typeof verifyingShares !== 'object' || verifyingShares === null) fail('FROST_KEY_INVALID', where, 'verifyingShares missing');
  const keys = Object.keys(verifyingShares);
  if (keys.length !== identifiers.length) fail('FROST_KEY_INVALID', where, 'verifyingShares must have one entry per participant');
  let previous = 0n;
  for (const id of identifiers) {
    const n = parseIdentifier(id, `${where}: identifier`);
    if (n <= previous) fail('FROST_KEY_INVALID', where, 'identifiers must be distinct and in ascending order');
    previous = n;
    if (!Object.prototype.hasOwnProperty.call(verifyingShares, id)) fail('FROST_KEY_INVALID', where, `no verifying share for participant ${id}`);
    const V = parsePoint(verifyingShares[id], `${where}: verifying share of ${id}`);
    if (!V.equals(vssVerifyingShare(C, n))) {
      fail('FROST_KEY_INVALID', where, `verifying share of ${id} does not match the commitments`);
    }
  }
}

/** Checks that a share belongs to the base key: signingShare * G equals its verifying share. */
export function assertBaseShare(key: FrostBaseKey, share: FrostBaseShare): void {
  const where = 'frost/base-share';
  parseIdentifier(share?.identifier, `${where}: identifier`);
  const s = parseScalar(share.signingShare, `${where}: signingShare`, 'FROST_KEY_INVALID');
  const V = key.verifyingShares[share.identifier];
  if (!key.identifiers.includes(share.identifier) || V === undefined) {
    fail('FROST_KEY_INVALID', where, `participant ${share.identifier} is not in the key`);
  }
  if (!mulBase(s).equals(parsePoint(V, `${where}: verifying share`))) {
    fail('FROST_KEY_INVALID', where, 'signing share does not match its verifying share');
  }
}

/**
 * Undoes the BIP341 tweak noble's `DKG.round3` applied, giving the base key package and this
 * participant's base share. `untweakedGroupKey` is P (groupKeyFromRound1Commitments): the tweak
 * depends on x(P), which cannot be recovered from Q. Throws FROST_KEY_INVALID unless the
 * result is consistent: commitments[0] = even(P), every verifying share matches the
 * commitments, and the own signing share matches its verifying share.
 */
export function baseKeyFromDkg(round3: DkgRound3Output, untweakedGroupKey: Uint8Array): { key: FrostBaseKey; share: FrostBaseShare } {
  const where = 'frost/base-key';
  const pub = round3?.public;
  const secret = round3?.secret;
  if (!pub || !secret || !pub.signers || !Array.isArray(pub.commitments) || typeof pub.verifyingShares !== 'object' || pub.verifyingShares === null) {
    fail('FROST_KEY_INVALID', where, 'not a DKG round-3 output ({ public, secret })');
  }
  const P = parsePoint(untweakedGroupKey, `${where}: untweaked group key`);
  const evenP = evenY(P);
  const t = tapTweakScalar(xOnly(P));
  const T = mulBase(t);

  const Q = parsePoint(pub.commitments[0], `${where}: commitments[0]`);
  if (!Q.subtract(T).equals(evenP)) {
    fail('FROST_KEY_INVALID', where, 'the DKG output key is not the BIP341 tweak of the given group key');
  }
  const commitments = pub.commitments.map((c, i) => (i === 0 ? evenP.toBytes(true) : parsePoint(c, `${where}: commitments[${i}]`).toBytes(true)));
  const identifiers = Object.keys(pub.verifyingShares);
  identifiers.forEach((id) => parseIdentifier(id, `${where}: identifier`));
  identifiers.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)); // fixed-width hex: text order is scalar order
  const verifyingShares: Record<FrostIdentifier, Uint8Array> = {};
  for (const id of identifiers) {
    verifyingShares[id] = parsePoint(pub.verifyingShares[id], `${where}: verifying share of ${id}`).subtract(T).toBytes(true);
  }
  if (pub.signers.max !== identifiers.length) fail('FROST_KEY_INVALID', where, 'signers.max does not match the number of verifying shares');

  const s = parseScalar(secret.signingShare, `${where}: signingShare`, 'FROST_KEY_INVALID', true);
  const key: FrostBaseKey = { threshold: pub.signers.min, identifiers, groupKey: evenP.toBytes(true), commitments, verifyingShares };
  const share: FrostBaseShare = { identifier: secret.identifier, signingShare: Fn.toBytes(Fn.sub(s, t)) };
  assertBaseKey(key);
  assertBaseShare(key, share);
  return { key, share };
}

/**
 * The vault's depth-0 extended public key: the base group key with the transcript's chain
 * code, in the network's BIP32 version (xpub on mainnet, tpub on the test networks). A
 * watch-only `tr(XPUB/<0;1>/*)` then yields exactly the addresses child-key.ts signs for.
 */
export function groupXpub(base: FrostBaseKey, chainCode: Uint8Array, network: NetworkName): string {
  if (!(chainCode instanceof Uint8Array) || chainCode.length !== 32) fail('FROST_KEY_INVALID', 'frost/xpub', 'chain code must be 32 bytes');
  const P = parsePoint(base.groupKey, 'frost/xpub: groupKey');
  if (!hasEvenY(P)) fail('FROST_KEY_INVALID', 'frost/xpub', 'groupKey must have even Y');
  const { bip32 } = networkParams(network);
  return new HDKey({ publicKey: P.toBytes(true), chainCode, versions: { public: bip32.public, private: bip32.private } }).publicExtendedKey;
}
