/**
 * FROST DKG among honest participants through a relaying coordinator: every participant ends
 * with the same group key, output key, transcript hash and chain code, the certificate
 * verifies, and any t of the shares sign a BIP340 signature that verifies under x(Q).
 */
import { inspect } from 'node:util';
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { dkgRound2, finishDkg, startDkg } from './dkg';
import { assembleCertificate, verifyCertificate } from './dkg-certificate';
import {
  addressedTo, contextFor, keyholders, refusal, runDkg, setupParams, thresholdSign, verifiesUnderOutputKey, type DkgRun,
} from './dkg.fixture';
import { parseDkgState, serializeDkgState, wipeDkgState, type DkgState } from './dkg-state';
import { dkgChainCode, proofOfKnowledgeValid, round1PackageFromNoble, shareMatchesCommitment, taprootOutputKey, untweakedGroupKey } from './dkg-transcript';
import { openShare } from './share-encryption';

const MESSAGE = sha256(utf8ToBytes('a BIP341 sighash stands here'));

function expectAgreement(run: DkgRun): void {
  const [first] = run.results;
  for (const r of run.results) {
    expect(r.untweakedGroupKey).toBe(first.untweakedGroupKey);
    expect(r.outputKey).toBe(first.outputKey);
    expect(r.transcriptHash).toBe(first.transcriptHash);
    expect(r.chainCode).toBe(first.chainCode);
    expect(bytesToHex(r.keyPackage.public.commitments[0])).toBe(bytesToHex(first.keyPackage.public.commitments[0]));
  }
  const verified = verifyCertificate(JSON.parse(JSON.stringify(run.certificate)));
  expect(verified.transcriptHash).toBe(first.transcriptHash);
  expect(verified.untweakedGroupKey).toBe(first.untweakedGroupKey);
  expect(verified.outputKey).toBe(first.outputKey);
  expect(verified.chainCode).toBe(dkgChainCode(first.transcriptHash));
  expect(verified.round1Packages).toHaveLength(run.params.participants.length);
}

describe.each([
  [2, 3, [[0, 1], [1, 2], [0, 2]]],
  [3, 5, [[0, 1, 2], [4, 2, 0], [1, 3, 4]]],
  [15, 15, [Array.from({ length: 15 }, (_, i) => i)]],
  [2, 15, [[0, 14], [7, 3]]],
])('FROST DKG %i-of-%i', (t, n, signerSets) => {
  let run: DkgRun;
  beforeAll(() => {
    run = runDkg(t, n, `dkg-${t}-${n}`);
  });

  it('gives every participant the same keys and transcript, and a certificate that verifies', () => {
    expect(run.round2).toHaveLength(n * (n - 1));
    expectAgreement(run);
  });

  it.each(signerSets.map((s) => [s]))('signers %j produce a BIP340 signature under the output key', (signers) => {
    const sig = thresholdSign(run.results, signers, MESSAGE, `sign-${signers.join('-')}`);
    expect(verifiesUnderOutputKey(sig, MESSAGE, run.results[signers[0]])).toBe(true);
  });

  it('the untweaked key is the sum of commitment[0] and the output key its BIP341 tweak', () => {
    const packages = run.round1.map((m) => m.body.package);
    expect(untweakedGroupKey(packages)).toBe(run.results[0].untweakedGroupKey);
    expect(taprootOutputKey(run.results[0].untweakedGroupKey)).toBe(run.results[0].outputKey);
  });
});

describe('coordinator-visible messages carry no secret', () => {
  it.each([[2, 3], [3, 5]])('%i-of-%i: no coefficient, round-2 share, signing share or identity key in any relayed message', (t, n) => {
    const holders = keyholders(n, 'secrets');
    const params = setupParams(t, holders);
    const contexts = holders.map((h) => contextFor(h, 'secrets'));
    const started = holders.map((h) => startDkg(params, h.index, contexts[h.index]));
    const secrets: string[] = started.flatMap((s) => serializeDkgState(s.state).secret.coefficients);
    const round1 = started.map((s) => s.round1Message);
    const second = started.map((s, i) => dkgRound2(s.state, round1, contexts[i]));
    const round2 = second.flatMap((s) => s.round2Messages);
    for (const m of round2) {
      const recipient = Number(BigInt(`0x${m.body.recipient}`)) - 1;
      const share = openShare({ ...m.body, recipientKey: holders[recipient].key }, m.body, holders[recipient].secret, 'test');
      secrets.push(bytesToHex(share));
    }
    // The saved state after round 2 keeps only the polynomial: the shares sent were wiped.
    for (const s of second) expect(JSON.stringify(serializeDkgState(s.state))).not.toMatch(new RegExp(secrets.slice(-round2.length).join('|')));
    const finished = second.map((s, i) => finishDkg(s.state, addressedTo(round2, i), contexts[i]));
    for (const f of finished) secrets.push(bytesToHex(f.result.keyPackage.secret.signingShare));
    for (const h of holders) secrets.push(bytesToHex(h.secret));
    const certificate = assembleCertificate(params, round1, finished.map((f) => f.confirmation));
    const published = JSON.stringify({ round1, round2, confirmations: finished.map((f) => f.confirmation), certificate });
    expect(secrets.length).toBe(n * t + n * (n - 1) + 2 * n);
    for (const secret of secrets) {
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
      expect(published).not.toContain(secret);
    }
  });
});

describe('participant state between rounds', () => {
  it('survives JSON serialisation before each round (as the CLI keeps it) and yields the same key', () => {
    const holders = keyholders(3, 'saved');
    const params = setupParams(2, holders);
    const contexts = holders.map((h) => contextFor(h, 'saved'));
    const reload = (state: DkgState) => parseDkgState(JSON.parse(JSON.stringify(serializeDkgState(state))));
    const started = holders.map((h) => startDkg(params, h.index, contexts[h.index]));
    const round1 = started.map((s) => s.round1Message);
    const second = started.map((s, i) => dkgRound2(reload(s.state), round1, contexts[i]));
    const round2 = second.flatMap((s) => s.round2Messages);
    const reloaded = second.map((s) => reload(s.state));
    expect(reloaded[0].round2Messages).toEqual(second[0].round2Messages);
    const finished = reloaded.map((s, i) => finishDkg(s, addressedTo(round2, i), contexts[i]));
    expect(new Set(finished.map((f) => f.result.transcriptHash)).size).toBe(1);
    const sig = thresholdSign(finished.map((f) => f.result), [2, 0], MESSAGE);
    expect(verifiesUnderOutputKey(sig, MESSAGE, finished[0].result)).toBe(true);
  });

  it('redacts the secret in JSON.stringify and inspect, and refuses to run once wiped', () => {
    const holders = keyholders(2, 'redact');
    const ctx = contextFor(holders[0]);
    const { state, round1Message } = startDkg(setupParams(2, holders), 0, ctx);
    const [a0, a1] = serializeDkgState(state).secret.coefficients;
    for (const text of [JSON.stringify(state), inspect(state, { depth: 10 })]) {
      expect(text).not.toContain(a0);
      expect(text).not.toContain(a1);
      expect(text).toContain('redacted');
    }
    wipeDkgState(state);
    expect(refusal(() => dkgRound2(state, [round1Message], ctx)).code).toBe('FROST_DKG_STATE_INVALID');
    expect(refusal(() => serializeDkgState(state)).code).toBe('FROST_DKG_STATE_INVALID');
  });

  it('refuses a saved state whose polynomial does not match its round-1 commitments', () => {
    const holders = keyholders(3, 'spliced');
    const params = setupParams(2, holders);
    const a = serializeDkgState(startDkg(params, 0, contextFor(holders[0], 'a')).state);
    const b = serializeDkgState(startDkg(params, 0, contextFor(holders[0], 'b')).state);
    expect(refusal(() => parseDkgState({ ...a, secret: b.secret })).code).toBe('FROST_DKG_STATE_INVALID');
    expect(refusal(() => parseDkgState({ ...a, myIndex: 1 })).code).toBe('FROST_DKG_STATE_INVALID');
    expect(refusal(() => parseDkgState({ ...a, step: 'round2' })).code).toBe('FROST_DKG_STATE_INVALID');
    expect(parseDkgState(a).step).toBe('round1');
  });
});

describe('checks that only attribute blame agree with noble', () => {
  it('proofOfKnowledgeValid accepts noble proofs and refuses altered ones', () => {
    for (let i = 1; i <= 4; i++) {
      const pkg = round1PackageFromNoble(schnorr_FROST.DKG.round1(schnorr_FROST.Identifier.fromNumber(i), { min: 2, max: 4 }).public);
      expect(proofOfKnowledgeValid(pkg)).toBe(true);
      const z = pkg.proofOfKnowledge;
      expect(proofOfKnowledgeValid({ ...pkg, proofOfKnowledge: z.slice(0, 126) + (z.endsWith('0') ? '1' : '0') })).toBe(false);
      expect(proofOfKnowledgeValid({ ...pkg, identifier: schnorr_FROST.Identifier.fromNumber(i + 1) })).toBe(false);
    }
  });

  it('shareMatchesCommitment accepts the shares noble computes and refuses others', () => {
    const ids = [1, 2, 3].map((i) => schnorr_FROST.Identifier.fromNumber(i));
    const r1 = ids.map((id) => schnorr_FROST.DKG.round1(id, { min: 2, max: 3 }));
    const shares = schnorr_FROST.DKG.round2(r1[0].secret, [r1[1].public, r1[2].public]);
    const pkg = round1PackageFromNoble(r1[0].public);
    expect(shareMatchesCommitment(ids[1], shares[ids[1]].signingShare, pkg)).toBe(true);
    expect(shareMatchesCommitment(ids[2], shares[ids[1]].signingShare, pkg)).toBe(false);
  });
});
