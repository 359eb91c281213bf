/**
 * `npm run bench`: what the coordinator adds to the cryptography. Measures, side by side in
 * one run, a 2-of-3 one-input withdrawal
 *   (a) end to end over loopback: a real coordinator process (SQLite), two `signer-cli listen`
 *       processes signing over WebSocket; timed from the proposal POST until the coordinator
 *       pushes `exported`; and
 *   (b) the same work in one process (bench/withdrawal-work.ts): sign and verify the intent
 *       envelope, select the coin, build and inspect
 *       the PSBT, both signers' full verification and signing, the coordinator's signature
 *       checks, finalization and extraction.
 * Prints medians and their ratio. Rounds: BENCH_ROUNDS (default 20), after 2 warm-up rounds.
 */
import { cpus } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { WithdrawalIntent } from '../protocol/api';
import { DEFAULT_POLICY, policyHash } from '../protocol/policy';
import { openCoordinatorStage } from './coordinator-stage';
import { median, percentile } from './stats';
import { DESTINATION, coinAt, withdrawInProcess } from './withdrawal-work';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const WARMUP = 2;

function intentFor(vaultId: string): WithdrawalIntent {
  return {
    vaultId, network: 'regtest', requestId: randomUUID(), outputs: [{ address: DESTINATION, amount: '250000' }],
    feeRate: '2', maxFee: '50000', memo: '', expiresAt: new Date(Date.now() + 3600_000).toISOString(), policyHash: policyHash(DEFAULT_POLICY),
  };
}

async function main(): Promise<void> {
  // The same stage as the throughput benchmark: a coordinator process, bob and carol listening.
  const stage = await openCoordinatorStage();
  try {
    const { keyholders, descriptor, vaultId } = stage;
    await stage.deposit(ROUNDS + WARMUP);

    const throughCoordinator: number[] = [];
    for (let round = 0; round < ROUNDS + WARMUP; round++) {
      const started = performance.now();
      const w = await stage.propose(intentFor(vaultId));
      await stage.exported(w.id);
      if (round >= WARMUP) throughCoordinator.push(performance.now() - started);
    }

    // (b): the same steps for a one-coin withdrawal, in this process (bench/withdrawal-work.ts).
    const coins = [coinAt(descriptor, 0)];
    const inProcess: number[] = [];
    for (let round = 0; round < ROUNDS + WARMUP; round++) {
      const started = performance.now();
      withdrawInProcess({ keyholders, descriptor, vaultId, coins, changeIndex: 0 });
      if (round >= WARMUP) inProcess.push(performance.now() - started);
    }

    const e2e = median(throughCoordinator);
    const local = median(inProcess);
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    process.stdout.write([
      `# 2-of-3 one-input withdrawal: coordinator end to end vs in-process (${ROUNDS} rounds each, ${WARMUP} warm-up)`,
      `machine: ${cpu}, ${cpus().length} cores, Node ${process.version}, SQLite`,
      '',
      '| path | median ms | p90 ms | min ms |',
      '| --- | ---: | ---: | ---: |',
      `| through the coordinator (loopback, 2 signer processes) | ${e2e.toFixed(1)} | ${percentile(throughCoordinator, 90).toFixed(1)} | ${Math.min(...throughCoordinator).toFixed(1)} |`,
      `| same signing and verification in one process | ${local.toFixed(1)} | ${percentile(inProcess, 90).toFixed(1)} | ${Math.min(...inProcess).toFixed(1)} |`,
      '',
      `ratio (median end to end / median in-process): ${(e2e / local).toFixed(2)}x`,
      '',
    ].join('\n'));
  } finally {
    await stage.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
