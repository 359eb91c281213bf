/**
 * FROST withdrawals with real processes (issue 4, points 4-5): a coordinator and three signer
 * CLIs over loopback, the vault made by `frost open/join`. Coins on two different receive
 * addresses, a withdrawal spending both, and two `listen --yes --exit-after 1` processes sign
 * it in FROST rounds until it is exported; the final transaction is checked independently (every
 * witness one 64-byte BIP340 signature that verifies under the spent output's key for the BIP341
 * SIGHASH_DEFAULT digest bitcoinjs-lib computes). Any two of the three sign. A signer killed
 * (SIGKILL, by itself at the exact step: CONCLAVE_TEST_KILL_AT) after its commitment was
 * stored, after it was sent, after its nonces were destroyed and before its share left, or
 * after its share left, is restarted and the withdrawal still completes, with a fresh round
 * where one is needed, and no commitment ever signs in two sessions. Two withdrawals sign concurrently. Afterwards neither
 * the coordinator's database nor its logs hold a key share or a nonce.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import * as bitcoin from 'bitcoinjs-lib';
import { DataSource } from 'typeorm';
import type { Envelope } from '../../protocol/envelope';
import type { FrostCommitBody, FrostShareBody, FrostSigningView } from '../../protocol/frost';
import { FrostSecretStore, loadFrostShare } from '../../signer-cli/frost/frost-files';
import { nonceDir, noncePath, NonceStore } from '../../signer-cli/frost/nonce-store';
import { TEST_SCRYPT } from '../../signer-cli/keystore/keystore-format';
import { readSealedJson, SealingKey } from '../../signer-cli/keystore/sealed-file';
import { StateStore } from '../../signer-cli/state/state-file';
import { type CliKeyholder, signer } from '../support/cli-vault';
import { fakeFundingTx } from '../support/funding-tx';
import { type CliResult, type Coordinator, runSigner, spawnSigner, startCoordinator } from '../support/processes';
import { type TestDatabase, testDatabase } from '../support/test-database';
import { memberFetch } from '../support/member-fetch';

const PASSPHRASE = 'e2e passphrase';
const ENV = { CONCLAVE_PASSPHRASE: PASSPHRASE, CONCLAVE_TEST_FAST_KDF: '1', CONCLAVE_FROST_POLL_MS: '100' };
const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const SESSION_TIMEOUT_SECONDS = 3;
const random = (n: number) => new Uint8Array(randomBytes(n));

type Json = Record<string, unknown>;
interface Listener { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: Json[] }> }

function only(result: CliResult, what: string): Json {
  const lines = result.stdout.trim().split('\n').filter(Boolean);
  if (result.code !== 0 || lines.length !== 1) throw new Error(`${what} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
  return JSON.parse(lines[0]!) as Json;
}

/** `listen --json --yes [--exit-after n]`, with extra environment (the kill step). */
function listen(k: CliKeyholder, options: { exitAfter?: number; env?: Record<string, string> } = {}): Listener {
  const args = ['--json', 'listen', '--yes', ...(options.exitAfter === undefined ? [] : ['--exit-after', String(options.exitAfter)])];
  const child = spawnSigner(k.home, args, { ...ENV, ...options.env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const timer = setTimeout(() => child.kill('SIGTERM'), 90_000);
  return {
    done: new Promise((resolve) => child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json);
      if (code !== 0 && signal !== 'SIGKILL') process.stderr.write(`listen (${k.name}) exited ${code ?? signal}:\n${out}${err}\n`);
      resolve({ code, signal, lines });
    })),
  };
}

describe(`FROST withdrawals with real processes (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;
  let alice: CliKeyholder;
  let bob: CliKeyholder;
  let carol: CliKeyholder;
  let vaultId: string;
  let nextIndex = 0;
  /** Funding transactions by txid: the prevouts to check final transactions against. */
  const fundings = new Map<string, string>();
  /** Secret nonces read back from a signer's store while they were fresh. */
  const nonceSecrets: string[] = [];
  const withdrawalIds: string[] = [];

  const api = async <T>(path: string) => (await memberFetch(coordinator.url, join(root, 'alice'), `${path}`)).json() as Promise<T>;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-e2e-frost-sign-'));
    db = testDatabase();
    coordinator = await startCoordinator({
      ...db.env, CONCLAVE_NETWORK: 'regtest', CONCLAVE_LOG_LEVEL: 'debug', CONCLAVE_FROST_SESSION_TIMEOUT_SECONDS: String(SESSION_TIMEOUT_SECONDS),
    });
    const all: CliKeyholder[] = [];
    for (const name of ['alice', 'bob', 'carol']) {
      const home = join(root, name);
      const init = await signer(home, ['init', '--network', 'regtest'], ENV);
      await signer(home, ['--coordinator', coordinator.url, 'join', '--name', name], ENV);
      all.push({ name, home, identityKey: String(init.identityKey), fingerprint: String(init.fingerprint), xpub: (init.accountKey as { xpub: string }).xpub });
    }
    [alice, bob, carol] = all as [CliKeyholder, CliKeyholder, CliKeyholder];
    const opened = only(await runSigner(alice.home, ['--json', 'frost', 'open', '--name', 'frost treasury', '--threshold', '2', '--members', 'alice,bob,carol', '--yes', '--no-wait'], ENV), 'frost open');
    const joined = await Promise.all(all.map((k) => runSigner(k.home, ['--json', 'frost', 'join', String(opened.setupId), '--yes'], ENV)));
    vaultId = String(only(joined[0]!, 'frost join').vaultId);
  }, 120_000);
  afterAll(async () => {
    await coordinator.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  /** One funding transaction paying the next receive addresses (derived and checked by a signer), registered as a deposit. */
  async function fund(amounts: bigint[]): Promise<void> {
    const listed = only(await runSigner(alice.home, ['--json', 'addresses', vaultId, '--from', String(nextIndex), '--count', String(amounts.length)], ENV), 'addresses');
    nextIndex += amounts.length;
    const addresses = (listed.addresses as Array<{ address: string }>).map((a) => a.address);
    expect(new Set(addresses).size).toBe(amounts.length);
    const funding = fakeFundingTx(addresses.map((address, i) => ({ address, amount: amounts[i]! })), 'regtest');
    fundings.set(funding.txid, funding.hex);
    const file = join(root, `funding-${funding.txid.slice(0, 8)}.hex`);
    writeFileSync(file, funding.hex);
    await signer(alice.home, ['deposit', vaultId, '--tx-file', file], ENV);
  }

  async function propose(by: CliKeyholder, amount: string): Promise<string> {
    const proposal = await signer(by.home, ['propose', vaultId, '--to', DESTINATION, '--amount', amount, '--fee-rate', '2'], ENV);
    const id = String(proposal.withdrawalId);
    withdrawalIds.push(id);
    return id;
  }

  /** The exported transaction checked independently: each input one BIP340 signature under its spent output's key. */
  async function expectValidSpend(withdrawalId: string, inputs: number): Promise<void> {
    const w = await api<{ state: string; txid: string }>(`/api/v1/withdrawals/${withdrawalId}`);
    expect(w.state).toBe('exported');
    const tx = await signer(alice.home, ['withdrawal', 'tx', withdrawalId], ENV);
    const hex = String(tx.hex);
    const parsed = Transaction.fromRaw(hexToBytes(hex));
    expect(parsed.id).toBe(w.txid);
    expect(parsed.inputsLength).toBe(inputs);
    const prevouts = Array.from({ length: parsed.inputsLength }, (_, i) => {
      const input = parsed.getInput(i);
      const funding = Transaction.fromRaw(hexToBytes(fundings.get(bytesToHex(input.txid!))!), { allowUnknownInputs: true, disableScriptCheck: true });
      return funding.getOutput(input.index!);
    });
    const scripts = prevouts.map((p) => p.script!);
    const amounts = prevouts.map((p) => p.amount!);
    expect(new Set(scripts.map(bytesToHex)).size).toBe(inputs);
    const unsigned = bitcoin.Transaction.fromHex(hex);
    for (let i = 0; i < parsed.inputsLength; i++) {
      const witness = parsed.getInput(i).finalScriptWitness!;
      expect(witness).toHaveLength(1);
      expect(witness[0]).toHaveLength(64);
      // P2TR: OP_1 <32-byte output key>
      expect(scripts[i]!.subarray(0, 2)).toEqual(Uint8Array.of(0x51, 0x20));
      const sighash = unsigned.hashForWitnessV1(i, scripts, amounts, bitcoin.Transaction.SIGHASH_DEFAULT);
      expect(schnorr.verify(witness[0]!, sighash, scripts[i]!.subarray(2))).toBe(true);
    }
  }

  const signedBy = (r: { lines: Json[] }, withdrawalId: string) => r.lines.some((l) => l.event === 'signed' && l.withdrawalId === withdrawalId);

  it('bob and carol sign a withdrawal of coins on two receive addresses; the transaction verifies independently', async () => {
    await fund([600_000n, 500_000n]);
    const started = Date.now();
    const listeners = [listen(bob, { exitAfter: 1 }), listen(carol, { exitAfter: 1 })];
    const id = await propose(alice, '1000000');
    const results = await Promise.all(listeners.map((l) => l.done));
    process.stderr.write(`frost e2e: 2-of-3 withdrawal signed by two listen processes in ${Date.now() - started} ms\n`);
    for (const r of results) {
      expect(r.code).toBe(0);
      expect(signedBy(r, id)).toBe(true);
      expect(r.lines.some((l) => l.event === 'shared' && l.withdrawalId === id)).toBe(true);
    }
    await expectValidSpend(id, 2);
    const view = await api<FrostSigningView>(`/api/v1/withdrawals/${id}/frost`);
    expect(view.sessions).toEqual([expect.objectContaining({ state: 'complete', signers: [bob.identityKey, carol.identityKey] })]);
  }, 120_000);

  it('carol and alice sign too (any 2 of 3)', async () => {
    await fund([600_000n, 500_000n]);
    const listeners = [listen(carol, { exitAfter: 1 }), listen(alice, { exitAfter: 1 })];
    const id = await propose(bob, '1000000');
    for (const r of await Promise.all(listeners.map((l) => l.done))) expect([r.code, signedBy(r, id)]).toEqual([0, true]);
    await expectValidSpend(id, 2);
    const view = await api<FrostSigningView>(`/api/v1/withdrawals/${id}/frost`);
    expect(view.sessions).toEqual([expect.objectContaining({ state: 'complete', signers: [alice.identityKey, carol.identityKey] })]);
  }, 120_000);

  it.each(['commit-stored', 'commit-sent', 'nonces-destroyed', 'share-sent'])('bob killed -9 after %s, restarted: the withdrawal completes and no nonce signs twice', async (step) => {
    await fund([600_000n, 500_000n]);
    const started = Date.now();
    const carolListens = listen(carol, { exitAfter: 1 });
    const victim = listen(bob, { env: { CONCLAVE_TEST_KILL_AT: step } });
    const id = await propose(alice, '1000000');
    const killed = await victim.done;
    expect(killed.signal).toBe('SIGKILL');
    if (step === 'commit-stored' || step === 'commit-sent') {
      // Stored (and maybe sent); its nonces are still fresh on bob's disk: read them back, to look for them at the coordinator later.
      const store = new NonceStore(bob.home, bob.identityKey, new SealingKey(PASSPHRASE, TEST_SCRYPT, random));
      const fresh = store.list(id).filter((r) => r.state === 'fresh');
      expect(fresh).toHaveLength(1);
      const raw = readSealedJson(noncePath(bob.home, fresh[0]!.commitmentId), new SealingKey(PASSPHRASE, TEST_SCRYPT, random),
        { purpose: 'frost-nonces', subject: fresh[0]!.commitmentId, identityKey: bob.identityKey }) as { nonces: string[] };
      for (const n of raw.nonces) nonceSecrets.push(n.slice(2, 66), n.slice(66));
    }
    const restarted = await listen(bob, { exitAfter: 1 }).done;
    const carolDone = await carolListens.done;
    process.stderr.write(`frost e2e: killed after ${step}, restarted, completed in ${Date.now() - started} ms\n`);
    expect([restarted.code, signedBy(restarted, id)]).toEqual([0, true]);
    expect([carolDone.code, signedBy(carolDone, id)]).toEqual([0, true]);
    await expectValidSpend(id, 2);
    const view = await api<FrostSigningView>(`/api/v1/withdrawals/${id}/frost`);
    expect(view.sessions.filter((s) => s.state === 'complete')).toHaveLength(1);
    if (step === 'nonces-destroyed') {
      // Bob could not sign the first session again: it timed out, and a fresh round completed
      // with a fresh commitment of his. Whether the restarted listener still saw the first
      // session (and said `nonce-used`) depends on how fast it came back within the 3 s time-out.
      expect(view.sessions[0]).toMatchObject({ state: 'failed', failure: { code: 'FROST_SESSION_TIMEOUT' } });
      expect(view.sessions[0]!.sharesFrom).not.toContain(bob.identityKey);
      const commitOf = (session: (typeof view.sessions)[number]) => session.commits.find((c) => c.signer === bob.identityKey)?.body.commitmentId;
      const complete = view.sessions.find((x) => x.state === 'complete')!;
      expect(commitOf(complete)).toBeDefined();
      expect(commitOf(complete)).not.toBe(commitOf(view.sessions[0]!));
      const sawFirst = restarted.lines.some((l) => l.sessionId === view.sessions[0]!.sessionId);
      if (sawFirst) expect(restarted.lines.some((l) => l.event === 'nonce-used' && l.code === 'FROST_NONCE_USED')).toBe(true);
    }
    // The stored commitment was sent after the restart, not replaced by another.
    if (step === 'commit-stored') expect(restarted.lines).toContainEqual(expect.objectContaining({ event: 'committed', withdrawalId: id, resent: true }));
    if (step === 'share-sent') expect(restarted.lines).toContainEqual(expect.objectContaining({ event: 'signed', withdrawalId: id, resumed: true }));
  }, 120_000);

  it('two withdrawals sign concurrently', async () => {
    await fund([400_000n, 400_000n, 400_000n, 400_000n]);
    const listeners = [listen(bob, { exitAfter: 2 }), listen(carol, { exitAfter: 2 })];
    const ids = await Promise.all([propose(alice, '700000'), propose(alice, '700000')]);
    for (const r of await Promise.all(listeners.map((l) => l.done))) {
      expect(r.code).toBe(0);
      for (const id of ids) expect(signedBy(r, id)).toBe(true);
    }
    for (const id of ids) await expectValidSpend(id, 2);
  }, 120_000);

  it('no commitment signs in two sessions; no share or nonce reached the coordinator; no fresh nonce is left', async () => {
    // From the coordinator's views: each session's signed commitments, and who shared in it.
    const shared: string[] = [];
    const inSessions: string[] = [];
    for (const id of withdrawalIds) {
      const view = await api<FrostSigningView>(`/api/v1/withdrawals/${id}/frost`);
      for (const s of view.sessions) {
        for (const c of s.commits as Array<Envelope<FrostCommitBody>>) {
          inSessions.push(c.body.commitmentId);
          if (s.sharesFrom.includes(c.signer)) shared.push(c.body.commitmentId);
        }
      }
    }
    expect(shared.length).toBeGreaterThanOrEqual(2 * withdrawalIds.length);
    expect(new Set(shared).size).toBe(shared.length);
    expect(new Set(inSessions).size).toBe(inSessions.length);
    // ...and from its database: every share statement names a commitment no other share statement names.
    const rows = await query(db, 'SELECT envelope FROM frost_shares') as Array<{ envelope: string }>;
    const byCommitment = rows.map((r) => (JSON.parse(r.envelope) as Envelope<FrostShareBody>).body.commitmentId);
    expect(new Set(byCommitment).size).toBe(byCommitment.length);

    // Invariant 1: no key share, no nonce in any table or log line.
    const keyShares = [alice, bob, carol].map((k) => {
      const share = loadFrostShare(new FrostSecretStore(k.home, k.identityKey, new SealingKey(PASSPHRASE, TEST_SCRYPT, random)), new StateStore(k.home).read(), vaultId);
      try {
        return bytesToHex(share.share.signingShare);
      } finally {
        share.wipe();
      }
    });
    expect(nonceSecrets).toHaveLength(8);
    const tables = ['frost_commitments', 'frost_sessions', 'frost_shares', 'withdrawals', 'audit_events', 'used_nonces', 'vaults', 'addresses'];
    const dump = JSON.stringify(await Promise.all(tables.map((t) => query(db, `SELECT * FROM ${t}`))));
    const logs = coordinator.logs.join('');
    expect(dump).toContain(withdrawalIds[0]);
    for (const haystack of [dump, logs]) for (const secret of [...keyShares, ...nonceSecrets]) expect(haystack).not.toContain(secret);
    // Every nonce any signer stored is spent by now: none can sign again.
    for (const k of [alice, bob, carol]) {
      const store = new NonceStore(k.home, k.identityKey, new SealingKey(PASSPHRASE, TEST_SCRYPT, random));
      const records = store.list();
      expect(records.length).toBe(readdirSync(nonceDir(k.home)).filter((f) => f.endsWith('.nonce')).length);
      expect(records.filter((r) => r.state === 'fresh')).toEqual([]);
    }
    expect(await api<{ valid: boolean }>('/api/v1/audit/verify')).toMatchObject({ valid: true });
  });
});

async function query(db: TestDatabase, sql: string): Promise<unknown[]> {
  const ds = db.dialect === 'postgres'
    ? new DataSource({ type: 'postgres', url: db.env.DATABASE_URL, schema: db.schema, extra: { options: `-c search_path=${db.schema}` } })
    : new DataSource({ type: 'better-sqlite3', database: join(db.dataDir, 'conclave.sqlite') });
  await ds.initialize();
  try {
    return await ds.query(sql) as unknown[];
  } finally {
    await ds.destroy();
  }
}
