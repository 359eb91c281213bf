/**
 * A 2-of-3 vault behind a real coordinator process (SQLite), as the throughput benchmark uses
 * it: alice proposes and reads over REST in this process; bob and carol are `signer-cli listen
 * --yes` processes, each with its own home, journal and WebSocket, exactly as keyholders run
 * them. The stage deposits coins, proposes withdrawals and tells when each is exported.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { WebSocket } from 'ws';
import { MESSAGE_TYPES, type MemberView, type ServerFrame, type VaultView, type WithdrawalIntent, type WithdrawalView } from '../protocol/api';
import { type MultisigVaultDescriptor, deriveVaultScript, formatVaultDescriptor } from '../protocol/descriptor';
import { DEFAULT_POLICY } from '../protocol/policy';
import { signer } from '../test/support/cli-vault';
import { type Coordinator, spawnSigner, startCoordinator } from '../test/support/processes';
import { TRANSCRIPT_MNEMONICS, type TestKeyholder, testKeyholder } from '../test/support/test-keyholder';
import { openSession } from './session';
import { type BenchCoin, coinAt } from './withdrawal-work';

const ENV = { CONCLAVE_PASSPHRASE: 'bench passphrase' };
const SIGNER_NAMES = ['bob', 'carol'];
const ENDED_UNEXPORTED = new Set(['rejected', 'cancelled', 'expired', 'failed']);

export interface CoordinatorStage {
  keyholders: TestKeyholder[];
  descriptor: MultisigVaultDescriptor;
  vaultId: string;
  /** Process ids, to read how much CPU each used. */
  pids: { coordinator?: number; bob?: number; carol?: number };
  /** Registers `count` fresh coins, each in its own funding transaction, at the next receive addresses. */
  deposit(count: number): Promise<BenchCoin[]>;
  /** POSTs alice's signed proposal; resolves with the withdrawal once the coordinator answered. */
  propose(intent: WithdrawalIntent): Promise<WithdrawalView>;
  /** Resolves when the coordinator pushes `exported` for the withdrawal. */
  exported(withdrawalId: string): Promise<void>;
  /** The last lines the signers printed, for a benchmark that stalls. */
  signerLogTail(): string;
  close(): Promise<void>;
}

const TAIL_CHUNKS = 40;

/**
 * Reads a listener's output as it comes. A signer's stdout is a pipe, written synchronously:
 * left unread, it fills after some 64 KiB (a 500-input review is longer) and the signer blocks.
 */
function drained(child: ChildProcess, name: string, tail: string[]): ChildProcess {
  const keep = (chunk: Buffer) => {
    tail.push(`[${name}] ${chunk.toString()}`);
    if (tail.length > TAIL_CHUNKS) tail.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return child;
}

export async function openCoordinatorStage(): Promise<CoordinatorStage> {
  const root = mkdtempSync(join(tmpdir(), 'conclave-bench-'));
  const coordinator = await startCoordinator({ CONCLAVE_DATA_DIR: join(root, 'coordinator'), CONCLAVE_NETWORK: 'regtest', DATABASE_URL: undefined, DATABASE_SCHEMA: undefined });
  const listeners: ChildProcess[] = [];
  const tail: string[] = [];
  let watcher: ExportWatcher | undefined;
  const close = async () => {
    watcher?.close();
    for (const l of listeners) l.kill('SIGTERM');
    await coordinator.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const keyholders = ['alice', ...SIGNER_NAMES].map((n, i) => testKeyholder(n, TRANSCRIPT_MNEMONICS[i]!));
    const alice = keyholders[0]!;
    const api = restClient(coordinator);
    await api('POST', '/api/v1/members', alice.sign(MESSAGE_TYPES.memberJoin, { name: 'alice', network: 'regtest', accountKey: alice.accountKey }));
    api.session = await openSession(coordinator.url, alice);
    for (const [i, name] of SIGNER_NAMES.entries()) {
      writeFileSync(join(root, `${name}.words`), TRANSCRIPT_MNEMONICS[i + 1]!);
      await signer(join(root, name), ['init', '--network', 'regtest', '--mnemonic-file', join(root, `${name}.words`)], ENV);
      await signer(join(root, name), ['--coordinator', coordinator.url, 'join', '--name', name], ENV);
    }
    const members = await api<MemberView[]>('GET', '/api/v1/members');
    const descriptor: MultisigVaultDescriptor = { kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: members.map((m) => m.accountKey) };
    const vault = await api<VaultView>('POST', '/api/v1/vaults', alice.sign(MESSAGE_TYPES.vaultCreate, {
      name: 'bench', network: 'regtest', threshold: 2, members: members.map((m) => m.identityKey), descriptor: formatVaultDescriptor(descriptor), policy: DEFAULT_POLICY,
    }));
    // Every keyholder confirms before the vault is active: alice as `vault pin` would, the others by running it.
    await api('POST', `/api/v1/vaults/${vault.id}/confirmations`, alice.sign(MESSAGE_TYPES.vaultConfirm, {
      vaultId: vault.id, descriptor: vault.descriptor, firstAddress: deriveVaultScript(descriptor, 0, 0).address, policyHash: vault.policyHash,
    }));
    for (const name of SIGNER_NAMES) await signer(join(root, name), ['vault', 'pin', vault.id, '--yes'], ENV);
    for (const name of SIGNER_NAMES) listeners.push(drained(spawnSigner(join(root, name), ['listen', '--yes'], ENV), name, tail));
    watcher = await exportWatcher(coordinator.url, alice);
    const exportWatch = watcher;
    let nextIndex = 0;
    return {
      keyholders, descriptor, vaultId: vault.id,
      pids: { coordinator: coordinator.process.pid, bob: listeners[0]!.pid, carol: listeners[1]!.pid },
      async deposit(count) {
        const coins: BenchCoin[] = [];
        // One at a time: a deposit is recognised only within the gap limit of unused addresses.
        for (let i = 0; i < count; i++) {
          const coin = coinAt(descriptor, nextIndex++);
          await api('POST', `/api/v1/vaults/${vault.id}/deposits`, alice.sign(MESSAGE_TYPES.depositRegister, { vaultId: vault.id, rawTx: coin.hex }));
          coins.push(coin);
        }
        return coins;
      },
      propose: (intent) => api<WithdrawalView>('POST', `/api/v1/vaults/${vault.id}/withdrawals`, alice.sign(MESSAGE_TYPES.withdrawalPropose, intent)),
      exported: (id) => exportWatch.wait(id),
      signerLogTail: () => tail.join(''),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

interface RestClient {
  <T>(method: string, path: string, body?: unknown): Promise<T>;
  session?: string;
}

/** JSON over HTTP; reads carry alice's bearer token once she signed in. */
function restClient(coordinator: Coordinator): RestClient {
  const call: RestClient = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (call.session !== undefined) headers.authorization = `Bearer ${call.session}`;
    const res = await fetch(coordinator.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json() as T;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  return call;
}

interface ExportWatcher { wait(id: string): Promise<void>; close(): void }

/** alice's WebSocket: resolves `exported` pushes by withdrawal id, and fails on a refusal. */
async function exportWatcher(base: string, alice: TestKeyholder): Promise<ExportWatcher> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`);
  const waiters = new Map<string, { resolve(): void; reject(error: Error): void }>();
  const done = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if (frame.type === 'challenge') ws.send(JSON.stringify({ type: 'auth', envelope: alice.sign(MESSAGE_TYPES.wsAuth, { challenge: frame.challenge }) }));
      else if (frame.type === 'ready') resolve();
      else if (frame.type === 'error') reject(new Error(frame.error.message));
      else if (frame.type === 'event' && frame.event.kind === 'withdrawal.state') {
        const { withdrawalId, state } = frame.event;
        if (state === 'exported') {
          done.add(withdrawalId);
          waiters.get(withdrawalId)?.resolve();
        } else if (ENDED_UNEXPORTED.has(state)) {
          // A withdrawal that ends any other way ends the benchmark: its figures would mean nothing.
          waiters.get(withdrawalId)?.reject(new Error(`withdrawal ${withdrawalId} went ${state}`));
        }
      }
    });
    ws.on('error', reject);
  });
  return {
    wait: (id) => new Promise<void>((resolve, reject) => (done.has(id) ? resolve() : waiters.set(id, { resolve, reject }))),
    close: () => ws.close(),
  };
}
