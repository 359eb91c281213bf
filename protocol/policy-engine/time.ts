/**
 * Time in policy rules: delays and windows are whole seconds, bounded, so every sum of a time
 * and a delay stays an exact integer of milliseconds; and the "time left" wording that every
 * refusal uses. Pure: the caller's clock arrives as `now`.
 */
import { z } from 'zod';

/** Ten years: a longer delay is a typo, and the bound keeps date arithmetic exact. */
export const MAX_DURATION_SECONDS = 10 * 365 * 24 * 3600;
export const durationSchema = z.number().int().min(0).max(MAX_DURATION_SECONDS);

/**
 * A signed timestamp as envelopes write it (`Date.prototype.toISOString`, millisecond
 * precision), so a time copied from evidence into pinned state hashes the same everywhere.
 */
export const timestampSchema = z.iso.datetime({ precision: 3 });

export function addSeconds(time: Date, seconds: number): Date {
  return new Date(time.getTime() + seconds * 1000);
}

export function laterOf(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

/** "1 d 2 h 3 min 4 s", rounded up to the second so a wait still running never reads "0 s". */
export function formatDuration(ms: number): string {
  let seconds = Math.max(0, Math.ceil(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['min', 60]] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)} ${unit}`);
      seconds %= size;
    }
  }
  if (seconds > 0 || parts.length === 0) parts.push(`${seconds} s`);
  return parts.join(' ');
}
