/**
 * The FROST key for one address of a Taproot vault `tr(XPUB/<0;1>/*)` (DESIGN.md, "Two kinds
 * of vault"), where XPUB is the base group key with the transcript's chain code (group-key.ts).
 *
 * For address (change, index) the steps are, in this order:
 * 1. BIP32 CKDpub, unhardened: P_i = P + d*G with d = I_L(change) + I_L(index). d is computed
 *    here with HMAC-SHA512 and checked against @scure/bip32's own derivation, so the scalar the
 *    shares move by is proven to give the key every other wallet derives. Shifting every
 *    share by d shifts the interpolated secret by d (Lagrange coefficients sum to 1), so
 *    commitments[0] and every verifying share move by d*G.
 * 2. BIP341 uses lift_x(x(P_i)): when P_i has odd Y, negate every point and the share.
 * 3. BIP341 key-path tweak with no script tree: add t = TapTweak(x(P_i)); commitments[0] is
 *    then the output key Q that `tr()` and @scure/btc-signer's p2tr put on chain.
 * Q may have odd Y: noble's signShare, verifyShare and aggregate negate the package to even Q
 * themselves (adjustSecret / adjustPublic in schnorr_FROST), so it is left as BIP341 gives it.
 */
import { HDKey } from '@scure/bip32';
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToNumberBE, concatBytes, equalBytes } from '@noble/curves/utils.js';
import { ConclaveError } from '../errors';
import {
  Fn, type FrostBaseKey, type FrostBaseShare, type FrostIdentifier, hasEvenY, mulBase, parsePoint, parseScalar,
  type Point, tapTweakScalar, xOnly,
} from './group-key';
import type { FrostPublic, FrostSecret } from './signing';

/** Unhardened child numbers stop here (BIP32). */
const MAX_UNHARDENED = 0x7fffffff;

/** A FROST key as points (and for a signer, its scalar): what the tweaks act on. */
export interface TweakableKey {
  /** VSS commitments; [0] is the group key. */
  readonly commitments: readonly Point[];
  readonly verifyingShares: Readonly<Record<FrostIdentifier, Point>>;
  /** The participant's signing share, when this is a signer's key. */
  readonly signingShare?: bigint;
}

/** Adds k*G to the group key and every verifying share, and k to the share. */
export function shiftKey(key: TweakableKey, k: bigint): TweakableKey {
  const K = mulBase(k);
  return {
    commitments: key.commitments.map((c, i) => (i === 0 ? c.add(K) : c)),
    verifyingShares: mapValues(key.verifyingShares, (v) => v.add(K)),
    signingShare: key.signingShare === undefined ? undefined : Fn.add(key.signingShare, Fn.create(k)),
  };
}

/** Negates every commitment, verifying share and the share when the group key has odd Y. */
export function evenYKey(key: TweakableKey): TweakableKey {
  if (hasEvenY(key.commitments[0])) return key;
  return {
    commitments: key.commitments.map((c) => c.negate()),
    verifyingShares: mapValues(key.verifyingShares, (v) => v.negate()),
    signingShare: key.signingShare === undefined ? undefined : Fn.neg(key.signingShare),
  };
}

/**
 * BIP341 taproot_tweak_pubkey / taproot_tweak_seckey with no script tree, applied to a whole
 * FROST key: even-Y the internal key, then add TapTweak(x(P)). Returns the tweaked key (whose
 * commitments[0] is the output key Q) and the tweak.
 */
export function taprootTweakKey(key: TweakableKey): { key: TweakableKey; tweak: bigint } {
  const tweak = tapTweakScalar(xOnly(key.commitments[0]));
  return { key: shiftKey(evenYKey(key), tweak), tweak };
}

/**
 * BIP32 CKDpub along an unhardened path: the child public key and the sum d of the I_L
 * scalars, so that child = parent + d*G. Checked against @scure/bip32's derivation.
 */
export function bip32PublicTweak(parentKey: Uint8Array, chainCode: Uint8Array, path: readonly number[]): { tweak: bigint; childKey: Uint8Array } {
  const where = 'frost/child-key';
  if (!(chainCode instanceof Uint8Array) || chainCode.length !== 32) fail(where, 'chain code must be 32 bytes');
  let K = parsePoint(parentKey, `${where}: parent key`);
  let c = chainCode;
  let d = 0n;
  for (const i of path) {
    if (!Number.isSafeInteger(i) || i < 0 || i > MAX_UNHARDENED) fail(where, `child number ${i} is not an unhardened index`);
    // BIP32 CKDpub: I = HMAC-SHA512(c_par, serP(K_par) || ser32(i)); K_i = K_par + I_L*G; c_i = I_R
    const ser32 = Uint8Array.of(i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff);
    const I = hmac(sha512, c, concatBytes(K.toBytes(true), ser32));
    const IL = bytesToNumberBE(I.subarray(0, 32));
    if (IL >= Fn.ORDER) fail(where, `BIP32 child ${i} is invalid (I_L >= n); use the next index`);
    K = K.add(mulBase(IL));
    if (K.is0()) fail(where, `BIP32 child ${i} is invalid (point at infinity); use the next index`);
    c = I.slice(32);
    d = Fn.add(d, IL);
  }
  const childKey = K.toBytes(true);
  let expected: Uint8Array | null;
  try {
    expected = path.reduce((node, i) => node.deriveChild(i), new HDKey({ publicKey: parentKey, chainCode })).publicKey;
  } catch {
    expected = null;
  }
  if (!expected || !equalBytes(expected, childKey)) fail(where, 'BIP32 derivation disagrees with @scure/bip32');
  return { tweak: d, childKey };
}

/** The coordinator's view of one address: the public package noble signs and verifies with. */
export interface FrostChildPublic {
  readonly change: 0 | 1;
  readonly index: number;
  /** noble's public package: commitments[0] is the output key Q (compressed, either parity). */
  readonly public: FrostPublic;
  /** x(P_i): the BIP32 child of the xpub, what `tr(XPUB/change/index)` takes as internal key. */
  readonly internalKey: Uint8Array;
  /** x(Q): the witness program of the address, the key the aggregate signature verifies under. */
  readonly outputKey: Uint8Array;
}

/** A signer's key for one address: the public package plus its own tweaked secret share. */
export interface FrostChildKey extends FrostChildPublic {
  /** MUST stay in the signer; derived again for each signing, never stored. */
  readonly secret: FrostSecret;
}

/** The public package for address (change, index), ready for verifyShare / aggregate. */
export function childPublicPackage(base: FrostBaseKey, chainCode: Uint8Array, change: number, index: number): FrostChildPublic {
  return deriveChild(base, undefined, chainCode, change, index);
}

/** A signer's package for address (change, index), ready for signShare. */
export function childSigningKey(base: FrostBaseKey, share: FrostBaseShare, chainCode: Uint8Array, change: number, index: number): FrostChildKey {
  return deriveChild(base, share, chainCode, change, index) as FrostChildKey;
}

function deriveChild(base: FrostBaseKey, share: FrostBaseShare | undefined, chainCode: Uint8Array, change: number, index: number): FrostChildPublic | FrostChildKey {
  const where = 'frost/child-key';
  if (change !== 0 && change !== 1) {
    throw new ConclaveError('VALIDATION_FAILED', `${where}: change must be 0 (receive) or 1 (change), got ${String(change)}`);
  }
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_UNHARDENED) {
    throw new ConclaveError('VALIDATION_FAILED', `${where}: index must be an integer from 0 to ${MAX_UNHARDENED}`);
  }
  const start: TweakableKey = {
    commitments: base.commitments.map((c, i) => parsePoint(c, `${where}: commitments[${i}]`)),
    verifyingShares: mapValues(base.verifyingShares, (v) => parsePoint(v, `${where}: verifying share`)),
    signingShare: share === undefined ? undefined : parseScalar(share.signingShare, `${where}: signing share`, 'FROST_KEY_INVALID', true),
  };
  if (!equalBytes(start.commitments[0].toBytes(true), base.groupKey)) fail(where, 'commitments[0] is not the group key');

  const { tweak, childKey } = bip32PublicTweak(base.groupKey, chainCode, [change, index]);
  const derived = shiftKey(start, tweak);
  if (!equalBytes(derived.commitments[0].toBytes(true), childKey)) fail(where, 'shifted group key is not the BIP32 child');
  const internalKey = xOnly(derived.commitments[0]);
  const tweaked = taprootTweakKey(derived).key;
  const Q = tweaked.commitments[0];

  const pub: FrostPublic = {
    signers: { min: base.threshold, max: base.identifiers.length },
    commitments: tweaked.commitments.map((c) => c.toBytes(true)),
    verifyingShares: mapValues(tweaked.verifyingShares, (v) => v.toBytes(true)),
  };
  const result: FrostChildPublic = { change, index, public: pub, internalKey, outputKey: xOnly(Q) };
  if (share === undefined || tweaked.signingShare === undefined) return result;
  const own = tweaked.verifyingShares[share.identifier];
  if (own === undefined || !mulBase(tweaked.signingShare).equals(own)) fail(where, `the share of ${share.identifier} does not belong to this key`);
  const secret: FrostSecret = { identifier: share.identifier, signingShare: Fn.toBytes(tweaked.signingShare) };
  return { ...result, secret };
}

function mapValues<A, B>(record: Readonly<Record<string, A>>, f: (a: A) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const k of Object.keys(record)) out[k] = f(record[k]);
  return out;
}

function fail(where: string, message: string): never {
  throw new ConclaveError('FROST_KEY_INVALID', `${where}: ${message}`);
}
