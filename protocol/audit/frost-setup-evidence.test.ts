/**
 * FROST key generation in the audit log: every DKG message is its sender's statement, bound to
 * the setup the log opened, and a FROST vault must be exactly the key the logged round-1
 * packages give, confirmed by all n participants. Each test is a rewrite a coordinator holding
 * its own key could make (chain and signatures stay valid), which verification must refuse.
 */
import { canonicalJson } from '../canonical-json';
import { DKG_MESSAGE_TYPES, FROST_SETUP_OPEN, frostVaultFromCertificate, startDkg, verifyCertificate } from '../frost';
import { contextFor, runDkg, type DkgRun } from '../frost/dkg.fixture';
import { policyHash } from '../policy';
import { COORDINATOR_KEY, COORDINATOR_SECRET, type EventSpec, buildAuditChain, relinkFrom } from '../../test/support/audit-chain-fixture';
import { type AuditRecord, verifyAuditChain } from '.';

const VAULT_ID = '9c4f5d71-b06e-4f8d-a1a2-3d4e5f607182';
const OTHER_SETUP_ID = 'ab'.repeat(16);
const EXPIRES_AT = '2026-03-03T12:00:00.000Z';

const verify = (records: readonly AuditRecord[]) => verifyAuditChain(records, { coordinatorKey: COORDINATOR_KEY });
const refusedAt = (seq: number, reason: RegExp) => ({ valid: false, code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: seq, reason: expect.stringMatching(reason) });

function rewriteWithKey(records: readonly AuditRecord[], seq: number, change: (r: AuditRecord) => void): AuditRecord[] {
  const copy = records.map((r) => ({ ...r }));
  change(copy[seq - 1]!);
  return relinkFrom(copy, seq, COORDINATOR_SECRET);
}

/** The events an honest coordinator logs for `run`, as server/frost-setups writes them. */
function dkgSpecs(run: DkgRun): EventSpec[] {
  const { params, holders } = run;
  const setupId = params.setupId;
  const index = (key: string) => holders.findIndex((h) => h.key === key);
  const verified = verifyCertificate(run.certificate);
  const vault = frostVaultFromCertificate(verified, 'regtest');
  return [
    {
      kind: 'frost.setup.opened', by: holders[0].secret, type: FROST_SETUP_OPEN, subject: setupId, body: { params, expiresAt: EXPIRES_AT },
      payload: {
        paramsHash: verified.paramsHash, network: 'regtest', threshold: params.threshold, participants: holders.map((h) => h.key),
        vaultName: params.vault.name, policyHash: policyHash(params.vault.policy), expiresAt: EXPIRES_AT,
      },
    },
    ...run.round1.map((m): EventSpec => ({ kind: 'frost.round1', by: holders[index(m.signer)].secret, type: DKG_MESSAGE_TYPES.round1, subject: setupId, body: m.body, payload: { participant: index(m.signer) + 1 } })),
    ...run.round2.map((m): EventSpec => ({
      kind: 'frost.round2', by: holders[index(m.signer)].secret, type: DKG_MESSAGE_TYPES.round2, subject: setupId, body: m.body,
      payload: { participant: index(m.signer) + 1, recipient: Number.parseInt(m.body.recipient, 16) },
    })),
    ...run.confirmations.map((m): EventSpec => ({
      kind: 'frost.confirmed', by: holders[index(m.signer)].secret, type: DKG_MESSAGE_TYPES.confirm, subject: setupId, body: m.body,
      payload: { participant: index(m.signer) + 1, transcriptHash: m.body.transcriptHash },
    })),
    {
      kind: 'frost.vault.created', subject: VAULT_ID,
      payload: { setupId, descriptor: vault.descriptor, transcriptHash: verified.transcriptHash, name: params.vault.name, threshold: params.threshold, policyHash: policyHash(params.vault.policy) },
    },
    { kind: 'vault.activated', subject: VAULT_ID, payload: { keyholders: holders.length } },
  ];
}

describe('audit evidence of a FROST key generation', () => {
  const run = runDkg(2, 3, 'audit/frost-setup');
  const specs = dkgSpecs(run);
  const chain = buildAuditChain(specs);
  const seqOf = (kind: string) => chain.findIndex((r) => r.kind === kind) + 1;
  const created = seqOf('frost.vault.created');

  test('the honest key generation verifies, every message bound and the vault derived from the logged packages', () => {
    // open, 3 round-1, 6 round-2, 3 confirmations, the vault and its activation.
    expect(verify(chain)).toMatchObject({ valid: true, count: 15, verified: { evidence: 13 } });
  });

  test('a setup opened with other participants, threshold or deadline than the opener signed is refused', () => {
    const opened = (change: Record<string, unknown>) => rewriteWithKey(chain, 1, (r) => { r.payload = canonicalJson({ ...JSON.parse(r.payload), ...change }); });
    expect(verify(opened({ participants: [run.holders[0].key] }))).toMatchObject(refusedAt(1, /payload\.participants/));
    expect(verify(opened({ threshold: 3 }))).toMatchObject(refusedAt(1, /payload\.threshold/));
    expect(verify(opened({ expiresAt: '2027-01-01T00:00:00.000Z' }))).toMatchObject(refusedAt(1, /payload\.expiresAt/));
    expect(verify(rewriteWithKey(chain, 1, (r) => { r.subject = OTHER_SETUP_ID; }))).toMatchObject(refusedAt(1, /subject/));
  });

  test('a round-1 message moved to another setup, or recorded as another participant\'s, is refused', () => {
    const seq = seqOf('frost.round1');
    expect(verify(rewriteWithKey(chain, seq, (r) => { r.subject = OTHER_SETUP_ID; }))).toMatchObject(refusedAt(seq, /subject/));
    expect(verify(rewriteWithKey(chain, seq, (r) => { r.payload = canonicalJson({ participant: 2 }); }))).toMatchObject(refusedAt(seq, /payload\.participant/));
  });

  test('a second round-1 package by one participant (equivocation) cannot be logged as accepted', () => {
    const second = startDkg(run.params, 0, contextFor(run.holders[0], 'audit/equivocation')).round1Message;
    expect(second.body.package).not.toEqual(run.round1[0].body.package);
    const extra: EventSpec = { kind: 'frost.round1', by: run.holders[0].secret, type: DKG_MESSAGE_TYPES.round1, subject: run.params.setupId, body: second.body, payload: { participant: 1 } };
    const withExtra = buildAuditChain([...specs.slice(0, 4), extra]);
    expect(verify(withExtra)).toMatchObject(refusedAt(5, /participant 1 already has a round-1 message/));
  });

  test('a DKG message by someone who is not a participant is refused', () => {
    const outsider = runDkg(2, 3, 'audit/outsider');
    const stray: EventSpec = { ...specs[1]!, by: outsider.holders[0].secret };
    expect(verify(buildAuditChain([specs[0]!, stray]))).toMatchObject(refusedAt(2, /not a participant/));
  });

  test('a round-2 share relayed before every round-1 message was in, or recorded for another recipient, is refused', () => {
    const round2 = specs.find((s) => s.kind === 'frost.round2')!;
    expect(verify(buildAuditChain([...specs.slice(0, 3), round2]))).toMatchObject(refusedAt(4, /before every round-1 message/));
    const seq = seqOf('frost.round2');
    const payload = JSON.parse(chain[seq - 1]!.payload) as { participant: number; recipient: number };
    const wrong = { ...payload, recipient: payload.recipient === 2 ? 3 : 2 };
    expect(verify(rewriteWithKey(chain, seq, (r) => { r.payload = canonicalJson(wrong); }))).toMatchObject(refusedAt(seq, /payload\.recipient/));
  });

  test('a confirmation recorded with another transcript hash is refused', () => {
    const seq = seqOf('frost.confirmed');
    expect(verify(rewriteWithKey(chain, seq, (r) => { r.payload = canonicalJson({ participant: 1, transcriptHash: '00'.repeat(32) }); })))
      .toMatchObject(refusedAt(seq, /payload\.transcriptHash/));
  });

  test('a FROST vault with another descriptor, or without every participant\'s confirmation, is refused', () => {
    const other = frostVaultFromCertificate(verifyCertificate(runDkg(2, 3, 'audit/other-key').certificate), 'regtest').descriptor;
    expect(verify(rewriteWithKey(chain, created, (r) => { r.payload = canonicalJson({ ...JSON.parse(r.payload), descriptor: other }); })))
      .toMatchObject(refusedAt(created, /payload\.descriptor/));
    expect(verify(rewriteWithKey(chain, created, (r) => { r.payload = canonicalJson({ ...JSON.parse(r.payload), threshold: 3 }); })))
      .toMatchObject(refusedAt(created, /payload\.threshold/));
    const withoutLast = specs.filter((_, i) => i !== created - 2);
    expect(verify(buildAuditChain(withoutLast))).toMatchObject(refusedAt(created - 1, /participant 3 has not confirmed/));
  });

  test('a vault from an aborted setup, or from a setup the log never opened, is refused', () => {
    const aborted: EventSpec = { kind: 'frost.setup.aborted', subject: run.params.setupId, payload: { code: 'FROST_DKG_EQUIVOCATION', message: 'm' } };
    const abortedSpecs = [...specs.slice(0, created - 1), aborted, ...specs.slice(created - 1)];
    expect(verify(buildAuditChain(abortedSpecs))).toMatchObject(refusedAt(created + 1, /already ended \(aborted\)/));
    expect(verify(rewriteWithKey(chain, created, (r) => { r.payload = canonicalJson({ ...JSON.parse(r.payload), setupId: OTHER_SETUP_ID }); })))
      .toMatchObject(refusedAt(created, /FROST setup abab.* does not appear earlier/));
    const abortUnknown: EventSpec = { ...aborted, subject: OTHER_SETUP_ID };
    expect(verify(buildAuditChain([specs[0]!, abortUnknown]))).toMatchObject(refusedAt(2, /does not appear earlier/));
  });
});
