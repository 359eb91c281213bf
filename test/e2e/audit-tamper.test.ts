/**
 * The audit log is tamper-evident for signers (issue 3, point 4), with real processes: a
 * coordinator (`dist/server/main.js`, SQLite or PostgreSQL when DATABASE_URL is set) and
 * signer-cli processes. After a short withdrawal flow, during which a listening signer keeps
 * the signed heads pushed to it, `audit verify` passes. Then the database is altered directly,
 * as an insider with access to it would: a truncated tail, an edited row, the chain recomputed
 * without the coordinator key, and the chain recomputed and re-signed WITH the key. Each is
 * refused with its own code; the last one only because the signer saw the old heads.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexToBytes } from '@noble/hashes/utils.js';
import { DataSource } from 'typeorm';
import { type AuditRecord, verifyAuditHeadSignature } from '../../protocol/audit';
import { canonicalJson } from '../../protocol/canonical-json';
import { relinkFrom } from '../support/audit-chain-fixture';
import { depositToFirstAddress, setUpCliVault, signer } from '../support/cli-vault';
import { type CliResult, type Coordinator, runSigner, spawnSigner, startCoordinator } from '../support/processes';
import { testDatabase, type TestDatabase } from '../support/test-database';
import { memberFetch } from '../support/member-fetch';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const ENV = { CONCLAVE_PASSPHRASE: 'e2e passphrase', CONCLAVE_TEST_FAST_KDF: '1' };

type Row = {
  seq: number; kind: string; actor: string | null; subject: string | null; payload: string; evidence: string | null;
  prev_hash: string; hash: string; coordinator_sig: string; created_at: string;
};

describe(`audit log tampering caught by signers, real processes (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;
  let database: DataSource;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-e2e-audit-'));
    db = testDatabase();
    coordinator = await startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest' });
    database = db.dialect === 'postgres'
      ? new DataSource({ type: 'postgres', url: db.env.DATABASE_URL, extra: { options: `-c search_path=${db.schema}` } })
      : new DataSource({ type: 'better-sqlite3', database: join(db.dataDir, 'conclave.sqlite') });
    await database.initialize();
  });
  afterAll(async () => {
    await database?.destroy();
    await coordinator.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  const param = (n: number) => (db.dialect === 'postgres' ? `$${n}` : '?');
  const rows = async (): Promise<Row[]> => database.query('SELECT * FROM audit_events ORDER BY seq');
  const toRecord = (r: Row): AuditRecord => ({
    seq: Number(r.seq), kind: r.kind, actor: r.actor, subject: r.subject, payload: r.payload, evidence: r.evidence,
    prevHash: r.prev_hash, hash: r.hash, coordinatorSig: r.coordinator_sig, createdAt: r.created_at,
  });
  const setHead = async (seq: number, hash: string) => database.query(`UPDATE audit_head SET seq = ${param(1)}, hash = ${param(2)} WHERE id = 1`, [seq, hash]);
  async function writeChain(records: AuditRecord[]): Promise<void> {
    for (const r of records) {
      await database.query(`UPDATE audit_events SET payload = ${param(1)}, prev_hash = ${param(2)}, hash = ${param(3)}, coordinator_sig = ${param(4)} WHERE seq = ${param(5)}`,
        [r.payload, r.prevHash, r.hash, r.coordinatorSig, r.seq]);
    }
    const last = records[records.length - 1]!;
    await setHead(last.seq, last.hash);
  }
  const auditVerify = (home: string): Promise<CliResult> => runSigner(home, ['--json', 'audit', 'verify'], ENV);
  const serverVerify = async () => (await (await memberFetch(coordinator.url, join(root, 'alice'), `/api/v1/audit/verify`)).json()) as { valid: boolean; code: string | null };

  it('passes on an honest log; refuses truncation, an edited row, a rewrite without the key, a re-signed rewrite of a statement, and a re-signed rewrite of a claim', async () => {
    // A short flow: vault set up by three signer processes, a deposit, a withdrawal signed by
    // bob and carol, who listen over WebSocket (and keep the audit heads pushed meanwhile).
    const vault = await setUpCliVault({ root, coordinatorUrl: coordinator.url, env: ENV });
    const [alice, bob, carol] = vault.keyholders as [typeof vault.keyholders[0], typeof vault.keyholders[0], typeof vault.keyholders[0]];
    await depositToFirstAddress(vault, root, 1_000_000n, ENV);
    const listeners = [bob, carol].map((k) => new Promise<number | null>((resolve) => {
      spawnSigner(k.home, ['--json', 'listen', '--yes', '--exit-after', '1'], ENV).on('exit', resolve);
    }));
    await signer(alice.home, ['propose', vault.vaultId, '--to', DESTINATION, '--amount', '250000', '--fee-rate', '2'], ENV);
    expect(await Promise.all(listeners)).toEqual([0, 0]);

    const info = (await (await fetch(`${coordinator.url}/api/v1/info`)).json()) as { coordinatorKey: string };
    const bobState = () => JSON.parse(readFileSync(join(bob.home, 'state.json'), 'utf8')) as { coordinatorKey: string; auditHeads: Array<{ seq: number; hash: string }> };
    expect(bobState().coordinatorKey).toBe(info.coordinatorKey);
    const pushed = bobState().auditHeads;
    expect(pushed.length).toBeGreaterThan(0);
    const honest = (await rows()).map(toRecord);
    for (const head of pushed) expect(honest[head.seq - 1]!.hash).toBe(head.hash);

    // 1. Honest: verified, and the head is remembered.
    const ok = await auditVerify(bob.home);
    expect(ok.code).toBe(0);
    expect(ok.json).toMatchObject({ valid: true, count: honest.length, head: { seq: honest.length }, coordinatorKey: info.coordinatorKey });
    expect(bobState().auditHeads.map((h) => h.seq)).toContain(honest.length);
    const human = await runSigner(bob.home, ['audit', 'verify'], ENV);
    expect(human.stdout).toMatch(/ok {2}coordinator signatures: all \d+ verify under the pinned coordinator key/);

    // 2. Truncated tail (the head row moved back too): the server cannot tell, bob can.
    const last = (await rows())[honest.length - 1]!;
    await database.query(`DELETE FROM audit_events WHERE seq = ${param(1)}`, [last.seq]);
    await setHead(honest.length - 1, honest[honest.length - 2]!.hash);
    expect(await serverVerify()).toMatchObject({ valid: true });
    const truncated = await auditVerify(bob.home);
    expect(truncated.code).toBe(3);
    expect(truncated.json).toMatchObject({ error: { code: 'AUDIT_HISTORY_REWRITTEN', message: expect.stringMatching(/truncated/) } });
    await database.query(
      `INSERT INTO audit_events (seq, kind, actor, subject, payload, evidence, prev_hash, hash, coordinator_sig, created_at) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(param).join(', ')})`,
      [last.seq, last.kind, last.actor, last.subject, last.payload, last.evidence, last.prev_hash, last.hash, last.coordinator_sig, last.created_at],
    );
    await setHead(last.seq, last.hash);
    expect((await auditVerify(bob.home)).code).toBe(0);

    // 3. An edited row: the hash chain breaks there.
    await database.query(`UPDATE audit_events SET payload = ${param(1)} WHERE seq = 2`, [canonicalJson({ name: 'mallory' })]);
    const edited = await auditVerify(bob.home);
    expect(edited.code).toBe(3);
    expect(edited.json).toMatchObject({ error: { code: 'AUDIT_CHAIN_BROKEN', details: { seq: 2 }, hint: expect.stringMatching(/sign nothing more/) } });

    // 4. The chain recomputed from that row on, by someone without the coordinator key.
    const tampered = honest.map((r) => ({ ...r }));
    tampered[1]!.payload = canonicalJson({ name: 'mallory' });
    await writeChain(relinkFrom(tampered, 2));
    expect(await serverVerify()).toMatchObject({ valid: false, code: 'AUDIT_COORDINATOR_SIG_INVALID' });
    const unsigned = await auditVerify(bob.home);
    expect(unsigned.code).toBe(3);
    expect(unsigned.json).toMatchObject({ error: { code: 'AUDIT_COORDINATOR_SIG_INVALID', details: { seq: 2 } } });

    // 5. The same rewrite re-signed with the coordinator key (an insider with the key file):
    // chain and signatures verify, but the payload no longer says what bob's signed join says.
    const secret = hexToBytes(readFileSync(join(db.dataDir, 'coordinator-identity.key'), 'utf8').trim());
    const resigned = relinkFrom(tampered, 2, secret);
    expect(verifyAuditHeadSignature(resigned[2]!, resigned[2]!.coordinatorSig, info.coordinatorKey)).toBe(true);
    await writeChain(resigned);
    expect(await serverVerify()).toMatchObject({ valid: false, code: 'AUDIT_EVIDENCE_INVALID' });
    const unbound = await auditVerify(bob.home);
    expect(unbound.code).toBe(3);
    expect(unbound.json).toMatchObject({ error: { code: 'AUDIT_EVIDENCE_INVALID', message: expect.stringMatching(/seq 2 \(member\.joined\): payload\.name is recorded as "mallory"/) } });

    // 6. A re-signed rewrite of a coordinator step's own claim, which no member's statement
    // covers: chain, signatures and evidence verify, even for the coordinator itself; the heads
    // bob saw do not.
    const activated = honest.findIndex((r) => r.kind === 'vault.activated');
    expect(activated).toBeGreaterThan(0);
    const claimEdited = honest.map((r) => ({ ...r }));
    claimEdited[activated]!.payload = canonicalJson({ keyholders: 2 });
    await writeChain(relinkFrom(claimEdited, activated + 1, secret));
    expect(await serverVerify()).toMatchObject({ valid: true });
    const rewritten = await auditVerify(bob.home);
    expect(rewritten.code).toBe(3);
    expect(rewritten.json).toMatchObject({ error: { code: 'AUDIT_HISTORY_REWRITTEN', message: expect.stringMatching(/rewritten/) } });
    const text = await runSigner(bob.home, ['audit', 'verify'], ENV);
    // Reading the log needs a session (server/auth), so the keystore is unlocked first: a progress line may come before.
    expect(text.stderr).toMatch(/^error AUDIT_HISTORY_REWRITTEN: audit log: this signer saw head seq \d+/m);
    expect(text.stderr).toMatch(/next: the coordinator's history was altered: sign nothing more through it/);
  });
});
