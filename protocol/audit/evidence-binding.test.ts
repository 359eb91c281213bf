/**
 * Evidence bound to its event: each test is a rewrite that a coordinator holding its own key
 * could make (the chain and its signatures stay valid), which verification must still refuse
 * because the event no longer says what the member signed.
 */
import { canonicalJson } from '../canonical-json';
import { MESSAGE_TYPES } from '../api';
import { signEnvelope } from '../envelope';
import {
  ALICE_SECRET, BOB_SECRET, COORDINATOR_KEY, COORDINATOR_SECRET, SAMPLE_VAULT_ID, SAMPLE_WITHDRAWAL_ID,
  type EventSpec, buildAuditChain, counterBytes, grownSpecs, relinkFrom, sampleStatements,
} from '../../test/support/audit-chain-fixture';
import { type AuditRecord, verifyAuditChain } from '.';

const OTHER_WITHDRAWAL_ID = '8b3e4c60-af5d-4e7c-9091-2c3d4e5f6071';
const verify = (records: readonly AuditRecord[]) => verifyAuditChain(records, { coordinatorKey: COORDINATOR_KEY });

function rewriteWithKey(records: readonly AuditRecord[], seq: number, change: (r: AuditRecord) => void): AuditRecord[] {
  const copy = records.map((r) => ({ ...r }));
  change(copy[seq - 1]!);
  return relinkFrom(copy, seq, COORDINATOR_SECRET);
}

const refusedAt = (seq: number, reason: RegExp) => ({ valid: false, code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: seq, reason: expect.stringMatching(reason) });

describe('audit evidence bound to its event', () => {
  const chain = buildAuditChain(grownSpecs());
  const approvalSeq = chain.findIndex((r) => r.kind === 'approval.received') + 1;

  test('the honest history verifies with every statement bound', () => {
    expect(verify(chain)).toMatchObject({ valid: true, count: 8, verified: { evidence: 6 } });
  });

  test('an approval moved to another withdrawal is refused', () => {
    const moved = rewriteWithKey(chain, approvalSeq, (r) => { r.subject = OTHER_WITHDRAWAL_ID; });
    expect(verify(moved)).toMatchObject(refusedAt(approvalSeq, /subject is recorded as .*8b3e4c60.*but the signed statement says .*7a2d3b5f/));
  });

  test('an approval of another intent recorded for this withdrawal is refused', () => {
    const s = sampleStatements();
    const other = signEnvelope(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: SAMPLE_WITHDRAWAL_ID, vaultId: SAMPLE_VAULT_ID, intentHash: 'ab'.repeat(32) }, BOB_SECRET, {
      now: new Date('2026-03-02T12:00:00Z'), randomBytes: counterBytes(900),
    });
    expect(s.intentHash).not.toBe('ab'.repeat(32));
    const swapped = rewriteWithKey(chain, approvalSeq, (r) => { r.evidence = canonicalJson(other); });
    expect(verify(swapped)).toMatchObject(refusedAt(approvalSeq, /approved intent hash/));
  });

  test('one statement replayed as a second event is refused (the same nonce twice)', () => {
    const approval = chain[approvalSeq - 1]!;
    const doubled = relinkFrom([...chain, { ...approval, seq: chain.length + 1 }], chain.length + 1, COORDINATOR_SECRET);
    expect(verify(doubled)).toMatchObject(refusedAt(chain.length + 1, /evidence reused: statement [0-9a-f]{32} by [0-9a-f]{64}/));
  });

  test('a member\'s join recorded under another name or account key is refused', () => {
    expect(verify(rewriteWithKey(chain, 1, (r) => { r.payload = canonicalJson({ ...JSON.parse(r.payload), name: 'mallory' }); })))
      .toMatchObject(refusedAt(1, /payload\.name is recorded as "mallory", but the signed statement says "alice"/));
    const bobKey = sampleStatements().bobJoin.accountKey;
    expect(verify(rewriteWithKey(chain, 1, (r) => { r.payload = canonicalJson({ name: 'alice', accountKey: bobKey }); })))
      .toMatchObject(refusedAt(1, /payload\.accountKey/));
  });

  test('a vault recorded with another descriptor, threshold or policy than the creator signed is refused', () => {
    const created = (change: Record<string, unknown>) => rewriteWithKey(chain, 3, (r) => { r.payload = canonicalJson({ ...JSON.parse(r.payload), ...change }); });
    expect(verify(created({ threshold: 1 }))).toMatchObject(refusedAt(3, /payload\.threshold/));
    expect(verify(created({ policyHash: '00'.repeat(32) }))).toMatchObject(refusedAt(3, /payload\.policyHash/));
    const otherDescriptor = sampleStatements().descriptor.replace('sortedmulti(2,', 'sortedmulti(1,');
    expect(verify(created({ descriptor: otherDescriptor }))).toMatchObject(refusedAt(3, /payload\.descriptor/));
  });

  test('a confirmation recorded for another vault, or a coordinator step for a subject never introduced, is refused', () => {
    expect(verify(rewriteWithKey(chain, 4, (r) => { r.subject = OTHER_WITHDRAWAL_ID; }))).toMatchObject(refusedAt(4, /subject/));
    expect(verify(rewriteWithKey(chain, 5, (r) => { r.subject = OTHER_WITHDRAWAL_ID; }))).toMatchObject(refusedAt(5, /vault 8b3e4c60.* does not appear earlier/));
    const awaiting = chain.findIndex((r) => r.kind === 'withdrawal.awaiting_approval') + 1;
    expect(verify(rewriteWithKey(chain, awaiting, (r) => { r.subject = null; }))).toMatchObject(refusedAt(awaiting, /no subject/));
  });

  test('a proposal recorded with another intent hash, or introducing a withdrawal id twice, is refused', () => {
    const proposed = chain.findIndex((r) => r.kind === 'withdrawal.proposed') + 1;
    expect(verify(rewriteWithKey(chain, proposed, (r) => { r.payload = canonicalJson({ vaultId: SAMPLE_VAULT_ID, intentHash: 'cd'.repeat(32) }); })))
      .toMatchObject(refusedAt(proposed, /payload\.intentHash/));
    const s = sampleStatements();
    const again: EventSpec = { kind: 'withdrawal.proposed', by: ALICE_SECRET, subject: SAMPLE_WITHDRAWAL_ID, body: { ...s.intent, requestId: 'payout-2' }, payload: { vaultId: SAMPLE_VAULT_ID, intentHash: 'x' } };
    expect(verify(buildAuditChain([...grownSpecs(), again]))).toMatchObject(refusedAt(9, /already introduced/));
  });

  test('a broadcast retry recorded for another transaction or withdrawal than the member named is refused', () => {
    const txid = 'ef'.repeat(32);
    const retried = buildAuditChain([...grownSpecs(), {
      kind: 'withdrawal.broadcast-retried', by: BOB_SECRET, type: MESSAGE_TYPES.withdrawalBroadcastRetry, subject: SAMPLE_WITHDRAWAL_ID,
      body: { withdrawalId: SAMPLE_WITHDRAWAL_ID, txid }, payload: { txid, refusedReason: 'min relay fee not met' },
    }]);
    const seq = retried.length;
    expect(verify(retried)).toMatchObject({ valid: true, verified: { evidence: 7 } });
    expect(verify(rewriteWithKey(retried, seq, (r) => { r.payload = canonicalJson({ txid: '01'.repeat(32), refusedReason: null }); })))
      .toMatchObject(refusedAt(seq, /payload\.txid is recorded as "0101/));
    expect(verify(rewriteWithKey(retried, seq, (r) => { r.subject = OTHER_WITHDRAWAL_ID; }))).toMatchObject(refusedAt(seq, /subject/));
  });

  test('a statement whose body is not a valid statement of its type is refused', () => {
    const garbage = buildAuditChain([{ kind: 'member.joined', by: ALICE_SECRET, subject: 'm', body: { n: 1 }, payload: {} }]);
    expect(verify(garbage)).toMatchObject(refusedAt(1, /not a valid statement of its type/));
  });
});
