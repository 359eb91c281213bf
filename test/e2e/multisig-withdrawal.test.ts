/**
 * End to end with real processes over loopback: a coordinator (`dist/server/main.js`, on
 * SQLite, or PostgreSQL when DATABASE_URL is set) and three `signer-cli` processes. Keystores
 * are restored from the mnemonics Bitcoin Core's regtest transcript was recorded with, so the
 * vault's first address must equal what Core derived. After the flow, no private key material
 * may be found in the coordinator's database or logs (invariant 1).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { depositToFirstAddress, setUpCliVault, signer } from '../support/cli-vault';
import { type Coordinator, spawnSigner, startCoordinator } from '../support/processes';
import { testDatabase, type TestDatabase } from '../support/test-database';
import { TRANSCRIPT_MNEMONICS } from '../support/test-keyholder';
import { verifyFinalTransaction } from '../demo/verify-final-tx';
import { readVectorJson, vectorsDir } from '../vectors/locate';
import { memberFetch } from '../support/member-fetch';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const ENV = { CONCLAVE_PASSPHRASE: 'e2e passphrase', CONCLAVE_TEST_FAST_KDF: '1' };

function listenUntilExit(home: string): Promise<{ code: number | null; lines: Array<Record<string, unknown>> }> {
  const child = spawnSigner(home, ['--json', 'listen', '--yes', '--exit-after', '1'], ENV);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, lines: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) })));
}

describe(`2-of-3 withdrawal with real processes (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-e2e-'));
    db = testDatabase();
    coordinator = await startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest', CONCLAVE_LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await coordinator.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('sets up the vault, signs over WebSocket, exports a valid transaction, and keeps no secret', async () => {
    const names = ['alice', 'bob', 'carol'];
    names.forEach((name, i) => writeFileSync(join(root, `${name}.words`), TRANSCRIPT_MNEMONICS[i]!));
    // Restore the transcript keystores: init reads --mnemonic-file; the homes are created by init.
    for (const name of names) {
      await signer(join(root, name), ['init', '--network', 'regtest', '--mnemonic-file', join(root, `${name}.words`)], ENV);
    }
    const vault = await setUpCliVault({ root, coordinatorUrl: coordinator.url, env: ENV, names, skipInit: true });
    // With the vectors beside the repository (always in CI), the signers' first address must be
    // the one Core derived for these keys; the descriptor suite checks the rest of the chain.
    const vectors = vectorsDir();
    if (vectors) {
      const transcript = readVectorJson<{ entries: Array<{ request: { method: string; params: unknown[] }; response: { result?: unknown } }> }>(vectors, 'bitcoin-core-regtest-rpc-transcript.json');
      const derived = transcript.entries.find((e) => e.request.method === 'deriveaddresses' && String(e.request.params[0]).includes('/0/*'));
      expect((derived!.response.result as string[])[0]).toBe(vault.firstAddress);
    }

    const coin = await depositToFirstAddress(vault, root, 1_000_000n, ENV);
    const listeners = [listenUntilExit(vault.keyholders[1]!.home), listenUntilExit(vault.keyholders[2]!.home)];
    const proposal = await signer(vault.keyholders[0]!.home, ['propose', vault.vaultId, '--to', DESTINATION, '--amount', '250000', '--fee-rate', '2'], ENV);
    const results = await Promise.all(listeners);
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(r.lines.some((l) => l.event === 'signed' && l.withdrawalId === proposal.withdrawalId)).toBe(true);
    }

    const tx = await signer(vault.keyholders[0]!.home, ['withdrawal', 'tx', String(proposal.withdrawalId), '--out', join(root, 'final.hex')], ENV);
    expect(readFileSync(join(root, 'final.hex'), 'utf8').trim()).toBe(tx.hex);
    const findings = verifyFinalTransaction({
      txHex: String(tx.hex), inputs: [coin], destination: { address: DESTINATION, amount: 250_000n },
      vault: { threshold: 2, xpubs: vault.keyholders.map((k) => k.xpub), changeIndex: 0 },
    });
    expect(findings.filter((f) => !f.startsWith('ok'))).toEqual([]);
    const audit = await (await memberFetch(coordinator.url, vault.keyholders[0]!.home, `/api/v1/audit/verify`)).json() as { valid: boolean; count: number };
    expect(audit).toMatchObject({ valid: true });

    // Invariant 1: nothing secret reached the coordinator, in any table or log line.
    const dump = await dumpDatabase(db);
    const logs = coordinator.logs.join('');
    for (const haystack of [dump, logs]) {
      expect(haystack.length).toBeGreaterThan(0);
      for (const words of TRANSCRIPT_MNEMONICS) expect(haystack).not.toContain(words.split(' ').slice(0, 4).join(' '));
      expect(haystack).not.toMatch(/[xt]prv[1-9A-HJ-NP-Za-km-z]{100,}/);
    }
    const keystores = vault.keyholders.map((k) => readFileSync(join(k.home, 'keystore.json'), 'utf8'));
    for (const keystore of keystores) for (const words of TRANSCRIPT_MNEMONICS) expect(keystore).not.toContain(words.split(' ')[1]! + ' ' + words.split(' ')[2]!);
    expect(existsSync(join(root, 'final.hex'))).toBe(true);
  });
});

async function dumpDatabase(db: TestDatabase): Promise<string> {
  const ds = db.dialect === 'postgres'
    ? new DataSource({ type: 'postgres', url: db.env.DATABASE_URL, schema: db.schema, extra: { options: `-c search_path=${db.schema}` } })
    : new DataSource({ type: 'better-sqlite3', database: join(db.dataDir, 'conclave.sqlite') });
  await ds.initialize();
  try {
    const tables = ['members', 'vaults', 'vault_members', 'vault_confirmations', 'addresses', 'utxos', 'raw_transactions', 'withdrawals', 'partial_signatures', 'audit_events', 'used_nonces'];
    const rows = await Promise.all(tables.map((t) => ds.query(`SELECT * FROM ${t}`)));
    return JSON.stringify(rows);
  } finally {
    await ds.destroy();
  }
}
