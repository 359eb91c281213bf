/**
 * `npm run bench:push`: how fast a vault event reaches many connected signers. For each number
 * of listeners N (BENCH_SIGNERS, default 10,100,500) it measures, side by side in one run with
 * rounds alternating:
 *   (a) the coordinator: a real coordinator process (SQLite) and N WebSocket clients, each
 *       logged in with a signed answer to its own challenge as one of the vault's keyholders;
 *       a withdrawal proposed over REST commits and the coordinator pushes `signing.requested`
 *       to every connection of the vault's members. Timed per client from the commit (stamped
 *       inside the coordinator process, see commit-stamp.ts) to the client's receipt; and
 *   (b) the bare bound: a plain `ws` server process on loopback sending one frame of the same
 *       shape to N clients, timed per client from the moment it starts sending.
 * Prints p50/p90/p99/max per N for both and their ratio. Rounds: BENCH_ROUNDS (default 20)
 * after 2 warm-up rounds; BENCH_KEYHOLDERS (default and most 15: a vault's limit) members to
 * log in as, round robin.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startCoordinator } from '../test/support/processes';
import type { BareServerMessage, BroadcastRequest, BroadcastStamps } from './bare-broadcast-server';
import { COMMIT_STAMP_PRELOAD, type CommitStamp, commitStamps } from './commit-stamps';
import { monotonicMs } from './monotonic-clock';
import { type PushListeners, connectListeners } from './push-listeners';
import { setUpPushVault } from './push-vault';
import { median, percentile } from './stats';

const SIGNER_COUNTS = (process.env.BENCH_SIGNERS ?? '10,100,500').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const KEYHOLDERS = Math.min(15, Number(process.env.BENCH_KEYHOLDERS ?? 15));
const WARMUP = 2;
const PERCENTILES = [50, 90, 99, 100] as const;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The bare server's process, asked over IPC to broadcast; resolves with its stamps. */
async function startBareServer(): Promise<{ url: string; broadcast(request: BroadcastRequest): Promise<BroadcastStamps>; stop(): void }> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'bare-broadcast-server.js')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const answers = new Map<string, (stamps: BroadcastStamps) => void>();
  const port = await new Promise<number>((resolve, reject) => {
    child.on('message', (message: BareServerMessage) => {
      if ('listening' in message) resolve(message.listening);
      else answers.get(message.withdrawalId)?.(message);
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return {
    url: `ws://127.0.0.1:${port}`,
    broadcast: (request) => new Promise<BroadcastStamps>((resolve) => {
      answers.set(request.withdrawalId, resolve);
      child.send(request);
    }),
    stop: () => child.kill('SIGTERM'),
  };
}

/** Connected signers as the coordinator counts them (`/health`), to check logins and that closed sockets are let go. */
async function signersConnected(base: string): Promise<number> {
  return ((await (await fetch(`${base}/health`)).json()) as { signersConnected: number }).signersConnected;
}

async function untilConnected(base: string, expected: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  let seen = await signersConnected(base);
  while (seen !== expected) {
    if (Date.now() > deadline) throw new Error(`the coordinator counts ${seen} connected signers, expected ${expected}`);
    await pause(50);
    seen = await signersConnected(base);
  }
}

/** The coordinator prints a commit stamp after the pushes; it may reach us just after the last client's receipt. */
async function commitStampOf(logs: string[], withdrawalId: string): Promise<CommitStamp> {
  for (let tries = 0; tries < 100; tries++) {
    const stamp = commitStamps(logs).get(withdrawalId);
    if (stamp !== undefined) return stamp;
    await pause(10);
  }
  throw new Error(`no commit stamp for withdrawal ${withdrawalId}: is commit-stamp.js preloaded?`);
}

/** A receipt before its send would mean the processes' clocks do not compare (see monotonic-clock.ts). */
function latencies(receipts: number[], sentAt: number): number[] {
  const samples = receipts.map((at) => at - sentAt);
  if (samples.some((ms) => ms < 0)) throw new Error(`a receipt precedes its send by ${(-Math.min(...samples)).toFixed(3)} ms: the clocks of the processes differ`);
  return samples;
}

function spread(samples: number[]): string {
  return PERCENTILES.map((p) => percentile(samples, p).toFixed(2)).join(' / ');
}

function ratios(through: number[], bare: number[]): string {
  return PERCENTILES.map((p) => `${(percentile(through, p) / percentile(bare, p)).toFixed(1)}x`).join(' / ');
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const root = mkdtempSync(join(tmpdir(), 'conclave-bench-push-'));
  const coordinator = await startCoordinator({
    CONCLAVE_DATA_DIR: join(root, 'coordinator'), CONCLAVE_NETWORK: 'regtest', DATABASE_URL: undefined, DATABASE_SCHEMA: undefined, NODE_OPTIONS: COMMIT_STAMP_PRELOAD,
  });
  const bare = await startBareServer();
  const open: PushListeners[] = [];
  try {
    const base = coordinator.url;
    const setup = await setUpPushVault(base, KEYHOLDERS, SIGNER_COUNTS.length * (ROUNDS + WARMUP));
    const latencyRows: string[] = [];
    const sendLoopRows: string[] = [];
    for (const n of SIGNER_COUNTS) {
      const signers = await connectListeners(`${base.replace('http', 'ws')}/ws`, n, (client) => setup.keyholders[client % setup.keyholders.length]!);
      open.push(signers);
      await untilConnected(base, n);
      const plain = await connectListeners(bare.url, n, null);
      open.push(plain);

      const throughCoordinator: number[] = [];
      const bareBound: number[] = [];
      const answerAfterCommit: number[] = [];
      const sendLoops = { coordinator: [] as number[], coordinatorCpu: [] as number[], bare: [] as number[], bareCpu: [] as number[] };
      for (let round = 0; round < ROUNDS + WARMUP; round++) {
        const withdrawal = await setup.propose();
        const answeredAt = monotonicMs();
        const received = await signers.receipts(withdrawal.id);
        const committed = await commitStampOf(coordinator.logs, withdrawal.id);

        const probe = randomUUID();
        const plainReceived = plain.receipts(probe);
        const sent = await bare.broadcast({ withdrawalId: probe, vaultId: setup.vault.id });
        const bareReceived = await plainReceived;
        if (round < WARMUP) continue;
        throughCoordinator.push(...latencies(received, committed.committedAt));
        bareBound.push(...latencies(bareReceived, sent.sentAt));
        answerAfterCommit.push(answeredAt - committed.committedAt);
        sendLoops.coordinator.push(committed.pushedAt - committed.committedAt);
        sendLoops.coordinatorCpu.push(committed.pushCpuMs);
        sendLoops.bare.push(sent.doneAt - sent.sentAt);
        sendLoops.bareCpu.push(sent.sendCpuMs);
      }

      await Promise.all([signers.close(), plain.close()]);
      open.length = 0;
      await untilConnected(base, 0);
      latencyRows.push(`| ${n} | ${spread(throughCoordinator)} | ${spread(bareBound)} | ${ratios(throughCoordinator, bareBound)} |`);
      const medians = [sendLoops.coordinator, sendLoops.coordinatorCpu, sendLoops.bare, sendLoops.bareCpu, answerAfterCommit].map((s) => median(s).toFixed(2));
      sendLoopRows.push(`| ${n} | ${medians.join(' | ')} |`);
    }

    process.stdout.write([
      `# Live push of a vault event to N connected signers: coordinator vs bare ws broadcast (${ROUNDS} rounds per N after ${WARMUP} warm-up; N samples per round)`,
      `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, SQLite; ${KEYHOLDERS} keyholders; 1-min load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`,
      '',
      '| N | coordinator, commit to receipt: p50 / p90 / p99 / max ms | bare ws, send to receipt: p50 / p90 / p99 / max ms | ratio p50 / p90 / p99 / max |',
      '| ---: | ---: | ---: | ---: |',
      ...latencyRows,
      '',
      'Send loops (medians, ms): the coordinator\'s after-commit pushes (an audit head to every signer, then the event to the vault\'s), the bare server\'s one frame to each client.',
      '',
      '| N | coordinator wall | coordinator CPU | bare wall | bare CPU | proposer\'s REST answer after commit |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...sendLoopRows,
      '',
    ].join('\n'));
  } catch (error) {
    process.stderr.write(`coordinator log (last lines):\n${coordinator.logs.join('').split('\n').slice(-15).join('\n')}\n`);
    throw error;
  } finally {
    await Promise.all(open.map((listeners) => listeners.close()));
    bare.stop();
    await coordinator.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
