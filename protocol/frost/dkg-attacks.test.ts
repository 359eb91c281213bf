/**
 * Attacks on the FROST DKG by a hostile coordinator or participant, each by name. Every one
 * must end in a ConclaveError with a stable code that names the participant at fault, never
 * in a key that honest participants would use.
 */
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { dkgRound2, finishDkg, startDkg, type DkgContext } from './dkg';
import { assembleCertificate, verifyCertificate, type DkgCertificate } from './dkg-certificate';
import { DKG_MESSAGE_TYPES, signDkgMessage, type ConfirmBody, type Round1Message, type Round2Body, type Round2Message } from './dkg-messages';
import { setupParamsHash, type FrostSetupParams } from './dkg-params';
import { findRound1Equivocations } from './dkg-round1';
import {
  addressedTo, contextFor, keyholders, NOW, refusal, runDkg, seededRandom, setupParams, type DkgRun, type Keyholder,
} from './dkg.fixture';
import type { DkgState } from './dkg-state';
import { round1PackageFromNoble } from './dkg-transcript';
import { sealShare } from './share-encryption';

interface Started {
  params: FrostSetupParams;
  holders: Keyholder[];
  contexts: DkgContext[];
  round1: Round1Message[];
  states: DkgState[];
}

function start(t: number, n: number, seed: string, setupId?: string): Started {
  const holders = keyholders(n, 'attacks');
  const params = setupParams(t, holders, setupId);
  const contexts = holders.map((h) => contextFor(h, seed));
  const started = holders.map((h) => startDkg(params, h.index, contexts[h.index]));
  return { params, holders, contexts, round1: started.map((s) => s.round1Message), states: started.map((s) => s.state) };
}

function toRound2(s: Started): { states: DkgState[]; round2: Round2Message[] } {
  const second = s.states.map((state, i) => dkgRound2(state, s.round1, s.contexts[i]));
  return { states: second.map((x) => x.state), round2: second.flatMap((x) => x.round2Messages) };
}

/** A round-2 message that participant `from` seals and signs as it likes (a malicious sender). */
function maliciousShare(s: Started, from: number, to: number, share: Uint8Array, recipientKey = s.holders[to].key): Round2Message {
  const paramsHash = setupParamsHash(s.params);
  const sender = schnorr_FROST.Identifier.fromNumber(from + 1);
  const recipient = schnorr_FROST.Identifier.fromNumber(to + 1);
  const sealed = sealShare({ setupId: s.params.setupId, paramsHash, sender, recipient, recipientKey }, share, seededRandom('evil'));
  return signDkgMessage<Round2Body>(DKG_MESSAGE_TYPES.round2, { setupId: s.params.setupId, paramsHash, sender, recipient, ...sealed }, s.contexts[from]);
}

function expectCode(fn: () => unknown, code: string, names?: number): void {
  const error = refusal(fn);
  expect(error.code).toBe(code);
  if (names !== undefined) expect(error.message).toContain(`participant ${names}`);
}

describe('FROST DKG round 1 attacks', () => {
  const s = start(2, 3, 'r1');

  it('a swapped round-1 package (coordinator substitutes its own package for participant 2): signature invalid', () => {
    const forged = round1PackageFromNoble(schnorr_FROST.DKG.round1(s.round1[1].body.package.identifier, { min: 2, max: 3 }).public);
    const swapped = { ...s.round1[1], body: { ...s.round1[1].body, package: forged } };
    expectCode(() => dkgRound2(s.states[0], [s.round1[0], swapped, s.round1[2]], s.contexts[0]), 'FROST_DKG_BAD_SIGNATURE', 2);
  });

  it("a round-1 message moved into another participant's slot is refused as the wrong sender", () => {
    const moved = { ...s.round1[1], body: { ...s.round1[1].body, package: s.round1[2].body.package } };
    expectCode(() => dkgRound2(s.states[0], [s.round1[0], moved, s.round1[2]], s.contexts[0]), 'FROST_DKG_WRONG_SENDER', 2);
  });

  it('a round-1 message signed by the coordinator (not a participant) is refused', () => {
    const outsider = keyholders(1, 'coordinator')[0];
    const forged = signDkgMessage(DKG_MESSAGE_TYPES.round1, s.round1[1].body, contextFor(outsider));
    expectCode(() => dkgRound2(s.states[0], [forged, s.round1[2]], s.contexts[0]), 'FROST_DKG_WRONG_SENDER');
  });

  it('a round-1 package replayed from another setup is refused naming its sender', () => {
    const other = start(2, 3, 'r1-other', 'a7'.repeat(16));
    expectCode(() => dkgRound2(s.states[0], [other.round1[1], s.round1[2]], s.contexts[0]), 'FROST_DKG_WRONG_SETUP', 2);
  });

  it('a round-1 package from a setup with the same id but other params (threshold) is refused', () => {
    const other = start(3, 3, 'r1-threshold');
    expectCode(() => dkgRound2(s.states[0], [other.round1[1], s.round1[2]], s.contexts[0]), 'FROST_DKG_WRONG_SETUP', 2);
  });

  it('a dropped participant: no round-1 message from participant 3 is a clear error', () => {
    const error = refusal(() => dkgRound2(s.states[0], [s.round1[1]], s.contexts[0]));
    expect(error.code).toBe('FROST_DKG_MISSING_MESSAGE');
    expect(error.details).toEqual({ participants: [3] });
    expect(error.message).toContain('participant 3');
  });

  it('a signed proof of knowledge that does not verify names its sender', () => {
    const pkg = s.round1[1].body.package;
    const bad = { ...pkg, proofOfKnowledge: pkg.proofOfKnowledge.slice(0, 64) + s.round1[2].body.package.proofOfKnowledge.slice(64) };
    const resigned = signDkgMessage(DKG_MESSAGE_TYPES.round1, { ...s.round1[1].body, package: bad }, s.contexts[1]);
    const error = refusal(() => dkgRound2(s.states[0], [resigned, s.round1[2]], s.contexts[0]));
    expect(error.code).toBe('FROST_DKG_PACKAGE_INVALID');
    expect(error.details).toEqual({ participant: 2 });
  });

  it('a signed package with the wrong number of commitments or an off-curve commitment names its sender', () => {
    const pkg = s.round1[2].body.package;
    const short = signDkgMessage(DKG_MESSAGE_TYPES.round1, { ...s.round1[2].body, package: { ...pkg, commitment: pkg.commitment.slice(0, 1) } }, s.contexts[2]);
    expectCode(() => dkgRound2(s.states[0], [s.round1[1], short], s.contexts[0]), 'FROST_DKG_PACKAGE_INVALID', 3);
    const offCurve = signDkgMessage(DKG_MESSAGE_TYPES.round1,
      { ...s.round1[2].body, package: { ...pkg, commitment: [pkg.commitment[0], `02${'00'.repeat(31)}07`] } }, s.contexts[2]);
    expectCode(() => dkgRound2(s.states[0], [s.round1[1], offCurve], s.contexts[0]), 'FROST_DKG_PACKAGE_INVALID', 3);
  });
});

describe('FROST DKG round 2 attacks', () => {
  let s: Started;
  let r2: { states: DkgState[]; round2: Round2Message[] };
  beforeAll(() => {
    s = start(2, 3, 'r2');
    r2 = toRound2(s);
  });
  const forMe = () => addressedTo(r2.round2, 0);

  it("a round-2 share for someone else (participant 3's) delivered to participant 1 is misrouted", () => {
    const [from2] = addressedTo(r2.round2, 2).filter((m) => m.signer === s.holders[1].key);
    expectCode(() => finishDkg(r2.states[0], [from2, forMe()[1]], s.contexts[0]), 'FROST_DKG_MISROUTED', 2);
  });

  it('a round-2 share re-addressed by the coordinator breaks the signature', () => {
    const [from2] = addressedTo(r2.round2, 2).filter((m) => m.signer === s.holders[1].key);
    const readdressed = { ...from2, body: { ...from2.body, recipient: schnorr_FROST.Identifier.fromNumber(1) } };
    expectCode(() => finishDkg(r2.states[0], [readdressed, forMe()[1]], s.contexts[0]), 'FROST_DKG_BAD_SIGNATURE', 2);
  });

  it("a round-2 share encrypted to someone else's key (signed by its sender) does not decrypt and names the sender", () => {
    const evil = maliciousShare(s, 1, 0, new Uint8Array(32).fill(1), s.holders[2].key);
    expectCode(() => finishDkg(r2.states[0], [evil, forMe()[1]], s.contexts[0]), 'FROST_DKG_DECRYPT', 2);
  });

  it('a tampered round-2 ciphertext: the signature fails, and if re-signed by the sender, decryption fails', () => {
    const [fromTwo, fromThree] = forMe();
    const flipped = fromTwo.body.ciphertext.slice(0, -2) + (fromTwo.body.ciphertext.endsWith('00') ? '01' : '00');
    const tampered = { ...fromTwo, body: { ...fromTwo.body, ciphertext: flipped } };
    expectCode(() => finishDkg(r2.states[0], [tampered, fromThree], s.contexts[0]), 'FROST_DKG_BAD_SIGNATURE', 2);
    const resigned = signDkgMessage(DKG_MESSAGE_TYPES.round2, tampered.body, s.contexts[1]);
    const error = refusal(() => finishDkg(r2.states[0], [resigned, fromThree], s.contexts[0]));
    expect(error.code).toBe('FROST_DKG_DECRYPT');
    expect(error.message).toContain('participant 2');
  });

  it('a round-2 share replayed from another setup is refused', () => {
    const other = start(2, 3, 'r2-other', 'b8'.repeat(16));
    const otherRound2 = toRound2(other).round2;
    const [replayed] = addressedTo(otherRound2, 0).filter((m) => m.signer === s.holders[1].key);
    expectCode(() => finishDkg(r2.states[0], [replayed, forMe()[1]], s.contexts[0]), 'FROST_DKG_WRONG_SETUP', 2);
  });

  it("a validly sealed share that does not match the sender's commitments names the sender", () => {
    const evil = maliciousShare(s, 2, 0, new Uint8Array(32).fill(9));
    const error = refusal(() => finishDkg(r2.states[0], [forMe()[0], evil], s.contexts[0]));
    expect(error.code).toBe('FROST_DKG_SHARE_INVALID');
    expect(error.details).toEqual({ participant: 3 });
  });

  it('two different shares from one sender are equivocation', () => {
    const evil = maliciousShare(s, 1, 0, new Uint8Array(32).fill(3));
    expectCode(() => finishDkg(r2.states[0], [...forMe(), evil], s.contexts[0]), 'FROST_DKG_EQUIVOCATION', 2);
  });

  it('a dropped participant: no round-2 share from participant 3 is a clear error', () => {
    const error = refusal(() => finishDkg(r2.states[0], [forMe()[0]], s.contexts[0]));
    expect(error.code).toBe('FROST_DKG_MISSING_MESSAGE');
    expect(error.details).toEqual({ participants: [3] });
  });

  it('after refusals the state still finishes with the honest messages', () => {
    const { result } = finishDkg(r2.states[0], forMe(), s.contexts[0]);
    expect(result.outputKey).toMatch(/^[0-9a-f]{64}$/);
    expectCode(() => finishDkg(r2.states[0], forMe(), s.contexts[0]), 'FROST_DKG_STATE_INVALID');
  });
});

describe('FROST DKG equivocation: participant 2 shows participants 1 and 3 different round-1 packages', () => {
  // Participant 2 runs round 1 twice (X for participant 1, Y for participant 3) and answers
  // each with shares from the matching polynomial, so both victims finish without an error.
  const holders = keyholders(3, 'equivocation');
  const params = setupParams(2, holders);
  const ctx = holders.map((h) => contextFor(h, 'equivocation'));
  const one = startDkg(params, 0, ctx[0]);
  const twoX = startDkg(params, 1, ctx[1]);
  const twoY = startDkg(params, 1, { ...ctx[1], randomBytes: seededRandom('second polynomial') });
  const three = startDkg(params, 2, ctx[2]);
  const viewOfOne = [one.round1Message, twoX.round1Message, three.round1Message];
  const viewOfThree = [one.round1Message, twoY.round1Message, three.round1Message];
  const r2One = dkgRound2(one.state, viewOfOne, ctx[0]);
  const r2TwoX = dkgRound2(twoX.state, viewOfOne, ctx[1]);
  const r2TwoY = dkgRound2(twoY.state, viewOfThree, ctx[1]);
  const r2Three = dkgRound2(three.state, viewOfThree, ctx[2]);
  const done1 = finishDkg(r2One.state, [...addressedTo(r2TwoX.round2Messages, 0), ...addressedTo(r2Three.round2Messages, 0)], ctx[0]);
  const done3 = finishDkg(r2Three.state, [...addressedTo(r2One.round2Messages, 2), ...addressedTo(r2TwoY.round2Messages, 2)], ctx[2]);
  const done2 = finishDkg(r2TwoX.state, [...addressedTo(r2One.round2Messages, 1), ...addressedTo(r2Three.round2Messages, 1)], ctx[1]);
  const confirmations = [done1.confirmation, done2.confirmation, done3.confirmation];

  it('each honest participant ends with a different transcript hash and group key', () => {
    expect(done1.result.transcriptHash).not.toBe(done3.result.transcriptHash);
    expect(done1.result.outputKey).not.toBe(done3.result.outputKey);
  });

  it('certificate assembly fails naming participant 2 (coordinator holds the package participant 1 saw)', () => {
    const error = refusal(() => assembleCertificate(params, viewOfOne, confirmations));
    expect(error.code).toBe('FROST_DKG_EQUIVOCATION');
    expect(error.details).toMatchObject({ participants: [2], confirmers: [3] });
    expect(error.message).toContain('participant 2');
  });

  it('certificate assembly fails naming participant 2 (coordinator holds the package participant 3 saw)', () => {
    const error = refusal(() => assembleCertificate(params, viewOfThree, confirmations));
    expect(error.code).toBe('FROST_DKG_EQUIVOCATION');
    expect(error.details).toMatchObject({ participants: [2] });
  });

  it('both signed packages together are signed evidence against participant 2', () => {
    const all = [...viewOfOne, twoY.round1Message];
    const error = refusal(() => assembleCertificate(params, all, confirmations));
    expect(error.code).toBe('FROST_DKG_EQUIVOCATION');
    expect(error.details).toMatchObject({ participants: [2] });
    const found = findRound1Equivocations(params, setupParamsHash(params), all);
    expect(found).toHaveLength(1);
    expect(found[0].participant).toBe(1);
    expect(found[0].messages.map((m) => m.sig).sort()).toEqual([twoX.round1Message.sig, twoY.round1Message.sig].sort());
  });

  it('a participant shown both packages refuses round 2', () => {
    const fresh = startDkg(params, 0, contextFor(holders[0], 'fresh'));
    expectCode(() => dkgRound2(fresh.state, [...viewOfOne.slice(1), twoY.round1Message], ctx[0]), 'FROST_DKG_EQUIVOCATION', 2);
  });

  it('a participant that signs two transcript hashes is named', () => {
    const again = signDkgMessage<ConfirmBody>(DKG_MESSAGE_TYPES.confirm, done3.confirmation.body, ctx[1]);
    expectCode(() => assembleCertificate(params, viewOfOne, [...confirmations, again]), 'FROST_DKG_EQUIVOCATION', 2);
  });
});

describe('FROST DKG certificate attacks', () => {
  let run: DkgRun;
  let cert: DkgCertificate;
  beforeAll(() => {
    run = runDkg(2, 3, 'cert');
    cert = run.certificate;
  });
  const invalid = (c: unknown) => expectCode(() => verifyCertificate(c), 'FROST_DKG_CERTIFICATE_INVALID');

  it('a certificate with one signature missing is refused', () => {
    invalid({ ...cert, confirmations: cert.confirmations.slice(0, 2) });
    const error = refusal(() => verifyCertificate({ ...cert, confirmations: cert.confirmations.slice(0, 2) }));
    expect(error.message).toContain('participant 3');
  });

  it('a certificate with a signature over another transcript hash is refused', () => {
    const body = { ...cert.confirmations[1].body, transcriptHash: 'ab'.repeat(32) };
    const other = signDkgMessage(DKG_MESSAGE_TYPES.confirm, body, run.contexts[1]);
    invalid({ ...cert, confirmations: [cert.confirmations[0], other, cert.confirmations[2]] });
  });

  it("a certificate with another DKG's confirmation is refused", () => {
    const otherRun = runDkg(2, 3, 'cert-other');
    invalid({ ...cert, confirmations: [cert.confirmations[0], otherRun.confirmations[1], cert.confirmations[2]] });
  });

  it('a certificate with an altered round-1 package, reordered or duplicated messages is refused', () => {
    const forged = round1PackageFromNoble(schnorr_FROST.DKG.round1(cert.round1[0].body.package.identifier, { min: 2, max: 3 }).public);
    invalid({ ...cert, round1: [{ ...cert.round1[0], body: { ...cert.round1[0].body, package: forged } }, ...cert.round1.slice(1)] });
    invalid({ ...cert, confirmations: [cert.confirmations[1], cert.confirmations[0], cert.confirmations[2]] });
    invalid({ ...cert, round1: [cert.round1[1], cert.round1[0], cert.round1[2]] });
    invalid({ ...cert, confirmations: [...cert.confirmations, cert.confirmations[0]] });
    invalid({ ...cert, params: { ...cert.params, threshold: 3 } });
    invalid({ ...cert, extra: true });
  });

  it("a valid certificate for another DKG is refused against a participant's own transcript hash", () => {
    const otherRun = runDkg(2, 3, 'cert-mine');
    expect(verifyCertificate(cert, { transcriptHash: run.results[1].transcriptHash }).outputKey).toBe(run.results[1].outputKey);
    expectCode(() => verifyCertificate(otherRun.certificate, { transcriptHash: run.results[1].transcriptHash }), 'FROST_DKG_CERTIFICATE_INVALID');
  });

  it('certificate assembly waits for every confirmation', () => {
    const error = refusal(() => assembleCertificate(run.params, run.round1, run.confirmations.slice(1)));
    expect(error.code).toBe('FROST_DKG_MISSING_MESSAGE');
    expect(error.details).toEqual({ participants: [1] });
  });

  it('a confirmation over another hash stops assembly, naming its signer', () => {
    const body = { ...run.confirmations[2].body, transcriptHash: 'cd'.repeat(32) };
    const other = signDkgMessage(DKG_MESSAGE_TYPES.confirm, body, run.contexts[2]);
    const error = refusal(() => assembleCertificate(run.params, run.round1, [run.confirmations[0], run.confirmations[1], other]));
    expect(error.code).toBe('FROST_DKG_EQUIVOCATION');
    expect(error.details).toMatchObject({ participants: [], confirmers: [3] });
    expect(error.message).toContain('participant 3');
  });
});

describe('FROST DKG setup params', () => {
  const holders = keyholders(16, 'params');
  const ctx = contextFor(holders[0]);
  const startWith = (params: unknown, index = 0, c = ctx) => () => startDkg(params, index, c);

  it.each([
    ['t = 1', 1, 3],
    ['t = n + 1', 4, 3],
    ['n = 16', 2, 16],
    ['n = 1', 2, 1],
    ['t = 0', 0, 3],
    ['t not an integer', 2.5, 3],
  ])('t out of range (%s) is refused', (_, t, n) => {
    expectCode(startWith(setupParams(t, holders.slice(0, n))), 'FROST_DKG_PARAMS_INVALID');
  });

  it('duplicate identity keys are refused', () => {
    const params = setupParams(2, [holders[0], holders[1], holders[0]]);
    const error = refusal(startWith(params));
    expect(error.code).toBe('FROST_DKG_PARAMS_INVALID');
    expect(error.message).toContain('participants.2.identityKey');
  });

  it('an identity key that is not on the curve, a bad setup id or an unknown field is refused', () => {
    const good = setupParams(2, holders.slice(0, 3));
    // x = 5 is not the x coordinate of any secp256k1 point.
    expectCode(startWith({ ...good, participants: [...good.participants.slice(0, 2), { identityKey: `${'00'.repeat(31)}05` }] }), 'FROST_DKG_PARAMS_INVALID');
    expectCode(startWith({ ...good, setupId: 'not-hex' }), 'FROST_DKG_PARAMS_INVALID');
    expectCode(startWith({ ...good, coordinatorNote: 'x' }), 'FROST_DKG_PARAMS_INVALID');
  });

  it('an identity secret that is not the key of participant myIndex, or an index out of range, is refused', () => {
    const good = setupParams(2, holders.slice(0, 3));
    expectCode(startWith(good, 1), 'FROST_DKG_PARAMS_INVALID');
    expectCode(startWith(good, 3), 'FROST_DKG_PARAMS_INVALID');
  });

  it('messages are bound to the exact params: a participant-order change is another setup', () => {
    const a = setupParams(2, holders.slice(0, 3));
    const b = { ...a, participants: [a.participants[1], a.participants[0], a.participants[2]] };
    expect(setupParamsHash(a)).not.toBe(setupParamsHash(b));
  });
});

describe('FROST DKG message time and identity', () => {
  it('envelopes are not refused for age: a DKG may run by file over days', () => {
    const s = start(2, 3, 'slow');
    const later: DkgContext = { ...s.contexts[0], now: new Date(NOW.getTime() + 3 * 24 * 3600 * 1000) };
    expect(() => dkgRound2(s.states[0], s.round1, later)).not.toThrow();
  });

  it('a round run with another identity key is refused', () => {
    const s = start(2, 3, 'identity');
    expectCode(() => dkgRound2(s.states[0], s.round1, s.contexts[1]), 'FROST_DKG_STATE_INVALID');
  });

  it('hex in messages is the lowercase form everyone hashes', () => {
    const s = start(2, 3, 'hex');
    const upper = { ...s.round1[1], sig: s.round1[1].sig.toUpperCase() };
    expectCode(() => dkgRound2(s.states[0], [upper, s.round1[2]], s.contexts[0]), 'FROST_DKG_MESSAGE_INVALID');
  });
});
