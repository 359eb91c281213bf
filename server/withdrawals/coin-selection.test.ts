/**
 * Coin selection builds what signers will sign: enough for outputs and fee, change above dust,
 * fee rate within their slack; branch and bound first for a change-less set, largest first with
 * change when it finds none.
 */
import fc from 'fast-check';
import { feeForVsize, feeRateToMsatPerVbyte, feeWithinRate } from '../../protocol/intent/fee-rate';
import { FEE_RATE_SLACK_PERCENT } from '../../protocol/intent/verify-withdrawal';
import { estimateVsize, p2trKeyPathInputWeight, p2wshMultisigInputWeight } from '../../protocol/psbt';
import { BNB_MAX_TRIES } from './branch-and-bound';
import { type Coin, type SelectionRequest, selectCoins } from './coin-selection';

const P2WPKH = new Uint8Array(22);
const P2WSH = new Uint8Array(34);
const coin = (amount: bigint, n = 0): Coin => ({ txid: n.toString(16).padStart(64, '0'), vout: 0, amount });
const request = (coins: Coin[], outputsTotal: bigint, feeRate = '1'): SelectionRequest => ({
  coins, outputsTotal, outputScripts: [P2WPKH], changeScript: P2WSH, changeDust: 330n, feeRate, inputWeight: p2wshMultisigInputWeight(2, 105),
});

const WEIGHT = p2wshMultisigInputWeight(2, 105);
/** Fee of a change-less spend of `inputs` vault coins to the one P2WPKH output, at `rate` sat/vB. */
const changelessFee = (inputs: number, rate: string) => feeForVsize(estimateVsize(Array(inputs).fill(WEIGHT), [P2WPKH]), feeRateToMsatPerVbyte(rate));

describe('selectCoins: branch and bound', () => {
  it('finds a set that pays outputs and fee exactly, with no change, where largest-first would make change', () => {
    const coins = [coin(300_000n, 1), coin(200_000n, 2), coin(120_000n, 3), coin(50_000n, 4)];
    const outputs = 250_000n - changelessFee(2, '3');
    const result = selectCoins(request(coins, outputs, '3'));
    expect(result).toMatchObject({ ok: true, algorithm: 'branch-and-bound', change: 0n, fee: changelessFee(2, '3') });
    if (!result.ok) throw new Error('expected a selection');
    expect(result.inputs.map((c) => c.amount)).toEqual([200_000n, 50_000n]);
    expect(result.vsize).toBe(estimateVsize([WEIGHT, WEIGHT], [P2WPKH]));
  });

  it('accepts a small excess as fee when it stays within the signers\' slack, and picks the smallest excess', () => {
    // Both {200k, 50k} and {120k, 130k + 3} fit; the first leaves no excess at all.
    const coins = [coin(200_000n, 1), coin(130_003n, 2), coin(120_000n, 3), coin(50_000n, 4)];
    const outputs = 250_000n - changelessFee(2, '3');
    const result = selectCoins(request(coins, outputs, '3'));
    if (!result.ok) throw new Error('expected a selection');
    expect(result.inputs.map((c) => c.amount)).toEqual([200_000n, 50_000n]);
    // Only the three-sat excess set left: taken, its fee three sats above the rate.
    const second = selectCoins(request([coin(130_003n, 2), coin(120_000n, 3)], outputs, '3'));
    expect(second).toMatchObject({ ok: true, algorithm: 'branch-and-bound', change: 0n, fee: changelessFee(2, '3') + 3n });
  });

  it('falls back to largest-first with change when no change-less set exists', () => {
    const result = selectCoins(request([coin(300_000n, 1), coin(200_000n, 2)], 100_000n, '3'));
    expect(result).toMatchObject({ ok: true, algorithm: 'largest-first', inputs: [{ amount: 300_000n }] });
    if (!result.ok) throw new Error('expected a selection');
    expect(result.change).toBe(300_000n - 100_000n - result.fee);
    expect(result.tries).toBeGreaterThan(0);
  });

  it('never spends a coin worth less than its own input fee (dust at this rate) to reach a target', () => {
    // At 100 sat/vB a 2-of-3 input costs ~10,450 sat: a 10,000-sat coin lowers what a set is worth.
    const coins = [coin(400_000n, 1), coin(10_000n, 2)];
    expect(selectCoins(request(coins, 400_000n - changelessFee(1, '100') + 5_000n, '100'))).toMatchObject({ ok: false });
    const result = selectCoins(request(coins, 400_000n - changelessFee(1, '100'), '100'));
    expect(result).toMatchObject({ ok: true, algorithm: 'branch-and-bound', inputs: [{ amount: 400_000n }], change: 0n });
  });

  it('gives up after a bounded number of tries on many coins and falls back', () => {
    // 3,000 distinct coins worth whole thousands once their input is paid, and a target 500 sat
    // off any sum of them: the search space is far beyond the bound.
    const coins = Array.from({ length: 3000 }, (_, i) => coin(100_000n + BigInt(i) * 1000n + changelessFee(1, '1') - changelessFee(0, '1'), i + 1));
    const result = selectCoins(request(coins, 1_234_500n, '1'));
    expect(result).toMatchObject({ ok: true, algorithm: 'largest-first', tries: BNB_MAX_TRIES });
    expect(selectCoins({ ...request(coins, 1_234_500n, '1'), maxTries: 500 })).toMatchObject({ ok: true, algorithm: 'largest-first', tries: 500 });
  });

  it('walks every branch of a small pool in few tries', () => {
    const result = selectCoins(request([coin(300_000n, 1), coin(200_000n, 2), coin(120_000n, 3)], 100_000n, '3'));
    expect(result.ok && result.tries).toBeLessThan(20);
  });

  it('every selection covers outputs and the fee at the rate, within the signers\' slack (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.bigInt({ min: 1_000n, max: 3_000_000n }), { minLength: 1, maxLength: 25 }),
      fc.bigInt({ min: 546n, max: 10_000_000n }),
      fc.constantFrom('1', '2.5', '13', '100.123', '0.1'),
      (amounts, outputsTotal, rate) => {
        const coins = amounts.map((a, i) => coin(a, i + 1));
        const req = request(coins, outputsTotal, rate);
        const result = selectCoins(req);
        const msat = feeRateToMsatPerVbyte(rate);
        if (!result.ok) {
          // Then not even all coins pay the outputs, the fee with change, and a change above dust.
          const all = amounts.reduce((s, a) => s + a, 0n);
          const withChange = feeForVsize(estimateVsize(Array(coins.length).fill(WEIGHT), [P2WPKH, P2WSH]), msat);
          expect(all < outputsTotal + withChange + req.changeDust).toBe(true);
          return;
        }
        const spent = result.inputs.reduce((s, c) => s + c.amount, 0n);
        expect(new Set(result.inputs.map((c) => c.txid)).size).toBe(result.inputs.length);
        expect(spent).toBe(outputsTotal + result.fee + result.change);
        expect(result.vsize).toBe(estimateVsize(Array(result.inputs.length).fill(WEIGHT), result.change > 0n ? [P2WPKH, P2WSH] : [P2WPKH]));
        expect(result.fee).toBeGreaterThanOrEqual(feeForVsize(result.vsize, msat));
        expect(feeWithinRate(result.fee, result.vsize, msat, FEE_RATE_SLACK_PERCENT)).toBe(true);
        expect(result.change === 0n || result.change >= req.changeDust).toBe(true);
        if (result.algorithm === 'branch-and-bound') expect(result.change).toBe(0n);
      },
    ), { numRuns: 300 });
  });
});

describe('selectCoins: largest first with change', () => {
  it('takes the largest coins first and returns change', () => {
    const result = selectCoins(request([coin(100_000n, 1), coin(500_000n, 2), coin(200_000n, 3)], 250_000n, '2'));
    if (!result.ok) throw new Error('expected a selection');
    expect(result.inputs.map((c) => c.amount)).toEqual([500_000n]);
    expect(result.change + result.fee + 250_000n).toBe(500_000n);
    expect(feeWithinRate(result.fee, result.vsize, feeRateToMsatPerVbyte('2'), 0n)).toBe(true);
  });

  it('reports what is available and needed when the coins do not cover the outputs and fee', () => {
    expect(selectCoins(request([coin(100_000n, 1)], 100_000n))).toMatchObject({ ok: false, available: 100_000n });
  });

  it('adds a coin rather than pay a remainder as fee above the rate signers accept', () => {
    // 500,000 paying 499,600 at 1 sat/vB leaves 400 sat: too little for change, too much as fee.
    const result = selectCoins(request([coin(500_000n, 1), coin(50_000n, 2)], 499_600n));
    if (!result.ok) throw new Error('expected a selection');
    expect(result.inputs).toHaveLength(2);
    expect(result.change).toBeGreaterThan(0n);
    expect(feeWithinRate(result.fee, result.vsize, feeRateToMsatPerVbyte('1'), FEE_RATE_SLACK_PERCENT)).toBe(true);
  });

  it('refuses when only an overpaying selection exists', () => {
    expect(selectCoins(request([coin(500_000n, 1)], 499_600n)).ok).toBe(false);
  });

  it('pays a small remainder as fee when it stays within the rate', () => {
    const probe = selectCoins(request([coin(500_000n, 1)], 400_000n));
    if (!probe.ok) throw new Error('expected a selection');
    // Outputs that leave just over the fee of a change-less spend: one sat more than needed.
    const withoutChangeVsize = probe.vsize - 43;
    const exact = selectCoins(request([coin(500_000n, 1)], 500_000n - BigInt(withoutChangeVsize) - 1n));
    if (!exact.ok) throw new Error('expected a selection');
    expect([exact.change, exact.fee]).toEqual([0n, BigInt(withoutChangeVsize) + 1n]);
  });

  it('prices a FROST vault coin as one key-path Taproot signature, cheaper than a 2-of-3 multisig spend', () => {
    const coins = [coin(100_000n, 1), coin(100_000n, 2)];
    const multisig = selectCoins(request(coins, 150_000n, '2'));
    const taproot = selectCoins({ ...request(coins, 150_000n, '2'), changeScript: new Uint8Array(34), inputWeight: p2trKeyPathInputWeight() });
    if (!multisig.ok || !taproot.ok) throw new Error('expected selections');
    expect(taproot.inputs).toHaveLength(2);
    expect(taproot.vsize).toBe(estimateVsize([p2trKeyPathInputWeight(), p2trKeyPathInputWeight()], [P2WPKH, new Uint8Array(34)]));
    expect(taproot.vsize).toBeLessThan(multisig.vsize);
    expect(feeWithinRate(taproot.fee, taproot.vsize, feeRateToMsatPerVbyte('2'), 0n)).toBe(true);
  });
});
