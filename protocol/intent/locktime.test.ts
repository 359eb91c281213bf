/**
 * The locktime rule on each network (locktime.ts): a signer signs a height only up to what the
 * chain can have reached by its own clock, and the coordinator's anti-fee-sniping locktime stays
 * within that bound, falling back to 0 rather than asking for a refused signature.
 */
import fc from 'fast-check';
import { NETWORK_NAMES } from '../network';
import {
  ASSUMED_FASTER_PERCENT, CLOCK_MARGIN_BLOCKS, LOCKTIME_THRESHOLD, REGTEST_MAX_LOCKTIME, antiFeeSnipingLocktime, locktimeProblem, maxSignableLocktime,
} from './locktime';

const NOW = new Date('2026-11-23T09:00:00Z');
const DAY = 86_400_000;
/** Mainnet's real height around NOW is about 980,000 (840,000 at 2024-04-20 plus ~950 days of ~590 s blocks). */
const MAINNET_TIP_NOW = 980_000;

describe('maxSignableLocktime', () => {
  test('mainnet: above the real tip, and by only a few percent of the time since the anchor', () => {
    const bound = maxSignableLocktime('mainnet', NOW);
    expect(bound).toBeGreaterThan(MAINNET_TIP_NOW);
    // At most ~ (5% + what the chain really ran fast) of 950 days: weeks of blocks, never years.
    expect(bound - MAINNET_TIP_NOW).toBeLessThan(60 * 144);
    // The anchor itself: the 2024 halving block, at its own time.
    expect(maxSignableLocktime('mainnet', new Date(Date.UTC(2024, 3, 20, 0, 9, 27)))).toBe(840_000 + CLOCK_MARGIN_BLOCKS);
  });

  test('mainnet: a clock before the anchor still bounds by the anchor, a height that exists', () => {
    expect(maxSignableLocktime('mainnet', new Date('2001-01-01T00:00:00Z'))).toBe(840_000 + CLOCK_MARGIN_BLOCKS);
  });

  test('signet: counted from its genesis (2020-09-01), above its height (about 330,000 by late 2026)', () => {
    const bound = maxSignableLocktime('signet', NOW);
    expect(bound).toBeGreaterThan(330_000);
    expect(bound).toBeLessThan(400_000);
  });

  test('testnet: no clock bounds its heights, only 0 is signed; regtest: a fixed sanity bound', () => {
    expect(maxSignableLocktime('testnet', NOW)).toBe(0);
    expect(maxSignableLocktime('regtest', NOW)).toBe(REGTEST_MAX_LOCKTIME);
    expect(maxSignableLocktime('regtest', new Date(0))).toBe(REGTEST_MAX_LOCKTIME);
  });

  test('grows with the clock at 600 s per block less the assumed speed-up', () => {
    const year = 365 * DAY;
    const grown = maxSignableLocktime('mainnet', new Date(NOW.getTime() + year)) - maxSignableLocktime('mainnet', NOW);
    expect(Math.abs(grown - (365 * 144 * (100 + ASSUMED_FASTER_PERCENT)) / 100)).toBeLessThanOrEqual(1);
  });
});

describe('locktimeProblem (what a signer signs)', () => {
  test.each([
    ['mainnet', 0, true], ['mainnet', 840_000, true], ['mainnet', MAINNET_TIP_NOW, true], ['mainnet', 1_100_000, false], ['mainnet', 499_999_999, false],
    ['signet', 0, true], ['signet', 250_000, true], ['signet', 450_000, false],
    ['testnet', 0, true], ['testnet', 1, false], ['testnet', 4_000_000, false],
    ['regtest', 0, true], ['regtest', 101, true], ['regtest', REGTEST_MAX_LOCKTIME, true], ['regtest', REGTEST_MAX_LOCKTIME + 1, false],
  ] as const)('%s: locktime %i signed: %s', (network, locktime, signed) => {
    expect(locktimeProblem(locktime, network, NOW) === null).toBe(signed);
  });

  test('a timestamp locktime is refused on every network, with its own reason', () => {
    for (const network of NETWORK_NAMES) {
      expect(locktimeProblem(LOCKTIME_THRESHOLD, network, NOW)).toBe(`psbt: locktime ${LOCKTIME_THRESHOLD} is a timestamp; only block-height locktimes are signed`);
    }
  });

  test('the reasons name the bound and the network', () => {
    expect(locktimeProblem(1_100_000, 'mainnet', NOW)).toBe(
      `psbt: locktime 1100000 is above height ${maxSignableLocktime('mainnet', NOW)}, the highest mainnet can have reached by this signer's clock; it would delay the transaction`,
    );
    expect(locktimeProblem(5, 'testnet', NOW)).toBe('psbt: locktime 5: on testnet only locktime 0 is signed (no clock bounds its heights)');
  });
});

describe('antiFeeSnipingLocktime (what the coordinator sets)', () => {
  test('the recorded tip height, offline 0', () => {
    expect(antiFeeSnipingLocktime(MAINNET_TIP_NOW, 'mainnet', NOW)).toBe(MAINNET_TIP_NOW);
    expect(antiFeeSnipingLocktime(150, 'regtest', NOW)).toBe(150);
    expect(antiFeeSnipingLocktime(300_000, 'signet', NOW)).toBe(300_000);
    expect(antiFeeSnipingLocktime(null, 'mainnet', NOW)).toBe(0);
    expect(antiFeeSnipingLocktime(0, 'regtest', NOW)).toBe(0);
  });

  test('0 on testnet, and 0 when the tip is above what signers accept', () => {
    expect(antiFeeSnipingLocktime(4_000_000, 'testnet', NOW)).toBe(0);
    expect(antiFeeSnipingLocktime(maxSignableLocktime('mainnet', NOW) + 1, 'mainnet', NOW)).toBe(0);
    expect(antiFeeSnipingLocktime(REGTEST_MAX_LOCKTIME + 1, 'regtest', NOW)).toBe(0);
  });

  test('whatever the tip, a signer whose clock lags the coordinator\'s by up to a day signs it', () => {
    fc.assert(fc.property(
      fc.constantFrom(...NETWORK_NAMES), fc.integer({ min: 0, max: 2_000_000 }), fc.integer({ min: 0, max: DAY }), fc.integer({ min: 0, max: 3650 }),
      (network, tip, lagMs, daysAfter) => {
        const coordinatorNow = new Date(NOW.getTime() + daysAfter * DAY);
        const locktime = antiFeeSnipingLocktime(tip, network, coordinatorNow);
        expect(locktime === 0 || locktime === tip).toBe(true);
        expect(locktimeProblem(locktime, network, new Date(coordinatorNow.getTime() - lagMs))).toBeNull();
      },
    ));
  });
});
