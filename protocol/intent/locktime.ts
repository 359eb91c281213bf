/**
 * Which nLockTime a signer signs, and which one the coordinator sets (anti-fee-sniping).
 *
 * Bitcoin Core sets a new transaction's nLockTime to the current tip height: the transaction is
 * then valid only in the next block and later, so a miner who reorganizes the tip away to take
 * its fees cannot include it in the replacement of the tip block ("fee sniping"), and Conclave's
 * transactions look like every Core wallet's.
 *
 * A signer has no chain view, and a hostile coordinator could set a height far ahead: the
 * transaction would be invalid until then, freezing the coins (the signer's journal has given
 * them to this intent, and a second transaction for the same intent is refused). A locktime at
 * or below the real tip delays nothing. So a signer accepts a height only up to a bound it can
 * compute itself from its own clock: for a network whose block rate follows the clock, a known
 * (height, time) anchor plus the blocks that can have been found since, counted as if they came
 * ASSUMED_FASTER_PERCENT faster than one per 600 s, plus a day of clock disagreement. The worst
 * a hostile coordinator can then do is a freeze of a few percent of the time since the anchor
 * (weeks, not years), which a fee bump undoes: a replacement may carry another locktime
 * (signing-journal.ts). Timestamps (500,000,000 and above, BIP65) are never signed.
 *
 * The coordinator uses the same bound, read a day earlier than its clock says, and falls back to
 * locktime 0 when its tip is above it: a bound too tight for the real chain costs the
 * anti-fee-sniping, never a withdrawal. Pure: the caller passes `now`.
 */
import type { NetworkName } from '../network';

/** nLockTime values from 500,000,000 up are Unix times (BIP65); Conclave only uses heights. */
export const LOCKTIME_THRESHOLD = 500_000_000;
/** One block every 600 s is the target of difficulty adjustment. */
const TARGET_BLOCK_SECONDS = 600;
/**
 * How much faster than the target the chain is assumed to have run since its anchor. Mainnet
 * ran 4.7% fast from 2009 to 2024 (hash rate grew faster than retargeting followed) and 1.3%
 * fast from the 2020 to the 2024 halving; 5% covers the recent pace with room.
 */
export const ASSUMED_FASTER_PERCENT = 5;
/** Disagreement between a signer's clock and the chain's tolerated by the bound: one day of blocks. */
export const CLOCK_MARGIN_BLOCKS = 144;
const DAY_MS = 86_400_000;

/**
 * A block whose height and time are known: mainnet's 2024 halving block (840,000, mined
 * 2024-04-20 00:09:27 UTC), and the default signet's genesis (2020-09-01 00:00:00 UTC; a custom
 * signet is younger, so its real heights only stay further below the bound).
 */
const CLOCK_ANCHORS: Partial<Record<NetworkName, { height: number; time: number }>> = {
  mainnet: { height: 840_000, time: Date.UTC(2024, 3, 20, 0, 9, 27) },
  signet: { height: 0, time: Date.UTC(2020, 8, 1) },
};
/**
 * Regtest blocks come when a developer asks for them, so no clock bounds them; its coins have
 * no value, so a fixed sanity bound serves (a million blocks is hours of generating, more than
 * any test or local chain builds). Testnet has neither: testnet3's height is millions of blocks
 * ahead of its clock (block storms) and the name also covers testnet4; there only 0 is signed.
 */
export const REGTEST_MAX_LOCKTIME = 1_000_000;

/** Highest block-height locktime a signer signs on `network` at `now` by its own clock (0: only 0). */
export function maxSignableLocktime(network: NetworkName, now: Date): number {
  if (network === 'regtest') return REGTEST_MAX_LOCKTIME;
  const anchor = CLOCK_ANCHORS[network];
  if (anchor === undefined) return 0;
  const elapsedSeconds = Math.max(0, (now.getTime() - anchor.time) / 1000);
  const blocks = Math.ceil((elapsedSeconds * (100 + ASSUMED_FASTER_PERCENT)) / (100 * TARGET_BLOCK_SECONDS));
  return anchor.height + blocks + CLOCK_MARGIN_BLOCKS;
}

/** Why a signer refuses `locktime`, or null when it may sign it. */
export function locktimeProblem(locktime: number, network: NetworkName, now: Date): string | null {
  if (locktime >= LOCKTIME_THRESHOLD) return `psbt: locktime ${locktime} is a timestamp; only block-height locktimes are signed`;
  if (locktime === 0) return null;
  const bound = maxSignableLocktime(network, now);
  if (bound === 0) return `psbt: locktime ${locktime}: on ${network} only locktime 0 is signed (no clock bounds its heights)`;
  if (locktime > bound) {
    return `psbt: locktime ${locktime} is above height ${bound}, the highest ${network} can have reached by this signer's clock; it would delay the transaction`;
  }
  return null;
}

/**
 * The coordinator's anti-fee-sniping locktime for a transaction built now: the tip height it
 * last recorded, when every signer will accept it (the bound read one day earlier, for clocks
 * that lag); otherwise 0. Offline (no tip) it is 0.
 */
export function antiFeeSnipingLocktime(tipHeight: number | null, network: NetworkName, now: Date): number {
  if (tipHeight === null || !Number.isSafeInteger(tipHeight) || tipHeight <= 0) return 0;
  const bound = maxSignableLocktime(network, new Date(now.getTime() - DAY_MS));
  return tipHeight <= bound ? tipHeight : 0;
}
