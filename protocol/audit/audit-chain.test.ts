/**
 * The audit log's verification (DESIGN.md invariant 6; issue 3, point 4). Each attack is its
 * own test and names the code a verifier reports: an edited, deleted or reordered event breaks
 * the chain; an attacker who relinks the chain without the coordinator key fails on its
 * signatures; evidence must be the actor's own valid statement of the right type; and a
 * coordinator that re-signs a rewritten history is caught only by the heads signers saw.
 */
import { canonicalJson } from '../canonical-json';
import { MESSAGE_TYPES } from '../api';
import { signEnvelope } from '../envelope';
import {
  ALICE, ALICE_SECRET, BOB, BOB_SECRET, COORDINATOR_KEY, COORDINATOR_SECRET, buildAuditChain, counterBytes, grownSpecs, sampleStatements, relinkFrom, sampleSpecs, toAuditView,
} from '../../test/support/audit-chain-fixture';
import {
  type AuditRecord, auditRecordFromView, findRewrittenHeads, rememberHead, signAuditHead, verifyAuditChain, verifyAuditHeadSignature,
} from '.';

const verify = (records: readonly AuditRecord[], expectedHead?: { seq: number; hash: string }) =>
  verifyAuditChain(records, { coordinatorKey: COORDINATOR_KEY, expectedHead });

/** Changes one event and relinks the chain from it with the coordinator key: only its content is wrong. */
function rewriteWithKey(records: AuditRecord[], seq: number, change: (r: AuditRecord) => void): AuditRecord[] {
  const copy = records.map((r) => ({ ...r }));
  change(copy[seq - 1]!);
  return relinkFrom(copy, seq, COORDINATOR_SECRET);
}

describe('audit chain verification', () => {
  const chain = buildAuditChain(sampleSpecs());

  test('an honest log verifies: every link, every coordinator signature, every piece of evidence', () => {
    expect(verify(chain, { seq: 5, hash: chain[4]!.hash })).toEqual({
      valid: true, count: 5, headSeq: 5, head: chain[4]!.hash, firstBadSeq: null, code: null, reason: null,
      verified: { links: 5, coordinatorSignatures: 5, evidence: 4 },
    });
    expect(verify([])).toMatchObject({ valid: true, count: 0, headSeq: 0 });
  });

  test('an edited event breaks the chain at that event', () => {
    const edited = chain.map((r) => ({ ...r }));
    edited[1]!.payload = canonicalJson({ name: 'mallory' });
    expect(verify(edited)).toMatchObject({ valid: false, code: 'AUDIT_CHAIN_BROKEN', firstBadSeq: 2, headSeq: 1, reason: expect.stringMatching(/edited/) });
  });

  test('a deleted event breaks the chain at the next one', () => {
    expect(verify([chain[0]!, chain[2]!, chain[3]!])).toMatchObject({ valid: false, code: 'AUDIT_CHAIN_BROKEN', firstBadSeq: 3, reason: expect.stringMatching(/missing/) });
  });

  test('reordered events break the chain, even with their seqs swapped back', () => {
    expect(verify([chain[0]!, chain[2]!, chain[1]!, chain[3]!])).toMatchObject({ valid: false, code: 'AUDIT_CHAIN_BROKEN', firstBadSeq: 3 });
    const swapped = [chain[0]!, { ...chain[2]!, seq: 2 }, { ...chain[1]!, seq: 3 }, chain[3]!];
    expect(verify(swapped)).toMatchObject({ valid: false, code: 'AUDIT_CHAIN_BROKEN', firstBadSeq: 2 });
  });

  test('a truncated log is caught against the expected head', () => {
    expect(verify(chain.slice(0, 4), { seq: 5, hash: chain[4]!.hash })).toMatchObject({ valid: false, code: 'AUDIT_CHAIN_BROKEN', reason: expect.stringMatching(/truncated/) });
  });

  test('an edit relinked without the coordinator key fails on the coordinator signature', () => {
    const edited = chain.map((r) => ({ ...r }));
    edited[1]!.payload = canonicalJson({ name: 'mallory' });
    expect(verify(relinkFrom(edited, 2))).toMatchObject({
      valid: false, code: 'AUDIT_COORDINATOR_SIG_INVALID', firstBadSeq: 2, verified: { links: 2, coordinatorSignatures: 1 },
    });
  });

  test('a bad coordinator signature is refused: another key, another event\'s signature, none at all', () => {
    const otherKey = chain.map((r) => ({ ...r }));
    otherKey[2]!.coordinatorSig = signAuditHead({ seq: 3, hash: chain[2]!.hash }, new Uint8Array(32).fill(0x66), new Uint8Array(32));
    expect(verify(otherKey)).toMatchObject({ code: 'AUDIT_COORDINATOR_SIG_INVALID', firstBadSeq: 3 });
    const moved = chain.map((r) => ({ ...r }));
    moved[2]!.coordinatorSig = chain[1]!.coordinatorSig;
    expect(verify(moved)).toMatchObject({ code: 'AUDIT_COORDINATOR_SIG_INVALID', firstBadSeq: 3 });
    const none = chain.map((r) => ({ ...r }));
    none[0]!.coordinatorSig = null;
    expect(verify(none)).toMatchObject({ code: 'AUDIT_COORDINATOR_SIG_INVALID', firstBadSeq: 1 });
    // A whole log signed by another coordinator is not the pinned coordinator's.
    expect(verifyAuditChain(chain, { coordinatorKey: ALICE })).toMatchObject({ code: 'AUDIT_COORDINATOR_SIG_INVALID', firstBadSeq: 1 });
  });

  test('the coordinator signature binds the seq: the same hash signed at another seq does not verify', () => {
    const head = { seq: 3, hash: chain[2]!.hash };
    expect(verifyAuditHeadSignature(head, chain[2]!.coordinatorSig, COORDINATOR_KEY)).toBe(true);
    expect(verifyAuditHeadSignature({ ...head, seq: 4 }, chain[2]!.coordinatorSig, COORDINATOR_KEY)).toBe(false);
    expect(verifyAuditHeadSignature(head, 'zz', COORDINATOR_KEY)).toBe(false);
  });

  test('evidence signed by someone other than the actor is refused', () => {
    // Bob's statement, recorded as Alice's act (and re-signed by the coordinator).
    const forged = rewriteWithKey(chain, 3, (r) => {
      r.evidence = canonicalJson(signEnvelope(MESSAGE_TYPES.vaultCreate, sampleStatements().vaultCreate, BOB_SECRET, { now: new Date('2026-03-02T12:00:00Z'), randomBytes: counterBytes(7) }));
    });
    expect(forged[2]!.actor).toBe(ALICE);
    expect(verify(forged)).toMatchObject({ valid: false, code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: 3, reason: expect.stringContaining(`signed by ${BOB}, not by the actor ${ALICE}`) });
  });

  test('evidence whose signature was forged is refused', () => {
    const forged = rewriteWithKey(chain, 1, (r) => {
      const envelope = JSON.parse(r.evidence!) as { body: unknown };
      envelope.body = { name: 'mallory' };
      r.evidence = canonicalJson(envelope);
    });
    expect(verify(forged)).toMatchObject({ valid: false, code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: 1, reason: expect.stringMatching(/ENVELOPE_BAD_SIGNATURE/) });
  });

  test('evidence of another message type than the kind implies is refused', () => {
    const wrongType = buildAuditChain([{ kind: 'vault.created', by: ALICE_SECRET, type: MESSAGE_TYPES.withdrawalSignature }]);
    expect(verify(wrongType)).toMatchObject({ valid: false, code: 'AUDIT_EVIDENCE_INVALID', reason: expect.stringMatching(/ENVELOPE_WRONG_TYPE/) });
  });

  test('a member\'s act without evidence, a coordinator step with an actor, and an unknown kind are refused', () => {
    const noEvidence = rewriteWithKey(chain, 2, (r) => { r.evidence = null; });
    expect(verify(noEvidence)).toMatchObject({ code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: 2, reason: expect.stringMatching(/no evidence/) });
    const stepWithActor = rewriteWithKey(chain, 5, (r) => { r.actor = ALICE; });
    expect(verify(stepWithActor)).toMatchObject({ code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: 5, reason: expect.stringMatching(/coordinator step/) });
    const unknown = rewriteWithKey(chain, 5, (r) => { r.kind = 'funds.moved'; });
    expect(verify(unknown)).toMatchObject({ code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: 5, reason: expect.stringMatching(/unknown kind/) });
    const garbage = rewriteWithKey(chain, 4, (r) => { r.evidence = '{not json'; });
    expect(verify(garbage)).toMatchObject({ code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: 4 });
  });

  test('the REST view of an event maps back to exactly what was hashed', () => {
    for (const record of chain) expect(auditRecordFromView(toAuditView(record) as Parameters<typeof auditRecordFromView>[0])).toEqual(record);
    expect(() => auditRecordFromView({ ...(toAuditView(chain[0]!) as Parameters<typeof auditRecordFromView>[0]), payload: { x: 0.5 } })).toThrow(expect.objectContaining({ code: 'AUDIT_CHAIN_BROKEN' }));
  });
});

describe('heads a signer saw', () => {
  const chain = buildAuditChain(sampleSpecs());
  const seen = [{ seq: 2, hash: chain[1]!.hash }, { seq: 5, hash: chain[4]!.hash }];

  test('a coordinator claim rewritten with the coordinator key verifies as a chain, but not against the heads seen before', () => {
    const rewritten = rewriteWithKey(chain, 5, (r) => { r.payload = canonicalJson({ keyholders: 3 }); });
    expect(verify(rewritten).valid).toBe(true);
    expect(findRewrittenHeads(rewritten, seen)).toEqual([{ seq: 5, seenHash: chain[4]!.hash, nowHash: rewritten[4]!.hash }]);
  });

  test('a truncated history lacks a head seen before', () => {
    expect(findRewrittenHeads(chain.slice(0, 3), seen)).toEqual([{ seq: 5, seenHash: chain[4]!.hash, nowHash: null }]);
  });

  test('honest growth keeps every head seen before', () => {
    const grown = buildAuditChain(grownSpecs());
    expect(grown.slice(0, 5)).toEqual(chain);
    expect(findRewrittenHeads(grown, seen)).toEqual([]);
  });

  test('remembering heads: sorted, a repeat is known, another hash at a known seq is a conflict, storage is bounded', () => {
    let heads = rememberHead([], { seq: 4, hash: 'b'.repeat(64) }).heads;
    heads = rememberHead(heads, { seq: 2, hash: 'a'.repeat(64) }).heads;
    expect(heads.map((h) => h.seq)).toEqual([2, 4]);
    expect(rememberHead(heads, { seq: 4, hash: 'b'.repeat(64) }).status).toBe('known');
    expect(rememberHead(heads, { seq: 4, hash: 'c'.repeat(64) })).toMatchObject({ status: 'conflict', previous: { seq: 4, hash: 'b'.repeat(64) }, heads });
    let many: Array<{ seq: number; hash: string }> = [];
    for (let seq = 1; seq <= 30; seq++) many = rememberHead(many, { seq, hash: seq.toString(16).padStart(64, '0') }, 10).heads;
    expect(many.map((h) => h.seq)).toEqual([1, ...Array.from({ length: 10 }, (_, i) => 21 + i)]);
  });
});
