/**
 * Amounts are integer satoshis, carried in JSON as decimal strings (DESIGN.md, withdrawal
 * lifecycle) so no JSON number rounding can touch them.
 */
import { ConclaveError } from './errors';

export const MAX_MONEY_SATS = 2_100_000_000_000_000n;
const SATS_PATTERN = /^(0|[1-9][0-9]{0,15})$/;

export function parseSats(value: unknown, field: string): bigint {
  if (typeof value !== 'string' || !SATS_PATTERN.test(value)) {
    throw new ConclaveError('AMOUNT_INVALID', `${field}: expected a decimal string of satoshis, got ${JSON.stringify(value)}`);
  }
  const sats = BigInt(value);
  if (sats > MAX_MONEY_SATS) throw new ConclaveError('AMOUNT_INVALID', `${field}: ${value} exceeds 21 million BTC`);
  return sats;
}

export function formatSats(sats: bigint): string {
  return sats.toString(10);
}

/** "0.00012345 BTC" for people; the satoshi string stays the source of truth. */
export function formatBtc(sats: bigint): string {
  const negative = sats < 0n;
  const abs = negative ? -sats : sats;
  const whole = abs / 100_000_000n;
  const frac = (abs % 100_000_000n).toString().padStart(8, '0');
  return `${negative ? '-' : ''}${whole}.${frac} BTC`;
}
