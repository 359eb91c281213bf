/**
 * Fee rates as intents carry them: sat/vB as a decimal string with at most three decimals
 * (api.ts `feeRateSchema`). Compared in integer millisatoshis per vbyte so that no float
 * rounding decides whether a signer signs.
 */
import { ConclaveError } from '../errors';

const FEE_RATE_PATTERN = /^(0|[1-9][0-9]{0,6})(?:\.([0-9]{1,3}))?$/;

/** "2.5" sat/vB -> 2500n msat/vB. */
export function feeRateToMsatPerVbyte(rate: string, field = 'feeRate'): bigint {
  const match = FEE_RATE_PATTERN.exec(rate);
  if (match === null) throw new ConclaveError('FEE_RATE_INVALID', `${field}: expected sat/vB as a decimal string, got ${JSON.stringify(rate)}`);
  return BigInt(match[1]) * 1000n + BigInt((match[2] ?? '').padEnd(3, '0'));
}

/**
 * True when `fee` over `vsize` vbytes is at most `maxRate` plus `slackPercent` percent:
 * fee / vsize <= maxRate * (100 + slack) / 100, cross-multiplied to stay in integers.
 */
export function feeWithinRate(fee: bigint, vsize: number, maxRateMsat: bigint, slackPercent: bigint): boolean {
  return fee * 1000n * 100n <= maxRateMsat * BigInt(vsize) * (100n + slackPercent);
}

/** The fee, in satoshis rounded up, that pays `msatPerVbyte` for `vsize` vbytes. */
export function feeForVsize(vsize: number, msatPerVbyte: bigint): bigint {
  return (BigInt(vsize) * msatPerVbyte + 999n) / 1000n;
}
