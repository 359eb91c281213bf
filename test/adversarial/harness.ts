/**
 * The stage of the malicious-coordinator suite: a real coordinator process (SQLite, or
 * PostgreSQL when DATABASE_URL is set), the tampering proxy in front of it, and three real
 * signer-cli keyholders who joined through the proxy, so every command they run and every
 * event they hear passes through it. One stage per test file: forming a vault costs seconds,
 * so a file forms one and funds it with many coins that its scenarios spend one by one.
 *
 * Alice proposes (in this process, with her own unlocked keystore: the proposer is honest and
 * not under test), Bob's `listen` is the signer under attack, and what really happened is read
 * from the coordinator directly, never through the proxy.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64 } from '@scure/base';
import { p2wpkh } from '@scure/btc-signer';
import {
  MESSAGE_TYPES, type KeyOrigin, type VaultView, type WithdrawalIntent, type WithdrawalView,
} from '../../protocol/api';
import { deriveVaultScript, type DerivedVaultScript, type MultisigVaultDescriptor } from '../../protocol/descriptor';
import { networkParams } from '../../protocol/network';
import { buildWithdrawalPsbt } from '../../protocol/psbt';
import { decodeRawPsbtV0, encodeRawPsbtV0, fingerprintFromHex, type RawPsbt, type RawPsbtInput, type RawTxInput } from '../../protocol/psbt/raw';
import { unlockKeystore, type UnlockedKeystore } from '../../signer-cli/keystore/keystore';
import { type CliKeyholder, signer } from '../support/cli-vault';
import { fakeFundingTx } from '../support/funding-tx';
import { memberFetch } from '../support/member-fetch';
import { type Coordinator, runSigner, spawnSigner, startCoordinator } from '../support/processes';
import { type TestDatabase, testDatabase } from '../support/test-database';
import { testKeyholder } from '../support/test-keyholder';
import { TamperingProxy } from './tampering-proxy';

export const PASSPHRASE = 'adversarial passphrase';
export const ENV = { CONCLAVE_PASSPHRASE: PASSPHRASE, CONCLAVE_TEST_FAST_KDF: '1' };
export const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
export const DB_LABEL = process.env.DATABASE_URL ? 'postgres' : 'sqlite';

/** Keys the attacker holds: never a keyholder's, whatever a forged view claims. */
export const mallory = testKeyholder('mallory', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
export const trent = testKeyholder('trent', 'letter advice cage absurd amount doctor acoustic avoid letter advice cage above');
/** A P2WPKH address of Mallory's: where a thief would send the money. */
export const ATTACKER_ADDRESS = p2wpkh(mallory.account.deriveChild(0).deriveChild(0).publicKey as Uint8Array, networkParams('regtest')).address as string;

export type Line = Record<string, unknown>;

export interface Stage {
  root: string;
  db: TestDatabase;
  coordinator: Coordinator;
  proxy: TamperingProxy;
  keyholders: { alice: CliKeyholder; bob: CliKeyholder; carol: CliKeyholder };
  /** Withdrawals the proxy lets appear in vault listings; everything else is hidden from listeners. */
  listed: Set<string>;
  listeners: Set<ChildProcess>;
  vault?: VaultView;
  proposer?: UnlockedKeystore;
}

/** Coordinator, proxy, and three keystores joined through the proxy. */
export async function openStage(): Promise<Stage> {
  const root = mkdtempSync(join(tmpdir(), 'conclave-adversarial-'));
  const db = testDatabase();
  const names = ['alice', 'bob', 'carol'] as const;
  // Keystores need no coordinator: created while it starts.
  const [started, ...created] = await Promise.allSettled([
    // No expiry sweep during a file: the expiry scenarios show what a signer does with an expired
    // intent that a (hostile) coordinator still offers.
    startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest', CONCLAVE_EXPIRY_SWEEP_SECONDS: '86400' }),
    ...names.map((name) => signer(join(root, name), ['init', '--network', 'regtest'], ENV)),
  ]);
  const failure = [started, ...created].find((r) => r.status === 'rejected');
  if (failure !== undefined) {
    if (started.status === 'fulfilled') await started.value.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
    throw failure.reason;
  }
  const coordinator = (started as PromiseFulfilledResult<Coordinator>).value;
  const inits = created.map((r) => (r as PromiseFulfilledResult<Record<string, unknown>>).value);
  const proxy = await TamperingProxy.start(coordinator.url);
  const stage: Stage = { root, db, coordinator, proxy, keyholders: {} as Stage['keyholders'], listed: new Set(), listeners: new Set() };
  // Scenarios leave refused withdrawals in `signing`; a later listener would list them on connect.
  proxy.rewrite(({ method, path, status, body }) => {
    if (method !== 'GET' || status !== 200 || !/^\/api\/v1\/vaults\/[^/]+\/withdrawals(\?|$)/.test(path) || !Array.isArray(body)) return undefined;
    return { body: (body as WithdrawalView[]).filter((w) => stage.listed.has(w.id)) };
  });
  try {
    await joinThroughProxy(stage, names, inits);
  } catch (error) {
    await closeStage(stage);
    throw error;
  }
  return stage;
}

async function joinThroughProxy(stage: Stage, names: readonly ['alice', 'bob', 'carol'], inits: Array<Record<string, unknown>>): Promise<void> {
  const { proxy, root } = stage;
  const joined = await Promise.all(names.map(async (name, i): Promise<CliKeyholder> => {
    const home = join(root, name);
    const init = inits[i]!;
    await signer(home, ['--coordinator', proxy.url, 'join', '--name', name], ENV);
    return { name, home, identityKey: String(init.identityKey), fingerprint: String(init.fingerprint), xpub: (init.accountKey as KeyOrigin).xpub };
  }));
  stage.keyholders = { alice: joined[0]!, bob: joined[1]!, carol: joined[2]! };
}

/** Alice proposes a 2-of-3 vault; `pinBy` keyholders check and pin it (all three: the vault is active). */
export async function formVault(stage: Stage, options: { createArgs?: string[]; pinBy?: Array<keyof Stage['keyholders']> } = {}): Promise<VaultView> {
  const { alice } = stage.keyholders;
  const created = await signer(alice.home, ['vault', 'create', '--name', 'treasury', '--threshold', '2', '--member', 'alice', '--member', 'bob', '--member', 'carol', ...(options.createArgs ?? [])], ENV);
  const vaultId = String(created.vaultId);
  for (const name of options.pinBy ?? ['alice', 'bob', 'carol']) await signer(stage.keyholders[name].home, ['vault', 'pin', vaultId, '--yes'], ENV);
  stage.vault = await direct<VaultView>(stage, `/api/v1/vaults/${vaultId}`);
  stage.proposer = unlockKeystore(alice.home, PASSPHRASE);
  return stage.vault;
}

/** One funding transaction paying `count` coins of `amount` to the vault's first address, registered by Alice. */
export async function fund(stage: Stage, count: number, amount: bigint): Promise<{ txid: string; hex: string }> {
  const first = deriveVaultScript(vaultDescriptor(stage), 0, 0).address;
  const funding = fakeFundingTx(Array.from({ length: count }, () => ({ address: first, amount })), 'regtest');
  const envelope = stage.proposer!.signEnvelope(MESSAGE_TYPES.depositRegister, { vaultId: stage.vault!.id, rawTx: funding.hex }, { now: new Date() });
  await post(stage, `/api/v1/vaults/${stage.vault!.id}/deposits`, envelope);
  return funding;
}

export async function closeStage(stage: Stage | undefined): Promise<void> {
  if (stage === undefined) return;
  for (const child of stage.listeners) child.kill('SIGKILL');
  stage.proposer?.wipe();
  await stage.proxy.stop();
  await stage.coordinator.stop();
  await stage.db.cleanup();
  rmSync(stage.root, { recursive: true, force: true });
}

/** The vault as the keyholders agreed it (read from the coordinator directly). */
export function vaultDescriptor(stage: Stage): MultisigVaultDescriptor {
  return { kind: 'wsh-sortedmulti', network: 'regtest', threshold: stage.vault!.threshold, keys: stage.vault!.members.map((m) => m.accountKey) };
}

/** POST to the real coordinator, bypassing the proxy; fails unless it answers 2xx. */
async function post<T>(stage: Stage, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${stage.coordinator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** GET from the real coordinator, bypassing the proxy. */
export async function direct<T>(stage: Stage, path: string): Promise<T> {
  const res = await memberFetch(stage.coordinator.url, stage.keyholders.alice.home, path, PASSPHRASE);
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export interface ProposeOptions {
  amount?: bigint;
  to?: string;
  feeRate?: string;
  maxFee?: string;
  expiresAt?: string;
  requestId?: string;
}

/** Alice's signed intent, sent straight to the coordinator; returns the withdrawal as it really is. */
export async function propose(stage: Stage, options: ProposeOptions = {}): Promise<WithdrawalView> {
  const intent: WithdrawalIntent = {
    vaultId: stage.vault!.id,
    network: 'regtest',
    requestId: options.requestId ?? `adv-${randomBytes(6).toString('hex')}`,
    outputs: [{ address: options.to ?? DESTINATION, amount: (options.amount ?? 100_000n).toString() }],
    feeRate: options.feeRate ?? '2',
    maxFee: options.maxFee ?? '100000',
    memo: 'adversarial suite',
    expiresAt: options.expiresAt ?? new Date(Date.now() + 24 * 3600_000).toISOString(),
    policyHash: stage.vault!.policyHash,
  };
  const envelope = stage.proposer!.signEnvelope(MESSAGE_TYPES.withdrawalPropose, intent, { now: new Date() });
  return post<WithdrawalView>(stage, `/api/v1/vaults/${stage.vault!.id}/withdrawals`, envelope);
}

/**
 * Rewrites every `GET /api/v1/withdrawals/:id` answer for the withdrawal with this request id
 * (the request id is chosen before proposing, so the rule is in place before any signer asks).
 */
export function tamperWithdrawal(stage: Stage, requestId: string, edit: (view: WithdrawalView) => WithdrawalView): () => void {
  return stage.proxy.rewrite(({ method, path, status, body }) => {
    if (method !== 'GET' || status !== 200 || !/^\/api\/v1\/withdrawals\/[0-9a-f-]{36}$/.test(path)) return undefined;
    const view = body as WithdrawalView;
    if (view.requestId !== requestId) return undefined;
    return { body: edit(JSON.parse(JSON.stringify(view)) as WithdrawalView) };
  });
}

/** Answers `GET /api/v1/withdrawals/<id>` itself, for a withdrawal the coordinator never heard of. */
export function serveWithdrawal(stage: Stage, view: WithdrawalView): () => void {
  return stage.proxy.rewrite(({ method, path }) => (method === 'GET' && path === `/api/v1/withdrawals/${view.id}` ? { status: 200, body: view } : undefined));
}

/** Edits a base64 PSBT at the BIP174 map level and re-encodes it: well-formed, only the edit differs. */
export function editPsbt(psbt: string, edit: (raw: RawPsbt) => void): string {
  const raw = decodeRawPsbtV0(base64.decode(psbt));
  edit(raw);
  return base64.encode(encodeRawPsbtV0(raw));
}

/** PSBT output fields that describe `script` as a vault script (what a coordinator adds to change). */
export function outputFieldsFor(script: DerivedVaultScript): RawPsbt['outputs'][number] {
  return {
    witnessScript: script.witnessScript,
    bip32Derivation: script.keys.map((k) => [k.pubkey, { fingerprint: fingerprintFromHex(k.fingerprint), path: k.path }]),
  };
}

/**
 * A coin of another vault, with the transaction input and PSBT input map a coordinator would
 * build for it (full previous transaction, witness script, derivations), by the real builder.
 */
export function foreignCoin(script: DerivedVaultScript, amount: bigint): { outpoint: string; txInput: RawTxInput; map: RawPsbtInput; amount: bigint } {
  const funding = fakeFundingTx([{ address: script.address, amount }], 'regtest');
  const psbt = buildWithdrawalPsbt({
    network: 'regtest',
    inputs: [{ txid: funding.txid, vout: 0, prevTxHex: funding.hex, script }],
    outputs: [{ address: ATTACKER_ADDRESS, amount: amount - 1_000n }],
    globalXpubs: [],
    locktime: 0,
  });
  const raw = decodeRawPsbtV0(base64.decode(psbt));
  return { outpoint: `${funding.txid}:0`, txInput: raw.global.unsignedTx.inputs[0]!, map: raw.inputs[0]!, amount };
}

export class Listener {
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private buffer = '';
  private waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      const parts = this.buffer.split('\n');
      this.buffer = parts.pop()!;
      for (const part of parts) if (part.trim()) this.lines.push(JSON.parse(part) as Line);
      this.wake();
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      this.wake();
      resolve(code);
    }));
  }

  /** The first line that matches, waiting for it (fails if the listener exits or time runs out). */
  async waitFor(match: (line: Line) => boolean, what: string, timeoutMs = 30_000): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`listener exited before ${what}:\n${this.dump()}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${this.dump()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** What the signer decided about this withdrawal: refused, signed, skipped, or an error. */
  outcome(withdrawalId: string): Promise<Line> {
    return this.waitFor((l) => l.withdrawalId === withdrawalId && ['refused', 'signed', 'skipped', 'declined', 'error'].includes(String(l.event)), `an outcome for withdrawal ${withdrawalId}`);
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  dump(): string {
    return `${this.lines.map((l) => JSON.stringify(l)).join('\n')}\n${this.stderr}`;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** `listen --yes --json --exit-after 1` for this keyholder, connected (through the proxy) and waiting. */
export async function listen(stage: Stage, who: CliKeyholder): Promise<Listener> {
  const child = spawnSigner(who.home, ['--json', 'listen', '--yes', '--exit-after', '1'], ENV);
  stage.listeners.add(child);
  child.on('exit', () => stage.listeners.delete(child));
  const listener = new Listener(child);
  await listener.waitFor((l) => l.event === 'connected', 'a connection to the coordinator');
  return listener;
}

export interface JournalEntry { withdrawalId: string; intentHash: string; unsignedTxid: string; inputs: string[]; submittedAt: string | null }

export function journal(who: CliKeyholder): JournalEntry[] {
  try {
    return (JSON.parse(readFileSync(join(who.home, 'state.json'), 'utf8')) as { journal: JournalEntry[] }).journal;
  } catch {
    return [];
  }
}

export function pinnedVaults(who: CliKeyholder): string[] {
  try {
    return (JSON.parse(readFileSync(join(who.home, 'state.json'), 'utf8')) as { vaults: Array<{ vaultId: string }> }).vaults.map((v) => v.vaultId);
  } catch {
    return [];
  }
}

/** Identity keys of the keyholders whose partial signatures the coordinator really holds for this withdrawal. */
export async function signersAtCoordinator(stage: Stage, withdrawalId: string): Promise<string[]> {
  const res = await memberFetch(stage.coordinator.url, stage.keyholders.alice.home, `/api/v1/withdrawals/${withdrawalId}`, PASSPHRASE);
  if (res.status === 404) return [];
  return ((await res.json()) as WithdrawalView).signatures.map((s) => s.identityKey);
}

export interface Attack {
  withdrawal: WithdrawalView;
  outcome: Line;
  listener: Listener;
  /** Index into the proxy's request log when the attack began. */
  since: number;
}

/**
 * The common shape of a scenario: Bob listens through the proxy, which rewrites this
 * withdrawal's view with `edit`; Alice proposes; the outcome is Bob's decision. `after` runs
 * once the proposal exists (e.g. to push a forged event).
 */
export async function attack(stage: Stage, options: {
  edit: (view: WithdrawalView) => WithdrawalView;
  propose?: ProposeOptions;
  after?: (withdrawal: WithdrawalView) => void;
  signer?: CliKeyholder;
}): Promise<Attack> {
  const requestId = options.propose?.requestId ?? `adv-${randomBytes(6).toString('hex')}`;
  const since = stage.proxy.requests.length;
  tamperWithdrawal(stage, requestId, options.edit);
  const listener = await listen(stage, options.signer ?? stage.keyholders.bob);
  let outcome: Line | undefined;
  try {
    const withdrawal = await propose(stage, { ...options.propose, requestId });
    options.after?.(withdrawal);
    outcome = await listener.outcome(withdrawal.id);
    return { withdrawal, outcome, listener, since };
  } finally {
    await settle(listener, outcome);
  }
}

/** A listener that signed exits by itself (--exit-after 1); any other is stopped. */
export async function settle(listener: Listener, outcome: Line | undefined): Promise<void> {
  if (outcome?.event === 'signed') await listener.exited;
  else await listener.stop();
}

/**
 * Bob signed nothing for this withdrawal: no `signed` event, no journal entry, no signature sent
 * through the proxy, none held by the coordinator (asked directly).
 */
export async function expectSignedNothing(stage: Stage, withdrawalId: string, since: number, listener: Listener, who: CliKeyholder = stage.keyholders.bob): Promise<void> {
  expect(listener.lines.filter((l) => l.event === 'signed')).toEqual([]);
  expect(journal(who).filter((e) => e.withdrawalId === withdrawalId)).toEqual([]);
  expect(stage.proxy.requestsSince(since, 'POST', /\/signatures$/)).toEqual([]);
  expect(await signersAtCoordinator(stage, withdrawalId)).not.toContain(who.identityKey);
}

/** A refusal whose reasons include one matching each pattern. */
export function expectRefused(outcome: Line, ...patterns: RegExp[]): void {
  if (outcome.event !== 'refused') throw new Error(`expected a refusal, got ${JSON.stringify(outcome)}`);
  const reasons = outcome.reasons as string[];
  for (const pattern of patterns) expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
}

export function fakeWithdrawalId(): string {
  return randomUUID();
}

/** Runs a signer-cli command through the proxy and returns its exit code and JSON. */
export async function run(who: CliKeyholder, args: string[]): Promise<{ code: number; json: Line | null }> {
  const result = await runSigner(who.home, ['--json', ...args], ENV);
  return { code: result.code, json: result.json };
}
