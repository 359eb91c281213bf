/**
 * CPU time a process has used (user + system), read from /proc on Linux. The benchmarks sample
 * the coordinator and each signer before and after a phase, so a result can say which process
 * the time went to, not only how long the phase took. Elsewhere the reading is null.
 */
import { readFileSync } from 'node:fs';

/** Linux reports utime and stime in clock ticks, 100 per second on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

export function cpuMilliseconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in field 2 may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU used by several named processes over one phase, in ms. */
export function cpuMeter(pids: Record<string, number | undefined>): () => Record<string, number | null> {
  const start = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMilliseconds(pid)]));
  return () => Object.fromEntries(Object.entries(pids).map(([name, pid]) => {
    const before = start[name];
    const now = cpuMilliseconds(pid);
    return [name, before === null || before === undefined || now === null ? null : now - before];
  }));
}
