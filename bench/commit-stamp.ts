/**
 * Preloaded into the coordinator process by `bench:push` (NODE_OPTIONS=--require), never in
 * production. It stamps the moment a transaction that publishes a vault event has committed:
 * when TransactionRunner starts that transaction's after-commit hooks, which are the pushes;
 * and when those hooks are done (every frame handed to its socket), with the CPU time they took
 * (a long send loop on a busy machine may be the scheduler's doing rather than work). All are
 * printed after the hooks have run, so printing them does not delay any push.
 */
import { TransactionRunner } from '../server/database/transaction-runner';
import { COMMIT_STAMP_TAG } from './commit-stamps';
import { monotonicMs } from './monotonic-clock';

type Hooks = Map<string, () => void>;
const VAULT_EVENT = 'vault-event:'; // SignerHub.publishToVault's hook key: this prefix, then the event as JSON

const runner = TransactionRunner.prototype as unknown as { runHooks(hooks: Hooks): void };
const runHooks = runner.runHooks;
if (typeof runHooks !== 'function') throw new Error('commit-stamp: TransactionRunner has no runHooks to stamp; update bench/commit-stamp.ts');

runner.runHooks = function stampedRunHooks(this: unknown, hooks: Hooks): void {
  const committedAt = monotonicMs();
  const cpu = process.cpuUsage();
  runHooks.call(this, hooks);
  const pushedAt = monotonicMs();
  const { user, system } = process.cpuUsage(cpu);
  for (const key of hooks.keys()) {
    if (key.startsWith(VAULT_EVENT)) process.stdout.write(`${JSON.stringify({ [COMMIT_STAMP_TAG]: committedAt, pushedAt, pushCpuMs: (user + system) / 1000, event: JSON.parse(key.slice(VAULT_EVENT.length)) })}\n`);
  }
};
