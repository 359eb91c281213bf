/**
 * `npm run bench:throughput`: how many withdrawals the coordinator gets through against what
 * the machine's cryptography allows, and how the cost of one withdrawal grows with its inputs.
 * Measures, in one run:
 *   1. Throughput: K concurrent 2-of-3 one-input withdrawals (K workers, each proposing the next
 *      as soon as its last is exported) through a real coordinator process on SQLite with two
 *      `signer-cli listen --yes` processes, in withdrawals per second; against the raw bound:
 *      the same signing and verification work back to back in one process.
 *   2. Inputs: one withdrawal spending 10, 100 and 500 coins (each deposited in a funding
 *      transaction of its own), from the proposal POST until `exported`, against the same work
 *      in one process; time per input, and how per-input cost at the most inputs compares with
 *      the fewest (1.0 is linear).
 * The coordinator and signer processes' CPU time is read from /proc per phase, to show where
 * the time goes. All coordinator-path phases run first, then the processes are stopped and the
 * in-process phases run on a quiet machine.
 * Knobs: BENCH_CONCURRENCY (default "1,4,16"), BENCH_WITHDRAWALS per level (default 24),
 * BENCH_INPUTS (default "10,100,500"), BENCH_INPUT_ROUNDS (default: 3, 2 and 1 rounds for those).
 */
import { cpus, totalmem } from 'node:os';
import { randomUUID } from 'node:crypto';
import { type MultisigVaultDescriptor } from '../protocol/descriptor';
import { decodePsbt } from '../protocol/psbt';
import { cpuMeter } from './process-cpu';
import { median, percentile } from './stats';
import { type CoordinatorStage, openCoordinatorStage } from './coordinator-stage';
import { type BenchCoin, coinAt, intentSpending, withdrawInProcess } from './withdrawal-work';
import type { TestKeyholder } from '../test/support/test-keyholder';

const list = (value: string | undefined, fallback: string) => (value ?? fallback).split(',').map((v) => Number(v.trim()));
const CONCURRENCY = list(process.env.BENCH_CONCURRENCY, '1,4,16');
const WITHDRAWALS = Number(process.env.BENCH_WITHDRAWALS ?? 24);
const INPUTS = list(process.env.BENCH_INPUTS, '10,100,500');
/** Rounds per input count: BENCH_INPUT_ROUNDS, or by default as many as spend about 200 coins (1 to 3), to keep the run short. */
const inputRounds = (inputs: number) => Number(process.env.BENCH_INPUT_ROUNDS ?? Math.max(1, Math.min(3, Math.floor(200 / inputs))));
const WARMUP = 2;
const STALL_SECONDS = Number(process.env.BENCH_STALL_SECONDS ?? 600);

/** CPU ms per process over a phase, as the meter read it. */
type CpuUse = Record<string, number | null>;

interface ThroughputLevel { concurrency: number; perSecond: number; latencies: number[]; cpu: CpuUse }
interface InputsRun { inputs: number; e2e: number[]; proposeMs: number[]; cpu: CpuUse[]; local: number[] }

function pidsOf(stage: CoordinatorStage) {
  return { coordinator: stage.pids.coordinator, bob: stage.pids.bob, carol: stage.pids.carol };
}

/** Ends the run with what the signers said, rather than waiting forever on a withdrawal that will not export. */
async function stalled(exported: Promise<void>, stage: CoordinatorStage, inputs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`a ${inputs}-input withdrawal was not exported within ${STALL_SECONDS} s; signers said:\n${stage.signerLogTail()}`)), STALL_SECONDS * 1000);
  });
  try {
    await Promise.race([exported, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** One withdrawal spending `inputs` coins already deposited: proposal POST to `exported`. */
async function oneThroughCoordinator(stage: CoordinatorStage, inputs: number): Promise<{ total: number; propose: number }> {
  const started = performance.now();
  const proposed = await stage.propose(intentSpending(stage.vaultId, inputs));
  const propose = performance.now() - started;
  await stalled(stage.exported(proposed.id), stage, inputs);
  const total = performance.now() - started;
  // Checked after the clock stops: a withdrawal that spent other coins would measure something else.
  const spent = decodePsbt(proposed.psbt).prevouts.length;
  if (spent !== inputs) throw new Error(`the coordinator selected ${spent} coins, expected ${inputs}`);
  return { total, propose };
}

/** K workers each propose their next withdrawal as soon as the last is exported, until `total` are done. */
async function throughputLevel(stage: CoordinatorStage, concurrency: number, total: number): Promise<ThroughputLevel> {
  await stage.deposit(total);
  const latencies: number[] = [];
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      latencies.push((await oneThroughCoordinator(stage, 1)).total);
    }
  };
  const meter = cpuMeter(pidsOf(stage));
  const begun = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = performance.now() - begun;
  return { concurrency, perSecond: (total * 1000) / elapsed, latencies, cpu: meter() };
}

async function inputsThroughCoordinator(stage: CoordinatorStage, inputs: number): Promise<InputsRun> {
  const run: InputsRun = { inputs, e2e: [], proposeMs: [], cpu: [], local: [] };
  for (let round = 0; round < inputRounds(inputs); round++) {
    await stage.deposit(inputs);
    const meter = cpuMeter(pidsOf(stage));
    const { total, propose } = await oneThroughCoordinator(stage, inputs);
    run.cpu.push(meter());
    run.e2e.push(total);
    run.proposeMs.push(propose);
  }
  return run;
}

/** The in-process work on fresh coins each time, so derivations are not served from a warm cache the real parties would not share. */
function inProcess(keyholders: TestKeyholder[], descriptor: MultisigVaultDescriptor, inputs: number): () => number {
  let nextIndex = 1_000_000;
  let changeIndex = 0;
  return () => {
    const coins: BenchCoin[] = Array.from({ length: inputs }, () => coinAt(descriptor, nextIndex++));
    const started = performance.now();
    withdrawInProcess({ keyholders, descriptor, vaultId: randomUUID(), coins, changeIndex: changeIndex++ });
    return performance.now() - started;
  };
}

const ms = (v: number) => v.toFixed(1);
const cpuPer = (cpu: CpuUse, name: string, per: number) => (cpu[name] === null || cpu[name] === undefined ? 'n/a' : ms(cpu[name]! / per));
const sumCpu = (runs: CpuUse[], name: string) => runs.reduce((s, c) => s + (c[name] ?? 0), 0);

async function main(): Promise<void> {
  const stage = await openCoordinatorStage();
  const { keyholders, descriptor } = stage;
  const levels: ThroughputLevel[] = [];
  const inputRuns: InputsRun[] = [];
  try {
    await stage.deposit(WARMUP);
    for (let i = 0; i < WARMUP; i++) await oneThroughCoordinator(stage, 1);
    for (const k of CONCURRENCY) levels.push(await throughputLevel(stage, k, WITHDRAWALS));
    for (const n of INPUTS) inputRuns.push(await inputsThroughCoordinator(stage, n));
  } finally {
    await stage.close();
  }

  const single = inProcess(keyholders, descriptor, 1);
  for (let i = 0; i < WARMUP; i++) single();
  const begun = performance.now();
  for (let i = 0; i < WITHDRAWALS; i++) single();
  const rawPerSecond = (WITHDRAWALS * 1000) / (performance.now() - begun);
  for (const run of inputRuns) {
    const round = inProcess(keyholders, descriptor, run.inputs);
    for (let i = 0; i < inputRounds(run.inputs); i++) run.local.push(round());
  }

  const first = inputRuns[0]!;
  const last = inputRuns.at(-1)!;
  const perInput = (samples: number[], inputs: number) => median(samples) / inputs;
  process.stdout.write([
    `# Throughput and inputs, 2-of-3 P2WSH: coordinator end to end vs the same work in one process`,
    `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, SQLite`,
    `coordinator path: coordinator process + 2 \`signer-cli listen --yes\` processes + this process (alice) on the same cores`,
    '',
    `## Throughput, one-input withdrawals (${WITHDRAWALS} per level after ${WARMUP} warm-up)`,
    '',
    '| concurrent | withdrawals/s | of raw bound | latency p50 ms | p90 ms | CPU ms per withdrawal: coordinator | bob | carol |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...levels.map((l) => `| ${l.concurrency} | ${l.perSecond.toFixed(2)} | ${(l.perSecond / rawPerSecond).toFixed(2)} | ${ms(median(l.latencies))} | ${ms(percentile(l.latencies, 90))} | ${cpuPer(l.cpu, 'coordinator', WITHDRAWALS)} | ${cpuPer(l.cpu, 'bob', WITHDRAWALS)} | ${cpuPer(l.cpu, 'carol', WITHDRAWALS)} |`),
    `| raw bound: same work, one process, back to back | ${rawPerSecond.toFixed(2)} | 1.00 | ${ms(1000 / rawPerSecond)} (mean) | | | | |`,
    '',
    `ratio (raw bound / best coordinator throughput): ${(rawPerSecond / Math.max(...levels.map((l) => l.perSecond))).toFixed(2)}x`,
    '',
    `## Cost as inputs grow (rounds: ${inputRuns.map((r) => `${r.e2e.length} at ${r.inputs}`).join(', ')}; medians)`,
    '',
    '| inputs | end to end ms | per input ms | proposal POST ms | in one process ms | per input ms | ratio | CPU ms per input: coordinator | bob | carol |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...inputRuns.map((r) => {
      const per = r.inputs * r.cpu.length;
      const cpu = { coordinator: sumCpu(r.cpu, 'coordinator'), bob: sumCpu(r.cpu, 'bob'), carol: sumCpu(r.cpu, 'carol') };
      return `| ${r.inputs} | ${ms(median(r.e2e))} | ${ms(perInput(r.e2e, r.inputs))} | ${ms(median(r.proposeMs))} | ${ms(median(r.local))} | ${ms(perInput(r.local, r.inputs))} | ${(median(r.e2e) / median(r.local)).toFixed(2)}x | ${cpuPer(cpu, 'coordinator', per)} | ${cpuPer(cpu, 'bob', per)} | ${cpuPer(cpu, 'carol', per)} |`;
    }),
    '',
    `per-input cost at ${last.inputs} inputs / at ${first.inputs} inputs (1.00 = linear): end to end ${(perInput(last.e2e, last.inputs) / perInput(first.e2e, first.inputs)).toFixed(2)}, in one process ${(perInput(last.local, last.inputs) / perInput(first.local, first.inputs)).toFixed(2)}`,
    '',
  ].join('\n'));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
