/**
 * How `bench:push` learns when the coordinator committed the change behind a push, without a
 * line of server code for it: `commit-stamp.js` is preloaded into the coordinator process and
 * prints a tagged line per committed vault event; `commitStamps` reads those lines back.
 */
import { join } from 'node:path';
import type { CoordinatorEvent } from '../protocol/api';

export const COMMIT_STAMP_TAG = 'conclaveBenchCommittedAt';

/** For NODE_OPTIONS of the coordinator process only (`--require` takes a compiled file). */
export const COMMIT_STAMP_PRELOAD = `--require ${join(__dirname, 'commit-stamp.js')}`;

/** When the change committed, when every push after it had been handed to its socket, and the CPU time that took. */
export interface CommitStamp { committedAt: number; pushedAt: number; pushCpuMs: number }

/** Every stamp printed so far in the coordinator's output, by withdrawal id. */
export function commitStamps(coordinatorOutput: string[]): Map<string, CommitStamp> {
  const byWithdrawal = new Map<string, CommitStamp>();
  for (const line of coordinatorOutput.join('').split('\n')) {
    if (!line.includes(COMMIT_STAMP_TAG)) continue;
    const stamp = JSON.parse(line) as { [COMMIT_STAMP_TAG]: number; pushedAt: number; pushCpuMs: number; event: CoordinatorEvent };
    if ('withdrawalId' in stamp.event) byWithdrawal.set(stamp.event.withdrawalId, { committedAt: stamp[COMMIT_STAMP_TAG], pushedAt: stamp.pushedAt, pushCpuMs: stamp.pushCpuMs });
  }
  return byWithdrawal;
}
