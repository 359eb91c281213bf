/**
 * FROST signing rounds in the audit log: each keyholder's commitment and share statement is
 * bound to the withdrawal (and its intent hash) it names, shares and failures to a session the
 * log opened for that withdrawal. Each test is a rewrite a coordinator holding its own key could
 * make, which verification must still refuse.
 */
import { canonicalJson } from '../canonical-json';
import { signEnvelope } from '../envelope';
import { FROST_SIGN_MESSAGE_TYPES } from '../frost/signing-api';
import {
  ALICE_SECRET, BOB_SECRET, COORDINATOR_KEY, COORDINATOR_SECRET, SAMPLE_VAULT_ID, SAMPLE_WITHDRAWAL_ID,
  type EventSpec, buildAuditChain, counterBytes, grownSpecs, relinkFrom, sampleStatements,
} from '../../test/support/audit-chain-fixture';
import { type AuditRecord, verifyAuditChain } from '.';

const SESSION_ID = '3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b';
const OTHER_SESSION_ID = '4d5e6f70-8192-43a4-b5c6-d7e8f90a1b2c';
const OTHER_WITHDRAWAL_ID = '8b3e4c60-af5d-4e7c-9091-2c3d4e5f6071';
const POINT = `02${'11'.repeat(32)}`;
const UNSIGNED_TXID = 'ef'.repeat(32);

const verify = (records: readonly AuditRecord[]) => verifyAuditChain(records, { coordinatorKey: COORDINATOR_KEY });
const refusedAt = (seq: number, reason: RegExp) => ({ valid: false, code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: seq, reason: expect.stringMatching(reason) });

function commitBody(overrides: Record<string, unknown> = {}) {
  return {
    withdrawalId: SAMPLE_WITHDRAWAL_ID, vaultId: SAMPLE_VAULT_ID, intentHash: sampleStatements().intentHash, unsignedTxid: UNSIGNED_TXID,
    commitmentId: 'c0'.repeat(16), inputs: [{ input: 0, hiding: POINT, binding: POINT }], ...overrides,
  };
}

function shareBody(overrides: Record<string, unknown> = {}) {
  return {
    withdrawalId: SAMPLE_WITHDRAWAL_ID, sessionId: SESSION_ID, intentHash: sampleStatements().intentHash, unsignedTxid: UNSIGNED_TXID,
    commitmentId: 'c0'.repeat(16), shares: [{ input: 0, share: '01'.repeat(32) }], ...overrides,
  };
}

/** The grown sample history, then a FROST round: two commitments, a session, a share, a failure. */
function frostSpecs(): EventSpec[] {
  const commit = FROST_SIGN_MESSAGE_TYPES.commit;
  return [
    ...grownSpecs(),
    { kind: 'frost.commitment.received', by: ALICE_SECRET, type: commit, subject: SAMPLE_WITHDRAWAL_ID, body: commitBody({ commitmentId: 'a0'.repeat(16) }), payload: { commitmentId: 'a0'.repeat(16) } },
    { kind: 'frost.commitment.received', by: BOB_SECRET, type: commit, subject: SAMPLE_WITHDRAWAL_ID, body: commitBody(), payload: { commitmentId: 'c0'.repeat(16) } },
    { kind: 'frost.session.opened', subject: SAMPLE_WITHDRAWAL_ID, payload: { sessionId: SESSION_ID, signers: ['a', 'b'] } },
    { kind: 'frost.share.received', by: BOB_SECRET, type: FROST_SIGN_MESSAGE_TYPES.share, subject: SAMPLE_WITHDRAWAL_ID, body: shareBody(), payload: { sessionId: SESSION_ID, count: 1 } },
    { kind: 'frost.session.failed', subject: SAMPLE_WITHDRAWAL_ID, payload: { sessionId: SESSION_ID, code: 'FROST_SHARE_INVALID', identityKey: 'b' } },
  ];
}

function rewriteWithKey(records: readonly AuditRecord[], seq: number, change: (r: AuditRecord) => void): AuditRecord[] {
  const copy = records.map((r) => ({ ...r }));
  change(copy[seq - 1]!);
  return relinkFrom(copy, seq, COORDINATOR_SECRET);
}

describe('audit evidence of FROST signing rounds', () => {
  const chain = buildAuditChain(frostSpecs());
  const seqOf = (kind: string) => chain.findIndex((r) => r.kind === kind) + 1;

  test('the honest round verifies with every commitment and share bound', () => {
    expect(verify(chain)).toMatchObject({ valid: true, count: 13, verified: { evidence: 9 } });
  });

  test('a commitment moved to another withdrawal, or recorded under another commitment id, is refused', () => {
    const seq = seqOf('frost.commitment.received');
    expect(verify(rewriteWithKey(chain, seq, (r) => { r.subject = OTHER_WITHDRAWAL_ID; }))).toMatchObject(refusedAt(seq, /subject is recorded as .*8b3e4c60/));
    expect(verify(rewriteWithKey(chain, seq, (r) => { r.payload = canonicalJson({ commitmentId: 'ff'.repeat(16) }); }))).toMatchObject(refusedAt(seq, /payload\.commitmentId/));
  });

  test('a commitment to another intent than the withdrawal\'s is refused', () => {
    const seq = seqOf('frost.commitment.received');
    const other = signEnvelope(FROST_SIGN_MESSAGE_TYPES.commit, commitBody({ intentHash: 'ab'.repeat(32), commitmentId: 'a0'.repeat(16) }), ALICE_SECRET, {
      now: new Date('2026-03-02T12:00:00Z'), randomBytes: counterBytes(900),
    });
    expect(verify(rewriteWithKey(chain, seq, (r) => { r.evidence = canonicalJson(other); }))).toMatchObject(refusedAt(seq, /committed intent hash/));
  });

  test('a share for a session the log never opened, or recorded for another session, is refused', () => {
    const seq = seqOf('frost.share.received');
    const stray = signEnvelope(FROST_SIGN_MESSAGE_TYPES.share, shareBody({ sessionId: OTHER_SESSION_ID }), BOB_SECRET, {
      now: new Date('2026-03-02T12:00:00Z'), randomBytes: counterBytes(700),
    });
    expect(verify(rewriteWithKey(chain, seq, (r) => {
      r.evidence = canonicalJson(stray);
      r.payload = canonicalJson({ sessionId: OTHER_SESSION_ID, count: 1 });
    }))).toMatchObject(refusedAt(seq, /FROST session 4d5e6f70.* was not opened earlier/));
    expect(verify(rewriteWithKey(chain, seq, (r) => { r.payload = canonicalJson({ sessionId: OTHER_SESSION_ID, count: 1 }); })))
      .toMatchObject(refusedAt(seq, /payload\.sessionId/));
  });

  test('a session opened twice, or failed for another withdrawal than its own, is refused', () => {
    const opened = chain[seqOf('frost.session.opened') - 1]!;
    const twice = relinkFrom([...chain, { ...opened, seq: chain.length + 1 }], chain.length + 1, COORDINATOR_SECRET);
    expect(verify(twice)).toMatchObject(refusedAt(chain.length + 1, /already opened earlier/));
    const failed = seqOf('frost.session.failed');
    expect(verify(rewriteWithKey(chain, failed, (r) => { r.subject = OTHER_WITHDRAWAL_ID; }))).toMatchObject(refusedAt(failed, /withdrawal 8b3e4c60.* does not appear earlier/));
    expect(verify(rewriteWithKey(chain, failed, (r) => { r.payload = canonicalJson({ sessionId: OTHER_SESSION_ID, code: 'FROST_SESSION_TIMEOUT', identityKey: null }); })))
      .toMatchObject(refusedAt(failed, /was not opened earlier/));
  });

  test('a session opened for a withdrawal the log never introduced is refused', () => {
    const seq = seqOf('frost.session.opened');
    expect(verify(rewriteWithKey(chain, seq, (r) => { r.subject = OTHER_WITHDRAWAL_ID; }))).toMatchObject(refusedAt(seq, /withdrawal 8b3e4c60.* does not appear earlier/));
  });
});
