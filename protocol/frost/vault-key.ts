/**
 * The public side of a FROST Taproot vault, computed from a verified DKG certificate alone
 * (DESIGN.md, "Two kinds of vault"): what the coordinator, a watcher or an auditor derives
 * without any share, and what every participant derives from its own DKG result with
 * `baseKeyFromDkg` + `groupXpub` (group-key.ts). The two MUST agree; a test checks that.
 *
 * RFC 9591 Appendix C.2 (VSS): participant i's round-1 commitment is (C_i0 .. C_i,t-1). The
 * group's commitments are the coefficient-wise sums C_k = sum_i C_ik, so the untweaked group
 * key is P = C_0 and participant j's verifying share is sum_k C_k * id_j^k. The base key is
 * normalised to even Y (BIP340 lift_x): when P has odd Y every commitment and verifying share
 * is negated, exactly as `baseKeyFromDkg` leaves what noble's round 3 negated. The vault's
 * xpub is even(P) with the transcript's chain code, written as `tr(XPUB/<0;1>/*)#checksum`
 * (BIP386, BIP389, BIP380).
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { addChecksum } from '../descriptor/checksum';
import { ConclaveError } from '../errors';
import type { NetworkName } from '../network';
import type { VerifiedDkg } from './dkg-certificate';
import { participantIdentifier } from './dkg-params';
import {
  assertBaseKey, evenY, type FrostBaseKey, type FrostIdentifier, groupXpub, hasEvenY, parsePoint, type Point, vssVerifyingShare,
} from './group-key';

export interface FrostVaultKey {
  /** Depth-0 xpub (tpub on test networks) of even(P) with the transcript's chain code. */
  readonly groupXpub: string;
  /** `tr(XPUB/<0;1>/*)#checksum`: the vault's watch-only descriptor. */
  readonly descriptor: string;
  /** Public only: threshold, identifiers, even-Y group key, summed commitments, verifying shares. */
  readonly base: FrostBaseKey;
  /** BIP32 chain code fixed by the transcript (32 bytes). */
  readonly chainCode: Uint8Array;
}

function fail(message: string): never {
  throw new ConclaveError('FROST_KEY_INVALID', `frost/vault-key: ${message}`);
}

/**
 * The vault's public key material from a certificate that `verifyCertificate` accepted.
 * `network` MUST be the setup's own: a key pinned for regtest is not a mainnet vault.
 */
export function frostVaultFromCertificate(verified: VerifiedDkg, network: NetworkName): FrostVaultKey {
  const { params, round1Packages } = verified;
  if (network !== params.network) {
    throw new ConclaveError('ADDRESS_WRONG_NETWORK', `frost/vault-key: the setup is for ${params.network}, not ${network}`);
  }
  const t = params.threshold;
  const n = params.participants.length;
  if (round1Packages.length !== n) fail(`${round1Packages.length} round-1 packages for ${n} participants`);

  // C_k = sum_i C_ik, one point per polynomial coefficient.
  const sums: Point[] = [];
  round1Packages.forEach((pkg, i) => {
    if (pkg.identifier !== participantIdentifier(i)) fail(`round-1 package ${i} is not from participant ${i + 1}`);
    if (pkg.commitment.length !== t) fail(`round-1 package ${i} has ${pkg.commitment.length} commitments for a threshold of ${t}`);
    pkg.commitment.forEach((hex, k) => {
      const c = parsePoint(hexToBytes(hex), `frost/vault-key: commitment ${k} of participant ${i + 1}`);
      sums[k] = sums[k] === undefined ? c : sums[k].add(c);
    });
  });
  if (sums.some((c) => c.is0())) fail('a summed commitment is the point at infinity');
  const P = sums[0];
  if (bytesToHex(P.toBytes(true)) !== verified.untweakedGroupKey) fail('the summed commitments are not the transcript\'s group key');

  // lift_x(x(P)): negate the whole polynomial when P has odd Y, so commitments[0] = 0x02 || x(P).
  const commitments = hasEvenY(P) ? sums : sums.map((c) => c.negate());
  const identifiers: FrostIdentifier[] = params.participants.map((_, i) => participantIdentifier(i));
  const verifyingShares: Record<FrostIdentifier, Uint8Array> = {};
  for (const id of identifiers) verifyingShares[id] = vssVerifyingShare(commitments, BigInt(`0x${id}`)).toBytes(true);
  const base: FrostBaseKey = {
    threshold: t, identifiers, groupKey: evenY(P).toBytes(true), commitments: commitments.map((c) => c.toBytes(true)), verifyingShares,
  };
  assertBaseKey(base);

  const chainCode = hexToBytes(verified.chainCode);
  const xpub = groupXpub(base, chainCode, network);
  return { groupXpub: xpub, descriptor: addChecksum(`tr(${xpub}/<0;1>/*)`), base, chainCode };
}
