/** Coin selection builds what signers will sign: enough for outputs and fee, change above dust, fee rate within their slack. */
import { feeRateToMsatPerVbyte, feeWithinRate } from '../../protocol/intent/fee-rate';
import { FEE_RATE_SLACK_PERCENT } from '../../protocol/intent/verify-withdrawal';
import { estimateVsize, p2trKeyPathInputWeight, p2wshMultisigInputWeight } from '../../protocol/psbt';
import { type Coin, type SelectionRequest, selectCoins } from './coin-selection';

const P2WPKH = new Uint8Array(22);
const P2WSH = new Uint8Array(34);
const coin = (amount: bigint, n = 0): Coin => ({ txid: n.toString(16).padStart(64, '0'), vout: 0, amount });
const request = (coins: Coin[], outputsTotal: bigint, feeRate = '1'): SelectionRequest => ({
  coins, outputsTotal, outputScripts: [P2WPKH], changeScript: P2WSH, changeDust: 330n, feeRate, inputWeight: p2wshMultisigInputWeight(2, 105),
});

describe('selectCoins', () => {
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
