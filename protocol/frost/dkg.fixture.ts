/**
 * Test fixture for the FROST DKG tests: deterministic keyholders and randomness, and a
 * relaying "coordinator" that runs every round in one process, with hooks where a hostile
 * coordinator or participant interferes. Not used outside tests.
 */
import { DEFAULT_POLICY } from '../policy';
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { identityPublicKey } from '../envelope';
import { ConclaveError } from '../errors';
import { type DkgContext, type DkgResult, dkgRound2, finishDkg, startDkg } from './dkg';
import { assembleCertificate, type DkgCertificate } from './dkg-certificate';
import type { ConfirmationMessage, Round1Message, Round2Message } from './dkg-messages';
import type { FrostSetupParams } from './dkg-params';

export const NOW = new Date('2026-03-02T12:00:00.000Z');

/** A deterministic byte stream: sha256(seed || counter) blocks. */
export function seededRandom(seed: string): (length: number) => Uint8Array {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let off = 0; off < length; off += 32) {
      const block = sha256(concatBytes(utf8ToBytes(seed), Uint8Array.of(counter >>> 24, counter >>> 16, counter >>> 8, counter)));
      counter++;
      out.set(block.subarray(0, Math.min(32, length - off)), off);
    }
    return out;
  };
}

export interface Keyholder {
  readonly index: number;
  /** BIP340 identity secret key. */
  readonly secret: Uint8Array;
  readonly key: string;
}

export function keyholders(n: number, seed = 'keyholder'): Keyholder[] {
  return Array.from({ length: n }, (_, index) => {
    const secret = sha256(utf8ToBytes(`${seed}/${index}`));
    return { index, secret, key: identityPublicKey(secret) };
  });
}

export function setupParams(threshold: number, holders: readonly Keyholder[], setupId = '5e'.repeat(16)): FrostSetupParams {
  return {
    setupId, network: 'regtest', vault: { name: 'frost treasury', policy: DEFAULT_POLICY }, threshold, participants: holders.map((h) => ({ identityKey: h.key })),
  };
}

export function contextFor(holder: Keyholder, seed = 'rng'): DkgContext {
  return { identitySecret: holder.secret, randomBytes: seededRandom(`${seed}/${holder.index}`), now: NOW };
}

export function refusal(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error;
    throw error;
  }
  throw new Error('expected a ConclaveError');
}

/** The round-2 messages addressed to one participant. */
export function addressedTo(messages: readonly Round2Message[], recipientIndex: number): Round2Message[] {
  const id = schnorr_FROST.Identifier.fromNumber(recipientIndex + 1);
  return messages.filter((m) => m.body.recipient === id);
}

export interface DkgRun {
  readonly params: FrostSetupParams;
  readonly holders: readonly Keyholder[];
  readonly contexts: readonly DkgContext[];
  readonly round1: readonly Round1Message[];
  readonly round2: readonly Round2Message[];
  readonly results: readonly DkgResult[];
  readonly confirmations: readonly ConfirmationMessage[];
  readonly certificate: DkgCertificate;
}

/** A whole honest DKG through a relaying coordinator. */
export function runDkg(threshold: number, n: number, seed = 'run'): DkgRun {
  const holders = keyholders(n, `${seed}/holder`);
  const params = setupParams(threshold, holders);
  const contexts = holders.map((h) => contextFor(h, seed));
  const started = holders.map((h) => startDkg(params, h.index, contexts[h.index]));
  const round1 = started.map((s) => s.round1Message);
  const second = started.map((s, i) => dkgRound2(s.state, round1, contexts[i]));
  const round2 = second.flatMap((s) => s.round2Messages);
  const finished = second.map((s, i) => finishDkg(s.state, addressedTo(round2, i), contexts[i]));
  const confirmations = finished.map((f) => f.confirmation);
  const certificate = assembleCertificate(params, round1, confirmations);
  return { params, holders, contexts, round1, round2, results: finished.map((f) => f.result), confirmations, certificate };
}

/** Signs `message` with the shares of `signers` using noble directly; returns the BIP340 signature. */
export function thresholdSign(results: readonly DkgResult[], signers: readonly number[], message: Uint8Array, seed = 'sign'): Uint8Array {
  const rng = seededRandom(seed);
  const nonces = signers.map((i) => schnorr_FROST.commit(results[i].keyPackage.secret, (length = 32) => rng(length)));
  const commitmentList = nonces.map((n) => n.commitments);
  const shares: Record<string, Uint8Array> = {};
  signers.forEach((i, k) => {
    const { secret, public: pub } = results[i].keyPackage;
    shares[secret.identifier] = schnorr_FROST.signShare(secret, pub, nonces[k].nonces, commitmentList, message);
  });
  return schnorr_FROST.aggregate(results[signers[0]].keyPackage.public, commitmentList, message, shares);
}

export function verifiesUnderOutputKey(signature: Uint8Array, message: Uint8Array, result: DkgResult): boolean {
  const xOnly = result.keyPackage.public.commitments[0].slice(1);
  return bytesToHex(xOnly) === result.outputKey && schnorr.verify(signature, message, xOnly);
}

