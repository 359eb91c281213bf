/**
 * The public transcript of a FROST DKG and what is derived from it.
 *
 * - Round-1 packages (RFC 9591 Appendix C.2 VSS commitments plus the proof of knowledge of
 *   the constant term) travel as hex; `round1PackageToNoble` turns them into noble's form.
 * - The untweaked group key P is the sum of every participant's commitment[0]; the Taproot
 *   output key Q is P with the BIP341 key-path tweak for an empty script tree, exactly what
 *   noble's `DKG.round3` applies (so Q equals x(commitments[0]) of its public package).
 * - The transcript hash commits to the params hash, every round-1 package in identifier order,
 *   P and Q. Every participant signs it before the key is used (dkg-certificate.ts): plain DKG
 *   lets an equivocating party leave honest parties with different keys and no error.
 * - The chain code for BIP32 address derivation is a separate tagged hash of the transcript
 *   hash, so nobody can choose it after the fact.
 */
import type { DKG_Round1 } from '@noble/curves/abstract/frost.js';
import { secp256k1, secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { canonicalBytes } from '../canonical-json';
import { ConclaveError } from '../errors';
import { taggedHash, taggedHashHex } from '../hashing';
import { FROST_MAX_PARTICIPANTS, hexBytes } from './dkg-params';

const Point = secp256k1.Point;
type Point = InstanceType<typeof secp256k1.Point>;
const Fn = Point.Fn;

export const round1PackageSchema = z.object({
  /** noble's canonical identifier: the scalar as 32 bytes of hex. */
  identifier: hexBytes(32),
  /** VSS commitments, one compressed point per coefficient (threshold many). */
  commitment: z.array(hexBytes(33)).min(1).max(FROST_MAX_PARTICIPANTS),
  /** BIP340-style proof of knowledge of coefficient 0: x(R) || z. */
  proofOfKnowledge: hexBytes(64),
}).strict();
export type Round1Package = z.infer<typeof round1PackageSchema>;

export function round1PackageFromNoble(pkg: DKG_Round1): Round1Package {
  return {
    identifier: pkg.identifier,
    commitment: pkg.commitment.map((c) => bytesToHex(c)),
    proofOfKnowledge: bytesToHex(pkg.proofOfKnowledge),
  };
}

export function round1PackageToNoble(pkg: Round1Package): DKG_Round1 {
  return {
    identifier: pkg.identifier,
    commitment: pkg.commitment.map((c) => hexToBytes(c)),
    proofOfKnowledge: hexToBytes(pkg.proofOfKnowledge),
  };
}

/** A compressed point that is on the curve (not the identity); throws a plain Error otherwise. */
export function decodePoint(hex: string): Point {
  const p = Point.fromBytes(hexToBytes(hex));
  p.assertValidity();
  return p;
}

/** Digest of one round-1 package: confirmations list these, so a mismatch names its sender. */
export function round1PackageDigest(pkg: Round1Package): string {
  return taggedHashHex('Conclave/frost-dkg/round1-package', canonicalBytes(pkg));
}

/** P = sum of every participant's commitment[0], compressed (its Y may be odd). */
export function untweakedGroupKey(packages: readonly Round1Package[]): string {
  let sum = Point.ZERO;
  for (const pkg of packages) sum = sum.add(decodePoint(pkg.commitment[0]));
  if (sum.is0()) throw new ConclaveError('FROST_DKG_PACKAGE_INVALID', 'round1: the commitments sum to the point at infinity');
  return bytesToHex(sum.toBytes(true));
}

/**
 * BIP341 taproot_tweak_pubkey(P, empty script tree): Q = lift_x(x(P)) + int(TapTweak(x(P)))G.
 * Returns x(Q), the 32-byte output key a key-path spend signs for.
 */
export function taprootOutputKey(untweakedKey: string): string {
  const xP = hexToBytes(untweakedKey).slice(1);
  const t = bytesToNumberBE(taggedHash('TapTweak', xP));
  // BIP341: "if t >= SECP256K1_ORDER: raise ValueError" (never reduce modulo n).
  if (!Fn.isValid(t) || t === 0n) throw new ConclaveError('FROST_DKG_PACKAGE_INVALID', 'round1: the group key has no valid TapTweak');
  const Q = Point.fromBytes(concatBytes(Uint8Array.of(2), xP)).add(Point.BASE.multiply(t));
  if (Q.is0()) throw new ConclaveError('FROST_DKG_PACKAGE_INVALID', 'round1: the tweaked group key is the point at infinity');
  return bytesToHex(Q.toBytes(true).slice(1));
}

export interface DkgTranscript {
  readonly transcriptHash: string;
  readonly untweakedGroupKey: string;
  readonly outputKey: string;
  readonly chainCode: string;
  /** round1PackageDigest of each package, in participant order. */
  readonly round1Digests: readonly string[];
}

/** The transcript of a DKG from its params hash and all n round-1 packages in participant order. */
export function dkgTranscript(paramsHash: string, packages: readonly Round1Package[]): DkgTranscript {
  const groupKey = untweakedGroupKey(packages);
  const outputKey = taprootOutputKey(groupKey);
  const transcriptHash = taggedHashHex('Conclave/frost-dkg/transcript', canonicalBytes({
    v: 1, paramsHash, round1: packages, untweakedGroupKey: groupKey, outputKey,
  }));
  return {
    transcriptHash,
    untweakedGroupKey: groupKey,
    outputKey,
    chainCode: dkgChainCode(transcriptHash),
    round1Digests: packages.map(round1PackageDigest),
  };
}

/** The BIP32 chain code of the vault's xpub: fixed by the transcript, chosen by nobody. */
export function dkgChainCode(transcriptHash: string): string {
  return taggedHashHex('Conclave/frost-dkg/chain-code', hexToBytes(transcriptHash));
}

// noble's schnorr_FROST hashes the DKG proof-of-knowledge challenge with this DST
// (createFROST: `opts.name + 'dkg'`); a test checks this copy against noble's own proofs.
const POK_DST = utf8ToBytes('FROST-secp256k1-SHA256-TR-v1dkg');

/**
 * Checks a package's proof of knowledge as noble's round 2 does (R == z*G - c*phi with
 * c = H_dkg(id || phi || R)). Used only to say WHICH sender is at fault after noble refused
 * the round-1 set; noble's own check stays the one that decides.
 */
export function proofOfKnowledgeValid(pkg: Round1Package): boolean {
  try {
    const pok = hexToBytes(pkg.proofOfKnowledge);
    const R = Point.fromBytes(concatBytes(Uint8Array.of(2), pok.slice(0, 32)));
    const z = bytesToNumberBE(pok.slice(32));
    if (!Fn.isValid(z)) return false;
    const phi = decodePoint(pkg.commitment[0]);
    const c = secp256k1_hasher.hashToScalar(
      concatBytes(hexToBytes(pkg.identifier), phi.toBytes(true), R.toBytes(true)), { DST: POK_DST });
    return R.equals(Point.BASE.multiplyUnsafe(z).subtract(phi.multiplyUnsafe(c)));
  } catch {
    return false;
  }
}

/**
 * RFC 9591 Appendix C.2 vss_verify: share*G == sum_k commitment[k] * id^k. Like
 * proofOfKnowledgeValid, this only names the sender of a bad share after noble refused it.
 */
export function shareMatchesCommitment(recipientIdentifier: string, share: Uint8Array, pkg: Round1Package): boolean {
  try {
    const s = bytesToNumberBE(share);
    if (!Fn.isValid(s) || s === 0n) return false;
    const x = bytesToNumberBE(hexToBytes(recipientIdentifier));
    let expected = Point.ZERO;
    let power = 1n;
    for (const c of pkg.commitment) {
      expected = expected.add(decodePoint(c).multiplyUnsafe(power));
      power = Fn.mul(power, x);
    }
    return Point.BASE.multiply(s).equals(expected);
  } catch {
    return false;
  }
}
