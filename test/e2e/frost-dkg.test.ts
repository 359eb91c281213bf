/**
 * FROST key generation with real processes (issue 4): a coordinator and three signer CLIs over
 * loopback. A 2-of-3 DKG ends with one active `tr-frost` vault that every keyholder pinned with
 * the same descriptor and first address, derived by each from its own DKG result; the
 * coordinator's database and logs hold none of the shares (read back by decrypting each
 * signer's sealed share file with the test passphrase). A signer killed (kill -9) after its
 * round-1 message went out resumes from its sealed state with that same message, and the
 * DKG completes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DataSource } from 'typeorm';
import { TEST_SCRYPT } from '../../signer-cli/keystore/keystore-format';
import { SealingKey } from '../../signer-cli/keystore/sealed-file';
import { dkgStatePath, FrostSecretStore, loadFrostShare, sharePath } from '../../signer-cli/frost/frost-files';
import { StateStore } from '../../signer-cli/state/state-file';
import { type CliKeyholder, signer } from '../support/cli-vault';
import { type CliResult, type Coordinator, runSigner, spawnSigner, startCoordinator } from '../support/processes';
import { type TestDatabase, testDatabase } from '../support/test-database';
import { memberFetch } from '../support/member-fetch';

const PASSPHRASE = 'e2e passphrase';
const ENV = { CONCLAVE_PASSPHRASE: PASSPHRASE, CONCLAVE_TEST_FAST_KDF: '1', CONCLAVE_FROST_POLL_MS: '100' };

type Json = Record<string, unknown>;
type SetupView = Json & { state: string; round1: Array<{ signer: string }>; vaultId: string | null };

/** The one JSON object of a --json run that must have succeeded. */
function only(result: CliResult, what: string): Json {
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  if (result.code !== 0 || lines.length !== 1) throw new Error(`${what} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
  return JSON.parse(lines[0]!) as Json;
}

/** This keyholder's share of the vault, decrypted from its sealed file with the test passphrase. */
function shareHex(k: CliKeyholder, vaultId: string): string {
  const secrets = new FrostSecretStore(k.home, k.identityKey, new SealingKey(PASSPHRASE, TEST_SCRYPT, (n) => new Uint8Array(randomBytes(n))));
  const share = loadFrostShare(secrets, new StateStore(k.home).read(), vaultId);
  try {
    return bytesToHex(share.share.signingShare);
  } finally {
    share.wipe();
    secrets.wipe();
  }
}

describe(`FROST key generation with real processes (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;
  let alice: CliKeyholder;
  let bob: CliKeyholder;
  let carol: CliKeyholder;
  let keyholders: CliKeyholder[];

  const setupView = async (id: string) => (await memberFetch(coordinator.url, join(root, 'alice'), `/api/v1/frost-setups/${id}`)).json() as Promise<SetupView>;
  const frostJoin = (k: CliKeyholder, setupId: string) => runSigner(k.home, ['--json', 'frost', 'join', setupId, '--yes'], ENV);
  const open = async (name: string) => {
    const opened = only(await runSigner(alice.home, ['--json', 'frost', 'open', '--name', name, '--threshold', '2', '--members', 'alice,bob,carol', '--yes', '--no-wait'], ENV), 'frost open');
    expect(opened).toMatchObject({ status: 'round1-sent', threshold: 2, participants: 3, position: 1 });
    return String(opened.setupId);
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-e2e-frost-'));
    db = testDatabase();
    coordinator = await startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest', CONCLAVE_LOG_LEVEL: 'debug' });
    const all: CliKeyholder[] = [];
    for (const name of ['alice', 'bob', 'carol']) {
      const home = join(root, name);
      const init = await signer(home, ['init', '--network', 'regtest'], ENV);
      await signer(home, ['--coordinator', coordinator.url, 'join', '--name', name], ENV);
      const key = init.accountKey as { xpub: string };
      all.push({ name, home, identityKey: String(init.identityKey), fingerprint: String(init.fingerprint), xpub: key.xpub });
    }
    [alice, bob, carol] = all as [CliKeyholder, CliKeyholder, CliKeyholder];
    keyholders = all;
  });
  afterAll(async () => {
    await coordinator.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('2-of-3: three signer processes pin one tr-frost vault with the same descriptor and first address; no share reaches the coordinator', async () => {
    const setupId = await open('frost treasury');
    const results = await Promise.all(keyholders.map((k) => frostJoin(k, setupId)));
    const done = results.map((r, i) => only(r, `frost join (${keyholders[i]!.name})`));
    for (const [i, d] of done.entries()) {
      expect(d).toMatchObject({ status: 'complete', kind: 'tr-frost', setupId, threshold: 2, participants: 3, position: i + 1, alreadyPinned: false });
    }
    const vaultId = String(done[0]!.vaultId);
    expect(new Set(done.map((d) => d.vaultId)).size).toBe(1);
    expect(new Set(done.map((d) => d.descriptor)).size).toBe(1);
    expect(new Set(done.map((d) => d.firstAddress)).size).toBe(1);
    expect(new Set(done.map((d) => d.transcriptHash)).size).toBe(1);
    expect(String(done[0]!.descriptor)).toMatch(/^tr\(tpub[1-9A-HJ-NP-Za-km-z]+\/<0;1>\/\*\)#[a-z0-9]{8}$/);
    expect(String(done[0]!.firstAddress)).toMatch(/^bcrt1p/);

    // The coordinator's vault is the same, active at once (the certificate holds every keyholder's signature).
    const vault = await (await memberFetch(coordinator.url, join(root, 'alice'), `/api/v1/vaults/${vaultId}`)).json() as Json;
    expect(vault).toMatchObject({ id: vaultId, descriptor: done[0]!.descriptor, threshold: 2, status: 'active' });
    expect((await setupView(setupId))).toMatchObject({ state: 'complete', vaultId });

    // Pinned locally, listed, and its addresses derived here match the coordinator's.
    for (const k of keyholders) {
      const list = only(await runSigner(k.home, ['--json', 'vault', 'list'], ENV), 'vault list');
      expect(list.vaults).toEqual([expect.objectContaining({ vaultId, kind: 'tr-frost', firstAddress: done[0]!.firstAddress })]);
    }
    const addresses = only(await runSigner(bob.home, ['--json', 'addresses', vaultId, '--count', '3'], ENV), 'addresses');
    expect(addresses).toMatchObject({ verified: true, addresses: [{ index: 0, address: done[0]!.firstAddress }, { index: 1 }, { index: 2 }] });

    // Running join again changes nothing.
    expect(only(await frostJoin(carol, setupId), 'frost join again')).toMatchObject({ vaultId, alreadyPinned: true });

    // Invariant 1: no share at the coordinator (database, logs), in state.json or in any output.
    const shares = keyholders.map((k) => shareHex(k, vaultId));
    expect(new Set(shares).size).toBe(3);
    const stored = await dumpTables(db, ['frost_setups', 'frost_dkg_messages', 'vaults', 'vault_members', 'vault_confirmations', 'addresses', 'audit_events', 'members']);
    const everything = [stored, coordinator.logs.join(''), ...results.map((r) => r.stdout + r.stderr)];
    for (const k of keyholders) {
      everything.push(readFileSync(join(k.home, 'state.json'), 'utf8'));
      for (const file of readdirSync(join(k.home, 'frost'))) everything.push(readFileSync(join(k.home, 'frost', file), 'utf8'));
      expect(readdirSync(join(k.home, 'frost'))).toEqual([`${setupId}.share`]);
    }
    expect(stored).toContain(setupId);
    for (const haystack of everything) {
      for (const share of shares) expect(haystack).not.toContain(share);
    }
    expect(await (await memberFetch(coordinator.url, join(root, 'alice'), `/api/v1/audit/verify`)).json()).toMatchObject({ valid: true });
  });

  it('a signer killed after its round-1 message went out resumes from its sealed state, and the DKG completes', async () => {
    const setupId = await open('frost resumed');
    const victim = spawnSigner(bob.home, ['--json', 'frost', 'join', setupId, '--yes'], ENV);
    const exited = new Promise<number | null>((resolve) => victim.on('exit', (code, signal) => resolve(signal === null ? code : -1)));
    // Carol has not joined: Bob waits in round 1 after sending his commitment.
    const deadline = Date.now() + 30_000;
    while (!(await setupView(setupId)).round1.some((m) => m.signer === bob.identityKey)) {
      if (Date.now() > deadline) throw new Error('bob never sent round 1');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    victim.kill('SIGKILL');
    expect(await exited).toBe(-1);
    expect(existsSync(dkgStatePath(bob.home, setupId))).toBe(true);
    const sent = (await setupView(setupId)).round1.find((m) => m.signer === bob.identityKey);

    const results = await Promise.all([frostJoin(carol, setupId), frostJoin(bob, setupId), frostJoin(alice, setupId)]);
    const done = results.map((r, i) => only(r, `frost join ${['carol', 'bob', 'alice'][i]}`));
    expect(new Set(done.map((d) => d.vaultId)).size).toBe(1);
    expect(new Set(done.map((d) => d.firstAddress)).size).toBe(1);
    expect(done[1]).toMatchObject({ status: 'complete', resumed: true, position: 2 });
    const view = await setupView(setupId);
    expect(view.state).toBe('complete');
    // The same round-1 message, not a second one (which the coordinator would have taken as equivocation).
    expect(view.round1.filter((m) => m.signer === bob.identityKey)).toEqual([sent]);
    expect(existsSync(dkgStatePath(bob.home, setupId))).toBe(false);
    expect(existsSync(sharePath(bob.home, setupId))).toBe(true);
  });
});

async function dumpTables(db: TestDatabase, tables: string[]): Promise<string> {
  const ds = db.dialect === 'postgres'
    ? new DataSource({ type: 'postgres', url: db.env.DATABASE_URL, schema: db.schema, extra: { options: `-c search_path=${db.schema}` } })
    : new DataSource({ type: 'better-sqlite3', database: join(db.dataDir, 'conclave.sqlite') });
  await ds.initialize();
  try {
    return JSON.stringify(await Promise.all(tables.map((t) => ds.query(`SELECT * FROM ${t}`))));
  } finally {
    await ds.destroy();
  }
}
