/**
 * Approvals made with a passkey (issue 5, point 3) through the REST API of a real coordinator,
 * with a software authenticator that produces real WebAuthn bytes: a governed vault pins Bob's
 * and Ada's passkeys at formation, and Alice's is added later by a quorum-approved
 * member.replace-credentials. Passkey approvals move withdrawals to signing and changes to
 * applied; every bad one is refused with a stable code and writes nothing; the audit log
 * verifies at the coordinator and at a signer, and fails for a passkey the log never pinned
 * for that member; and a signer, through signer-cli's own code, signs a withdrawal approved
 * by passkey.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MESSAGE_TYPES, type AuditEventView, type VaultView, type WithdrawalView } from '../../protocol/api';
import { type AuditRecord, auditRecordFromView } from '../../protocol/audit';
import { canonicalJson } from '../../protocol/canonical-json';
import { identityPublicKey } from '../../protocol/envelope';
import type { ChangeView } from '../../protocol/governance-api';
import { relinkFrom } from '../support/audit-chain-fixture';
import {
  type Cast, DAY, Governance, type Reply, TestTime, addToAddressBook, cast, createGovernedVault, governedPolicy, proposeWithdrawal,
} from '../support/governed-vault';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { inProcessSigner } from '../support/in-process-signer';
import { type CeremonyOptions, SoftwarePasskey } from '../support/software-passkey';
import type { TestKeyholder } from '../support/test-keyholder';
import { DESTINATION, deposit, intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';

const DB = process.env.DATABASE_URL ? 'postgres' : 'sqlite';
/** The coordinator's identity secret, known here so a test can play a coordinator that rewrites its own log. */
const COORDINATOR_SECRET = new Uint8Array(32).fill(0x5c);
type Check = { valid: boolean; code: string | null; firstBadSeq: number | null; reason: string | null };

function keyFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'conclave-passkey-key-')), 'coordinator.key');
  writeFileSync(path, Buffer.from(COORDINATOR_SECRET).toString('hex'), { mode: 0o600 });
  return path;
}

describe(`passkey approvals (${DB})`, () => {
  let coord: RunningCoordinator;
  let time: TestTime;
  let c: Cast;
  let vault: VaultView;
  let gov: Governance;
  const bobKey = new SoftwarePasskey();
  const adaKey = new SoftwarePasskey();
  const aliceKey = new SoftwarePasskey();

  beforeEach(async () => {
    coord = await startInProcessCoordinator({ CONCLAVE_SERVER_KEY_FILE: keyFile() });
    time = new TestTime(coord);
    c = cast();
    const policy = governedPolicy(c);
    for (const m of policy.members.members) {
      if (m.identityKey === c.bob.identityKey) m.passkeys = [bobKey.pinned];
      if (m.identityKey === c.ada.identityKey) m.passkeys = [adaKey.pinned];
    }
    vault = await createGovernedVault(coord, c, policy);
    gov = new Governance(coord, vault.id, time);
    await deposit(coord, vault, c.alice, [400_000n, 400_000n, 400_000n, 600_000n]);
  });
  afterEach(async () => {
    time.restore();
    await coord.close();
  });

  const count = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const written = async () => Promise.all(['approvals', 'governance_approvals', 'used_nonces', 'audit_events'].map(count));
  const verify = async () => (await coord.call<Check>('GET', '/api/v1/audit/verify')).body;
  const auditOf = async (subject: string) => (await coord.call<AuditEventView[]>('GET', `/api/v1/audit?subject=${subject}`)).body;
  const approvalBody = (w: WithdrawalView) => ({ withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash });
  const withdrawalStatement = (w: WithdrawalView, key: SoftwarePasskey, by: TestKeyholder, created = time.now, options: CeremonyOptions = {}) =>
    key.statement(MESSAGE_TYPES.withdrawalApprove, approvalBody(w), by.identityKey, created, options);
  const postApproval = (w: WithdrawalView, statement: unknown) => coord.call<WithdrawalView & Partial<{ error: { code: string; message: string } }>>('POST', `/api/v1/withdrawals/${w.id}/approvals`, statement);
  const changeStatement = (changeId: string, key: SoftwarePasskey, by: TestKeyholder) =>
    key.statement(MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId }, by.identityKey, time.now);
  const postChangeApproval = (changeId: string, statement: unknown): Promise<Reply<ChangeView>> =>
    coord.call('POST', `/api/v1/vaults/${vault.id}/changes/${changeId}/approvals`, statement);
  const proposed = async (amount: bigint) => {
    const res = await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, amount]]);
    if (res.status !== 201) throw new Error(`propose: ${JSON.stringify(res.body)}`);
    return res.body;
  };

  it('applies changes approved by passkey, pins a passkey added by quorum, and signs withdrawals approved by passkey', async () => {
    // An address-book entry: Ada approves with her passkey pinned at formation, Ben with his identity key.
    const entry = (await gov.propose(c.carol, { op: 'address-book.add', address: DESTINATION, label: 'payroll' })).body;
    const byAda = changeStatement(entry.changeId, adaKey, c.ada);
    const adaApproved = await postChangeApproval(entry.changeId, byAda);
    expect([adaApproved.status, adaApproved.body.status, adaApproved.body.approvals]).toEqual([200, 'pending', [byAda]]);
    expect((await gov.approve(entry.changeId, c.ben)).body.status).toBe('applied');

    // Alice's passkey, added by the members quorum (two admins and a keyholder besides the proposer), after its delay.
    const replace = (await gov.propose(c.carol, { op: 'member.replace-credentials', identityKey: c.alice.identityKey, passkeys: [aliceKey.pinned] })).body;
    expect((await postChangeApproval(replace.changeId, changeStatement(replace.changeId, adaKey, c.ada))).status).toBe(200);
    expect((await gov.approve(replace.changeId, c.ben)).status).toBe(200);
    const quorate = await postChangeApproval(replace.changeId, changeStatement(replace.changeId, bobKey, c.bob));
    expect([quorate.body.status, quorate.body.quorum.met]).toEqual(['pending', true]);
    // Registered is not pinned: until the change applies, Alice's new passkey signs for nothing.
    const early = await postChangeApproval(replace.changeId, changeStatement(replace.changeId, aliceKey, c.alice));
    expect([early.status, early.body.error?.code]).toEqual([403, 'PASSKEY_NOT_PINNED']);
    time.advance(DAY);
    expect((await gov.get(replace.changeId)).status).toBe('applied');
    const governedEvents = await auditOf(replace.changeId);
    expect(governedEvents.map((e) => e.kind)).toEqual(['governance.proposed', 'governance.approved', 'governance.approved', 'governance.approved', 'governance.applied']);
    expect(governedEvents[1]!.payload).toMatchObject({ passkey: adaKey.pinned });
    expect(governedEvents[2]!.payload).not.toHaveProperty('passkey');

    // Alice (passkey added later) and Bob (passkey pinned at formation) each approve a withdrawal.
    const w1 = await proposed(250_000n);
    const byAlice = withdrawalStatement(w1, aliceKey, c.alice);
    const approved1 = await postApproval(w1, byAlice);
    expect([approved1.status, approved1.body.state, approved1.body.approvals]).toEqual([200, 'signing', [byAlice]]);
    const w2 = await proposed(200_000n);
    expect((await postApproval(w2, withdrawalStatement(w2, bobKey, c.bob))).body.state).toBe('signing');
    const events = await auditOf(w1.id);
    expect(events.map((e) => e.kind)).toEqual(['withdrawal.proposed', 'withdrawal.awaiting_approval', 'approval.received', 'withdrawal.approved', 'withdrawal.signing']);
    expect(events[2]).toMatchObject({ actor: c.alice.identityKey, evidence: byAlice, payload: { passkey: aliceKey.pinned } });
    expect(await verify()).toMatchObject({ valid: true });

    // Two keyholders' signers pin the vault as formed, follow its changes themselves (the
    // replace-credentials among them, approved partly by passkey), and sign.
    const carol = await inProcessSigner(coord.url, vault, c.carol, () => time.now);
    const bob = await inProcessSigner(coord.url, vault, c.bob, () => time.now);
    for (const signer of [carol, bob]) {
      const synced = await signer.sync();
      expect(synced.applied.map((a) => a.changeId)).toEqual([entry.changeId, replace.changeId]);
      expect(synced.differsFromCoordinator).toEqual([]);
    }
    expect(await carol.sign(w1.id)).toMatchObject({ status: 'signed', signatures: 1 });
    expect(await bob.sign(w1.id)).toMatchObject({ status: 'signed', signatures: 2 });
    expect((await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${w1.id}`)).body.state).toBe('exported');
    expect(await carol.sign(w2.id)).toMatchObject({ status: 'signed' });

    // The log verifies at the coordinator and at each signer, passkey evidence and all.
    expect(await verify()).toMatchObject({ valid: true, code: null });
    const report = await carol.verifyAudit();
    expect(report.count).toBe(await count('audit_events'));
    expect(report.verified.evidence).toBeGreaterThan(0);
  });

  it('refuses a bad passkey approval of a withdrawal with a stable code, and writes nothing', async () => {
    await addToAddressBook(gov, c, DESTINATION);
    time.advance(DAY);
    const w = await proposed(250_000n);
    const before = await written();
    const stranger = new SoftwarePasskey();
    const good = withdrawalStatement(w, bobKey, c.bob);
    const attempts: Array<[string, unknown, number, string]> = [
      ['unknown credential', withdrawalStatement(w, stranger, c.bob), 403, 'PASSKEY_NOT_PINNED'],
      ['a passkey of another member', withdrawalStatement(w, bobKey, c.alice), 403, 'PASSKEY_NOT_PINNED'],
      ['another member\'s passkey under the signer\'s pinned credential id', { ...withdrawalStatement(w, adaKey, c.bob), credentialId: bobKey.credentialId }, 401, 'PASSKEY_BAD_SIGNATURE'],
      ['tampered body', { ...good, body: { ...approvalBody(w), intentHash: 'ab'.repeat(32) } }, 401, 'PASSKEY_CHALLENGE_MISMATCH'],
      ['stale created', withdrawalStatement(w, bobKey, c.bob, new Date(time.now.getTime() - DAY - 60_000)), 401, 'PASSKEY_EXPIRED'],
      ['created in the future', withdrawalStatement(w, bobKey, c.bob, new Date(time.now.getTime() + 3600_000)), 401, 'PASSKEY_EXPIRED'],
      ['missing user verification', withdrawalStatement(w, bobKey, c.bob, time.now, { flags: 0x01 }), 401, 'PASSKEY_USER_NOT_VERIFIED'],
      ['another relying party', withdrawalStatement(w, bobKey, c.bob, time.now, { rpId: 'conclave.example' }), 401, 'PASSKEY_CHALLENGE_MISMATCH'],
      ['another origin', withdrawalStatement(w, bobKey, c.bob, time.now, { origin: 'https://phish.example' }), 401, 'PASSKEY_CHALLENGE_MISMATCH'],
      ['malformed', { ...good, signature: 'not base64url!' }, 400, 'PASSKEY_INVALID'],
    ];
    for (const [what, statement, status, code] of attempts) {
      const res = await postApproval(w, statement);
      expect([what, res.status, res.body.error?.code]).toEqual([what, status, code]);
      expect(await written()).toEqual(before);
    }
    expect((await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${w.id}`)).body).toMatchObject({ state: 'awaiting_approval', approvals: [] });

    expect((await postApproval(w, good)).body.state).toBe('signing');
    const after = await written();
    const replayed = await postApproval(w, good);
    expect([replayed.status, replayed.body.error?.code]).toEqual([409, 'PASSKEY_REPLAYED']);
    expect(await written()).toEqual(after);
    expect(await verify()).toMatchObject({ valid: true });
  });

  it('refuses a bad passkey approval of a change with a stable code, and writes nothing', async () => {
    const entry = (await gov.propose(c.carol, { op: 'address-book.add', address: DESTINATION, label: 'payroll' })).body;
    const before = await written();
    const good = changeStatement(entry.changeId, adaKey, c.ada);
    const attempts: Array<[string, unknown, number, string]> = [
      ['unknown credential', changeStatement(entry.changeId, new SoftwarePasskey(), c.ada), 403, 'PASSKEY_NOT_PINNED'],
      ['a passkey of another member', changeStatement(entry.changeId, adaKey, c.ben), 403, 'PASSKEY_NOT_PINNED'],
      ['tampered body', { ...good, body: { vaultId: vault.id, changeId: 'cd'.repeat(32) } }, 401, 'PASSKEY_CHALLENGE_MISMATCH'],
      ['stale created', adaKey.statement(MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId: entry.changeId }, c.ada.identityKey, new Date(time.now.getTime() - 2 * DAY)), 401, 'PASSKEY_EXPIRED'],
      ['missing user verification', adaKey.statement(MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId: entry.changeId }, c.ada.identityKey, time.now, { flags: 0x01 }), 401, 'PASSKEY_USER_NOT_VERIFIED'],
    ];
    for (const [what, statement, status, code] of attempts) {
      const res = await postChangeApproval(entry.changeId, statement);
      expect([what, res.status, res.body.error?.code]).toEqual([what, status, code]);
      expect(await written()).toEqual(before);
    }
    expect((await postChangeApproval(entry.changeId, good)).status).toBe(200);
    const after = await written();
    const replayed = await postChangeApproval(entry.changeId, good);
    expect([replayed.status, replayed.body.error?.code]).toEqual([409, 'PASSKEY_REPLAYED']);
    expect(await written()).toEqual(after);
  });

  it('fails audit verification, at the coordinator and at a signer, for a passkey approval whose key was never pinned for that member', async () => {
    await addToAddressBook(gov, c, DESTINATION);
    time.advance(DAY);
    const w = await proposed(250_000n);
    expect((await postApproval(w, withdrawalStatement(w, bobKey, c.bob))).body.state).toBe('signing');
    const signer = await inProcessSigner(coord.url, vault, c.carol, () => time.now);
    expect((await signer.verifyAudit()).count).toBeGreaterThan(0);
    const honest = (await coord.call<AuditEventView[]>('GET', '/api/v1/audit')).body.map(auditRecordFromView);
    const seq = honest.find((e) => e.kind === 'approval.received' && e.subject === w.id)!.seq;
    expect(identityPublicKey(COORDINATOR_SECRET)).toBe((await coord.call<{ coordinatorKey: string }>('GET', '/api/v1/info')).body.coordinatorKey);

    // A coordinator that holds its own key rewrites the approval: a stranger's passkey in Bob's
    // name, or a stranger's key recorded under Bob's pinned credential id. Both verify under the
    // key the payload records; neither is Bob's passkey as the log pinned it.
    const stranger = new SoftwarePasskey();
    const forged = withdrawalStatement(w, stranger, c.bob);
    const forgeries: Array<[unknown, unknown, RegExp]> = [
      [forged, stranger.pinned, /credential \S+ is not pinned for bob/],
      [{ ...forged, credentialId: bobKey.credentialId }, { credentialId: bobKey.credentialId, publicKey: stranger.pinned.publicKey }, /is not the one pinned for bob/],
      [withdrawalStatement(w, adaKey, c.bob), adaKey.pinned, /credential \S+ is not pinned for bob/],
    ];
    for (const [statement, passkey, reason] of forgeries) {
      const events = honest.map((e) => ({ ...e }));
      const event = events[seq - 1]!;
      event.evidence = canonicalJson(statement);
      event.payload = canonicalJson({ ...JSON.parse(event.payload) as object, passkey });
      await writeChain(coord, relinkFrom(events, seq, COORDINATOR_SECRET));
      const check = await verify();
      expect(check).toMatchObject({ valid: false, code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: seq });
      expect(check.reason).toMatch(reason);
      await expect(signer.verifyAudit()).rejects.toMatchObject({ code: 'AUDIT_EVIDENCE_INVALID' });
    }
    await writeChain(coord, honest);
    expect(await verify()).toMatchObject({ valid: true });
  });
});

describe(`passkey approvals of a vault with a simple policy (${DB})`, () => {
  let coord: RunningCoordinator;
  afterEach(async () => coord.close());

  it('refuses them clearly, since a version-1 policy pins no passkeys, and writes nothing', async () => {
    coord = await startInProcessCoordinator();
    const keyholders = threeKeyholders();
    const [alice, bob] = keyholders as [TestKeyholder, TestKeyholder];
    const vault = await setupVault(coord, keyholders, 2, { version: 1, requiredApprovals: 1, maxFeeSats: '20000', maxFeeRate: '20' });
    await deposit(coord, vault, alice, [1_000_000n]);
    const w = (await propose(coord, vault, alice, intent(vault))).body as WithdrawalView;
    const before = await Promise.all(['approvals', 'used_nonces', 'audit_events'].map(async (t) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${t}`))[0].n)));
    const statement = new SoftwarePasskey().statement(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: w.id, vaultId: vault.id, intentHash: w.intentHash }, bob.identityKey);
    const res = await coord.call<{ error: { code: string; message: string } }>('POST', `/api/v1/withdrawals/${w.id}/approvals`, statement);
    expect([res.status, res.body.error.code]).toEqual([409, 'POLICY_NOT_GOVERNED']);
    expect(res.body.error.message).toMatch(/simple \(version 1\) policy, which pins no passkeys/);
    const change = await coord.call<{ error: { code: string } }>('POST', `/api/v1/vaults/${vault.id}/changes/${'ab'.repeat(32)}/approvals`,
      new SoftwarePasskey().statement(MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId: 'ab'.repeat(32) }, bob.identityKey));
    expect([change.status, change.body.error.code]).toEqual([409, 'POLICY_NOT_GOVERNED']);
    const after = await Promise.all(['approvals', 'used_nonces', 'audit_events'].map(async (t) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${t}`))[0].n)));
    expect(after).toEqual(before);
    // The identity-key envelope still approves.
    expect((await approveWithdrawalOfSimpleVault(coord, w, bob)).state).toBe('signing');
  });
});

async function approveWithdrawalOfSimpleVault(coord: RunningCoordinator, w: WithdrawalView, by: TestKeyholder): Promise<WithdrawalView> {
  return (await coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${w.id}/approvals`, by.sign(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash }))).body;
}

/** Writes the events back as they are given (payload, evidence and links), and the head, as someone with the database would. */
async function writeChain(coord: RunningCoordinator, records: AuditRecord[]): Promise<void> {
  const p = coord.db.dialect === 'postgres' ? (n: number) => `$${n}` : () => '?';
  for (const r of records) {
    await coord.dataSource.query(`UPDATE audit_events SET payload = ${p(1)}, evidence = ${p(2)}, prev_hash = ${p(3)}, hash = ${p(4)}, coordinator_sig = ${p(5)} WHERE seq = ${p(6)}`,
      [r.payload, r.evidence, r.prevHash, r.hash, r.coordinatorSig, r.seq]);
  }
  const last = records[records.length - 1]!;
  await coord.dataSource.query(`UPDATE audit_head SET seq = ${p(1)}, hash = ${p(2)} WHERE id = 1`, [last.seq, last.hash]);
}
