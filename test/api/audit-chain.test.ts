/**
 * Editing, deleting or appending audit rows behind the coordinator's back is detected; so is a
 * consistent rewrite by someone with the database but without the coordinator key (its
 * signatures no longer verify). Every event carries the coordinator's signature, and its head
 * is pushed to connected signers only after the transaction that appended it has committed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { MESSAGE_TYPES, type AuditEventView } from '../../protocol/api';
import { type AuditRecord, auditRecordFromView, verifyAuditHeadSignature } from '../../protocol/audit';
import { canonicalJson } from '../../protocol/canonical-json';
import { createCoordinator } from '../../server/bootstrap';
import { loadConfig } from '../../server/config/config';
import { relinkFrom } from '../support/audit-chain-fixture';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';
import { setupVault, threeKeyholders } from '../support/vault-scenario';

type Check = { valid: boolean; count: number; firstBadSeq: number | null; code: string | null; reason: string | null; coordinatorKey: string };

describe('audit log verification', () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    keyholders = threeKeyholders();
    // 3 joins, the vault, 3 confirmations and its activation: 8 events, 7 of them with evidence.
    await setupVault(coord, keyholders);
  });
  afterEach(async () => coord.close());

  const verify = async () => (await coord.call<Check>('GET', '/api/v1/audit/verify')).body;

  it('verifies an untouched chain: links, coordinator signatures and evidence', async () => {
    const info = (await coord.call<{ coordinatorKey: string }>('GET', '/api/v1/info')).body;
    expect(info.coordinatorKey).toMatch(/^[0-9a-f]{64}$/);
    expect(await verify()).toMatchObject({
      valid: true, count: 8, firstBadSeq: null, code: null, coordinatorKey: info.coordinatorKey,
      verified: { links: 8, coordinatorSignatures: 8, evidence: 7 },
    });
  });

  it('serves every event with a coordinator signature on its {seq, hash} under the key in /api/v1/info', async () => {
    const info = (await coord.call<{ coordinatorKey: string }>('GET', '/api/v1/info')).body;
    const events = (await coord.call<AuditEventView[]>('GET', '/api/v1/audit')).body;
    expect(events).toHaveLength(8);
    for (const e of events) expect(verifyAuditHeadSignature({ seq: e.seq, hash: e.hash }, e.coordinatorSig, info.coordinatorKey)).toBe(true);
  });

  it('detects an edited payload', async () => {
    await coord.dataSource.query(`UPDATE audit_events SET payload = '{"name":"mallory"}' WHERE seq = 2`);
    expect(await verify()).toMatchObject({ valid: false, code: 'AUDIT_CHAIN_BROKEN', firstBadSeq: 2 });
  });

  it('detects a deleted row', async () => {
    await coord.dataSource.query('DELETE FROM audit_events WHERE seq = 3');
    expect(await verify()).toMatchObject({ valid: false, code: 'AUDIT_CHAIN_BROKEN', firstBadSeq: 4 });
  });

  it('detects a truncated tail', async () => {
    await coord.dataSource.query('DELETE FROM audit_events WHERE seq = 8');
    const check = await verify();
    expect(check).toMatchObject({ valid: false, code: 'AUDIT_CHAIN_BROKEN' });
    expect(check.reason).toMatch(/truncated/);
  });

  it('detects an altered coordinator signature', async () => {
    const [row] = await coord.dataSource.query('SELECT coordinator_sig FROM audit_events WHERE seq = 3') as Array<{ coordinator_sig: string }>;
    const flipped = (row!.coordinator_sig[0] === 'a' ? 'b' : 'a') + row!.coordinator_sig.slice(1);
    await coord.dataSource.query(`UPDATE audit_events SET coordinator_sig = '${flipped}' WHERE seq = 3`);
    expect(await verify()).toMatchObject({ valid: false, code: 'AUDIT_COORDINATOR_SIG_INVALID', firstBadSeq: 3 });
  });

  it('detects an edit whose hashes were recomputed without the coordinator key: the signatures fail', async () => {
    const events = (await coord.call<AuditEventView[]>('GET', '/api/v1/audit')).body.map(auditRecordFromView);
    events[1]!.payload = canonicalJson({ name: 'mallory' });
    await writeChain(coord, relinkFrom(events, 2));
    expect(await verify()).toMatchObject({ valid: false, code: 'AUDIT_COORDINATOR_SIG_INVALID', firstBadSeq: 2 });
  });

  it('detects an altered hash, relinked from there on', async () => {
    const events = (await coord.call<AuditEventView[]>('GET', '/api/v1/audit')).body.map(auditRecordFromView);
    const relinked = relinkFrom(events, 4);
    relinked[2]!.hash = 'f'.repeat(64);
    await writeChain(coord, relinkFrom(relinked, 4));
    expect(await verify()).toMatchObject({ valid: false, code: 'AUDIT_CHAIN_BROKEN', firstBadSeq: 3 });
    relinked[2]!.hash = events[2]!.hash;
    await writeChain(coord, relinked);
    expect(await verify()).toMatchObject({ valid: true });
  });

  it('refuses to start an instance whose key file differs from the key that signs the database\'s log', async () => {
    const otherKey = join(mkdtempSync(join(tmpdir(), 'conclave-key-')), 'other.key');
    const config = loadConfig({ CONCLAVE_LOG_LEVEL: 'error', CONCLAVE_PORT: '0', ...coord.db.env, CONCLAVE_SERVER_KEY_FILE: otherKey });
    const second = await createCoordinator(config);
    try {
      await expect(second.init()).rejects.toThrow(/CONCLAVE_SERVER_KEY_FILE: .*every instance sharing a database must use the same key file/);
    } finally {
      await second.close().catch(() => undefined);
    }
  });

  it('pushes the signed head to connected signers after each commit, and nothing for a refused request', async () => {
    const socket = await connectSigner(coord, keyholders[0]!);
    try {
      const pushes: Array<{ seq: number; hash: string; coordinatorSig: string }> = [];
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as { type: string; event?: { kind: string; seq: number; hash: string; coordinatorSig: string } };
        if (frame.type === 'event' && frame.event?.kind === 'audit.head') pushes.push(frame.event);
      });
      const refused = await coord.call('POST', '/api/v1/members', keyholders[0]!.sign(MESSAGE_TYPES.memberJoin, { name: 'again', network: 'regtest', accountKey: keyholders[0]!.accountKey }));
      expect(refused.status).toBe(409);
      const dave = testKeyholder('dave', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
      const joined = await coord.call('POST', '/api/v1/members', dave.sign(MESSAGE_TYPES.memberJoin, { name: 'dave', network: 'regtest', accountKey: dave.accountKey }));
      expect(joined.status).toBe(201);
      await waitFor(() => pushes.length >= 1);
      const info = (await coord.call<{ coordinatorKey: string }>('GET', '/api/v1/info')).body;
      const last = (await coord.call<AuditEventView[]>('GET', '/api/v1/audit?after=8')).body;
      expect(pushes).toEqual([{ kind: 'audit.head', seq: 9, hash: last[0]!.hash, coordinatorSig: last[0]!.coordinatorSig }]);
      expect(verifyAuditHeadSignature(pushes[0]!, pushes[0]!.coordinatorSig, info.coordinatorKey)).toBe(true);
    } finally {
      socket.close();
    }
  });
});

async function writeChain(coord: RunningCoordinator, records: AuditRecord[]): Promise<void> {
  const p = coord.db.dialect === 'postgres' ? (n: number) => `$${n}` : () => '?';
  for (const r of records) {
    await coord.dataSource.query(`UPDATE audit_events SET payload = ${p(1)}, prev_hash = ${p(2)}, hash = ${p(3)}, coordinator_sig = ${p(4)} WHERE seq = ${p(5)}`,
      [r.payload, r.prevHash, r.hash, r.coordinatorSig, r.seq]);
  }
  const last = records[records.length - 1]!;
  await coord.dataSource.query(`UPDATE audit_head SET seq = ${p(1)}, hash = ${p(2)} WHERE id = 1`, [last.seq, last.hash]);
}

async function connectSigner(coord: RunningCoordinator, keyholder: TestKeyholder): Promise<WebSocket> {
  const socket = new WebSocket(`${coord.url.replace('http', 'ws')}/ws`);
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; challenge?: string };
      if (frame.type === 'challenge') socket.send(JSON.stringify({ type: 'auth', envelope: keyholder.sign(MESSAGE_TYPES.wsAuth, { challenge: frame.challenge }) }));
      if (frame.type === 'ready') resolve();
      if (frame.type === 'error') reject(new Error(data.toString()));
    });
  });
  socket.removeAllListeners('message');
  return socket;
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
