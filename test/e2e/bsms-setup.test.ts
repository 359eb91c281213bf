/**
 * Vault setup by BIP129 (BSMS 1.0) with real processes: a coordinator and signer CLIs over
 * loopback. The opening keyholder's signer plays BIP129's Coordinator, the coordinator only
 * relays sealed records. STANDARD: three keyholders, a wrong token refused before anything is
 * sent, finish, three confirmations, an active vault and a withdrawal through it, and the
 * coordinator's stored records hold no xpub and no token in clear. An expired setup is refused.
 * EXTENDED: one token per keyholder. Files: a key record exported by a signer and one written
 * by another wallet without SIG, imported by the opener.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { formatKeyRecord, keyRecordKey, openRecord } from '../../protocol/bsms';
import { type CliKeyholder, type CliVault, depositToFirstAddress, signer } from '../support/cli-vault';
import { type CliResult, type Coordinator, runSigner, spawnSigner, startCoordinator } from '../support/processes';
import { type TestDatabase, testDatabase } from '../support/test-database';
import { memberFetch } from '../support/member-fetch';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const ENV = { CONCLAVE_PASSPHRASE: 'e2e passphrase', CONCLAVE_TEST_FAST_KDF: '1' };

type Json = Record<string, unknown>;
type TokenRow = { token: string; mnemonic?: string; forKeyholder: number | null };

function errorOf(result: CliResult): { exit: number; code: string | undefined } {
  const line = result.stdout.trim().split('\n').pop() ?? '';
  let code: string | undefined;
  try {
    code = (JSON.parse(line) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { exit: result.code, code };
}

function listenUntilExit(home: string): Promise<{ code: number | null; lines: Json[] }> {
  const child = spawnSigner(home, ['--json', 'listen', '--yes', '--exit-after', '1'], ENV);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, lines: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json) })));
}

describe(`vault setup by BIP129 with real processes (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;
  let keyholders: CliKeyholder[];
  let alice: CliKeyholder;
  let bob: CliKeyholder;
  let carol: CliKeyholder;
  /** A fourth member, for a vault of other keys than the three-keyholder ones. */
  let dave: CliKeyholder;
  const accountKeys = new Map<string, { fingerprint: string; path: string; xpub: string }>();

  const cli = (k: CliKeyholder, args: string[]) => signer(k.home, args, ENV);
  const refused = async (k: CliKeyholder, args: string[]) => errorOf(await runSigner(k.home, ['--json', ...args], ENV));
  const setupView = async (id: string) => (await memberFetch(coordinator.url, join(root, 'alice'), `/api/v1/setups/${id}`)).json() as Promise<Json & { keyRecords: unknown[]; status: string }>;
  const vaultView = async (id: string) => (await memberFetch(coordinator.url, join(root, 'alice'), `/api/v1/vaults/${id}`)).json() as Promise<Json & { status: string; descriptor: string }>;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-e2e-bsms-'));
    db = testDatabase();
    coordinator = await startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest', CONCLAVE_LOG_LEVEL: 'debug' });
    const all: CliKeyholder[] = [];
    for (const name of ['alice', 'bob', 'carol', 'dave']) {
      const home = join(root, name);
      const init = await signer(home, ['init', '--network', 'regtest'], ENV);
      await signer(home, ['--coordinator', coordinator.url, 'join', '--name', name], ENV);
      const key = init.accountKey as { fingerprint: string; path: string; xpub: string };
      accountKeys.set(name, key);
      all.push({ name, home, identityKey: String(init.identityKey), fingerprint: String(init.fingerprint), xpub: key.xpub });
    }
    [alice, bob, carol, dave] = all as [CliKeyholder, CliKeyholder, CliKeyholder, CliKeyholder];
    keyholders = [alice, bob, carol];
  });
  afterAll(async () => {
    await coordinator.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('STANDARD: opens, refuses a wrong token, finishes, confirms, activates the vault and withdraws through it, and the relay never saw a key or token in clear', async () => {
    const opened = await cli(alice, ['setup', 'open', '--name', 'treasury', '--threshold', '2', '--keyholders', '3', '--mode', 'standard']);
    const setupId = String(opened.setupId);
    const [shared] = opened.tokens as TokenRow[];
    expect(shared!.token).toMatch(/^[0-9a-f]{16}$/);
    expect(shared!.mnemonic!.split(' ')).toHaveLength(6);
    expect((await setupView(setupId)).keyRecords).toHaveLength(1);

    // A wrong token fails the MAC of the opener's sealed key record: refused, nothing sent.
    const wrong = (BigInt(`0x${shared!.token}`) ^ 1n).toString(16).padStart(16, '0');
    expect(await refused(bob, ['setup', 'join', setupId, '--token', wrong])).toEqual({ exit: 3, code: 'BSMS_DECRYPT' });
    expect(await refused(bob, ['setup', 'join', setupId, '--token', 'ab'.repeat(16)])).toEqual({ exit: 2, code: 'BSMS_TOKEN_INVALID' });
    expect((await setupView(setupId)).keyRecords).toHaveLength(1);

    const joined = await cli(bob, ['setup', 'join', setupId, '--token', shared!.token]);
    expect(joined).toMatchObject({ threshold: 2, keyholders: 3, position: 2, openerFingerprint: alice.fingerprint });
    // Carol types the six words instead of the hex.
    expect(await cli(carol, ['setup', 'join', setupId, '--token', shared!.mnemonic!])).toMatchObject({ position: 3, received: 3 });
    // A retry of the same join sends nothing new.
    expect(await cli(carol, ['setup', 'join', setupId, '--token', shared!.token])).toMatchObject({ alreadySent: true });
    expect(await refused(bob, ['setup', 'finish', setupId])).toEqual({ exit: 4, code: 'SETUP_NOT_OPENER' });

    const finished = await cli(alice, ['setup', 'finish', setupId]);
    const vaultId = String(finished.vaultId);
    expect(finished).toMatchObject({ threshold: 2, keyholders: 3, vaultCreated: true });
    expect((finished.members as Array<{ name: string; signed: boolean }>).map((m) => [m.name, m.signed])).toEqual([['alice', true], ['bob', true], ['carol', true]]);
    expect((await vaultView(vaultId)).status).toBe('pending_confirmation');

    let firstAddress = '';
    for (const [i, k] of keyholders.entries()) {
      const confirmed = await cli(k, ['setup', 'confirm', setupId, '--yes']);
      expect(confirmed).toMatchObject({ vaultId, confirmationSent: true, bsms: { threshold: 2, keyCount: 3, positions: [i + 1] } });
      firstAddress = String((confirmed.bsms as { firstAddress: string }).firstAddress);
      expect(confirmed.firstAddress).toBe(firstAddress);
    }
    const vault = await vaultView(vaultId);
    expect(vault.status).toBe('active');

    // The descriptor record as another wallet imports it.
    const exported = await cli(bob, ['setup', 'export', setupId, '--out', join(root, 'vault.bsms')]);
    const file = readFileSync(join(root, 'vault.bsms'), 'utf8').trim().split('\n');
    expect(file[0]).toBe('BSMS 1.0');
    expect(file[2]).toBe('/0/*,/1/*');
    expect(file[3]).toBe(firstAddress);
    expect(exported.firstAddress).toBe(firstAddress);

    // A withdrawal through the vault the setup produced.
    const cliVault: CliVault = { vaultId, descriptor: vault.descriptor, firstAddress, keyholders };
    await depositToFirstAddress(cliVault, root, 1_000_000n, ENV);
    const listeners = [listenUntilExit(bob.home), listenUntilExit(carol.home)];
    const proposal = await cli(alice, ['propose', vaultId, '--to', DESTINATION, '--amount', '250000', '--fee-rate', '2']);
    for (const r of await Promise.all(listeners)) {
      expect(r.code).toBe(0);
      expect(r.lines.some((l) => l.event === 'signed' && l.withdrawalId === proposal.withdrawalId)).toBe(true);
    }
    const tx = await cli(alice, ['withdrawal', 'tx', String(proposal.withdrawalId)]);
    expect(String(tx.hex)).toMatch(/^02000000/);

    // Encryption means something against the relay: neither keys nor the token are readable there.
    const view = JSON.stringify(await setupView(setupId));
    const stored = await dumpTables(db, ['setups', 'setup_key_records']);
    const setupEvents = JSON.stringify((await (await memberFetch(coordinator.url, join(root, 'alice'), `/api/v1/audit?subject=${setupId}`)).json() as Array<{ kind: string }>));
    for (const haystack of [view, stored, setupEvents]) {
      expect(haystack).not.toMatch(/[xt]pub[1-9A-HJ-NP-Za-km-z]{100,}/);
      for (const k of keyholders) expect(haystack).not.toContain(k.xpub);
      expect(haystack).not.toContain(shared!.token);
      expect(haystack).not.toContain(shared!.mnemonic!);
    }
    const everything = await dumpTables(db, ['members', 'vaults', 'setups', 'setup_key_records', 'audit_events', 'used_nonces']);
    for (const haystack of [everything, coordinator.logs.join('')]) {
      expect(haystack).not.toContain(shared!.token);
      expect(haystack).not.toMatch(/[xt]prv[1-9A-HJ-NP-Za-km-z]{100,}/);
    }
    expect(await (await memberFetch(coordinator.url, join(root, 'alice'), `/api/v1/audit/verify`)).json()).toMatchObject({ valid: true });
  });

  it('refuses an expired setup, by the signer\u2019s clock and by the coordinator\u2019s', async () => {
    const opened = await cli(alice, ['setup', 'open', '--name', 'short-lived', '--threshold', '2', '--keyholders', '2', '--expires-in', '0.0015']);
    const setupId = String(opened.setupId);
    const token = (opened.tokens as TokenRow[])[0]!.token;
    await cli(bob, ['setup', 'export-key', '--token', token, '--out', join(root, 'bob-late.dat')]);
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(await refused(bob, ['setup', 'join', setupId, '--token', token])).toEqual({ exit: 3, code: 'BSMS_SESSION_EXPIRED' });
    expect(await refused(alice, ['setup', 'finish', setupId])).toEqual({ exit: 3, code: 'BSMS_SESSION_EXPIRED' });
    // A signer whose own clock is wrong (here: its session file says later) is still refused by the coordinator.
    const statePath = join(alice.home, 'state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { setupSessions: Array<{ setupId: string; expiresAt: string }> };
    state.setupSessions.find((x) => x.setupId === setupId)!.expiresAt = new Date(Date.now() + 3600_000).toISOString();
    writeFileSync(statePath, JSON.stringify(state));
    expect(await refused(alice, ['setup', 'import-key', setupId, '--file', join(root, 'bob-late.dat'), '--member', 'bob'])).toEqual({ exit: 3, code: 'BSMS_SESSION_EXPIRED' });
    expect((await setupView(setupId)).status).toBe('expired');
    expect((await setupView(setupId)).keyRecords).toHaveLength(1);
  });

  it('EXTENDED: a key record sealed with a token that is not one of the setup\u2019s is refused at finish', async () => {
    const opened = await cli(alice, ['setup', 'open', '--name', 'wrong-token', '--threshold', '2', '--keyholders', '2', '--mode', 'extended']);
    const setupId = String(opened.setupId);
    // With one token per keyholder, no one else can check it before the opener does.
    await cli(bob, ['setup', 'join', setupId, '--token', 'c0ffee'.repeat(5) + '01']);
    expect(await refused(alice, ['setup', 'finish', setupId])).toEqual({ exit: 3, code: 'BSMS_DECRYPT' });
    expect((await setupView(setupId)).descriptorRecord).toBeNull();
  });

  it('EXTENDED: one token per keyholder; a keyholder\u2019s token opens only its own descriptor record', async () => {
    const opened = await cli(alice, ['setup', 'open', '--name', 'extended', '--threshold', '3', '--keyholders', '3', '--mode', 'extended']);
    const setupId = String(opened.setupId);
    const tokens = opened.tokens as TokenRow[];
    expect(tokens.map((t) => [t.forKeyholder, t.token.length, t.mnemonic])).toEqual([[2, 32, undefined], [3, 32, undefined]]);
    await cli(bob, ['setup', 'join', setupId, '--token', tokens[0]!.token]);
    await cli(carol, ['setup', 'join', setupId, '--token', tokens[1]!.token]);
    const finished = await cli(alice, ['setup', 'finish', setupId]);
    const envelope = ((await setupView(setupId)).descriptorRecord as { envelope: { body: { records: Record<string, string> } } }).envelope;
    expect(Object.keys(envelope.body.records).sort()).toEqual(keyholders.map((k) => k.identityKey).sort());
    expect(openRecord(tokens[0]!.token, envelope.body.records[bob.identityKey]!)).toMatch(/^BSMS 1\.0\nwsh\(sortedmulti\(3,/);
    expect(() => openRecord(tokens[0]!.token, envelope.body.records[carol.identityKey]!)).toThrow(expect.objectContaining({ code: 'BSMS_DECRYPT' }));
    for (const [i, k] of keyholders.entries()) {
      expect(await cli(k, ['setup', 'confirm', setupId, '--yes'])).toMatchObject({ vaultId: finished.vaultId, bsms: { threshold: 3, keyCount: 3, positions: [i + 1] } });
    }
    expect((await vaultView(String(finished.vaultId))).status).toBe('active');
  });

  it('files: a key record exported by a signer and one from another wallet without SIG are imported by the opener', async () => {
    const opened = await cli(alice, ['setup', 'open', '--name', 'by-file', '--threshold', '2', '--keyholders', '3']);
    const setupId = String(opened.setupId);
    const token = (opened.tokens as TokenRow[])[0]!.token;
    // Bob exports his signed key record, sealed with the token (BIP129 .dat content).
    await cli(bob, ['setup', 'export-key', '--token', token, '--out', join(root, 'bob.dat')]);
    expect(readFileSync(join(root, 'bob.dat'), 'utf8').trim()).toMatch(/^[0-9a-f]+$/);
    // Dave's record as a wallet like Sparrow writes it: plain, CRLF, without the SIG line.
    const daveKey = keyRecordKey(accountKeys.get('dave')!);
    writeFileSync(join(root, 'dave.bsms'), `${formatKeyRecord({ token, key: daveKey, description: 'Dave, other wallet' }).replace(/\n/g, '\r\n')}\r\n`);

    expect(await refused(alice, ['setup', 'import-key', setupId, '--file', join(root, 'bob.dat'), '--member', 'dave'])).toEqual({ exit: 3, code: 'BSMS_KEY_MISMATCH' });
    expect(await refused(bob, ['setup', 'import-key', setupId, '--file', join(root, 'dave.bsms'), '--member', 'dave'])).toEqual({ exit: 2, code: 'VALIDATION_FAILED' });
    expect(await cli(alice, ['setup', 'import-key', setupId, '--file', join(root, 'bob.dat'), '--member', 'bob'])).toMatchObject({ name: 'bob', signed: true, encrypted: true, position: 2 });
    expect(await cli(alice, ['setup', 'import-key', setupId, '--file', join(root, 'dave.bsms'), '--member', dave.identityKey])).toMatchObject({ name: 'dave', signed: false, encrypted: false, position: 3 });
    expect(await refused(alice, ['setup', 'import-key', setupId, '--file', join(root, 'dave.bsms'), '--member', 'dave'])).toEqual({ exit: 5, code: 'SETUP_KEY_RECORD_EXISTS' });

    const finished = await cli(alice, ['setup', 'finish', setupId]);
    expect((finished.members as Array<{ name: string; signed: boolean }>).map((m) => [m.name, m.signed])).toEqual([['alice', true], ['bob', true], ['dave', false]]);
    await cli(alice, ['setup', 'confirm', setupId, '--yes']);
    // Bob and Dave never joined: they confirm with the token they were given.
    await cli(bob, ['setup', 'confirm', setupId, '--yes', '--token', token]);
    await cli(dave, ['setup', 'confirm', setupId, '--yes', '--token', token]);
    expect((await vaultView(String(finished.vaultId))).status).toBe('active');
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
