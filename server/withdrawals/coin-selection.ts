/**
 * Coin selection, as Bitcoin Core's wallet does it in outline: first branch-and-bound
 * (branch-and-bound.ts) for a set of coins that pays the outputs and the fee with no change
 * output, the small excess going to the fee; when there is none, largest coins first until the
 * outputs and the fee are covered, with change when it is above dust, otherwise the remainder
 * goes to the fee unless that would pay more than signers accept.
 *
 * Sizes come from the same estimator the signers check the fee rate with (protocol/psbt/vsize.ts),
 * for either vault kind (`vaultInputWeight`: a P2WSH multisig witness or one key-path Taproot
 * signature), and every selection is checked on its exact size: the fee covers the rate and stays
 * within the signers' FEE_RATE_SLACK_PERCENT. Pure and deterministic (ties broken by outpoint).
 */
import { feeForVsize, feeRateToMsatPerVbyte, feeWithinRate } from '../../protocol/intent/fee-rate';
import { FEE_RATE_SLACK_PERCENT } from '../../protocol/intent/verify-withdrawal';
import { estimateVsize } from '../../protocol/psbt';
import { BNB_MAX_TRIES, branchAndBound } from './branch-and-bound';

export interface Coin { txid: string; vout: number; amount: bigint }

export interface SelectionRequest {
  coins: Coin[];
  outputsTotal: bigint;
  outputScripts: Uint8Array[];
  changeScript: Uint8Array;
  changeDust: bigint;
  feeRate: string;
  /**
   * Weight of spending one of the vault's coins once signed (`vaultInputWeight` of any of its
   * scripts: the same for every address of a vault).
   */
  inputWeight: number;
  /** Bound on the branch-and-bound search (default Core's 100,000). */
  maxTries?: number;
}

export type Selection =
  | { ok: true; inputs: Coin[]; fee: bigint; change: bigint; vsize: number; algorithm: 'branch-and-bound' | 'largest-first'; tries: number }
  | { ok: false; available: bigint; needed: bigint };

/** Policy limit on a standard transaction's weight (Core's MAX_STANDARD_TX_WEIGHT): more inputs would not relay. */
export const MAX_STANDARD_TX_WEIGHT = 400_000;

export function selectCoins(request: SelectionRequest): Selection {
  const sorted = [...request.coins].sort((a, b) => (a.amount === b.amount ? a.txid.localeCompare(b.txid) || a.vout - b.vout : a.amount > b.amount ? -1 : 1));
  const exact = withoutChange(request, sorted);
  return exact.selection ?? largestFirst(request, sorted, exact.tries);
}

function pricing(request: SelectionRequest) {
  const rate = feeRateToMsatPerVbyte(request.feeRate);
  const vsizeFor = (inputCount: number, withChange: boolean) =>
    estimateVsize(Array(inputCount).fill(request.inputWeight), withChange ? [...request.outputScripts, request.changeScript] : request.outputScripts);
  return { rate, vsizeFor };
}

/**
 * Branch and bound over effective values. Window: the excess may not exceed what adding change
 * would cost (the change output now and spending it later: Core's cost of change), nor what the
 * signers' fee-rate slack lets a change-less transaction of that many inputs pay.
 *
 * The search adds per-input fees, while the real fee is rounded up to whole vbytes and whole
 * satoshis. So it counts in units of 1/4000 sat (weight units times msat/vB), where fees add up
 * exactly: the real excess is then at most the counted one and less than it by under
 * ROUNDING_UNITS, which only widens the upper cut; `exactFit` decides on the exact size.
 */
function withoutChange(request: SelectionRequest, sorted: Coin[]): { selection: Selection | null; tries: number } {
  const { rate, vsizeFor } = pricing(request);
  const inputWeight = BigInt(request.inputWeight);
  // vsize.ts counts 4 x the non-witness bytes plus the 2-unit segwit marker, then rounds up.
  const baseWeight = BigInt(4 * vsizeFor(0, false) - 2);
  const changeWeight = BigInt(4 * (vsizeFor(0, true) - vsizeFor(0, false)));
  // Rounding the weight up to vbytes (3 units; 8 more when the input count needs a longer
  // varint, from 253 inputs) and the fee up to a satoshi (4000 units).
  const roundingUnits = 11n * rate + 4000n;
  const units = (sats: bigint) => sats * 4000n;
  const inputCost = inputWeight * rate;
  const costOfChange = (changeWeight + inputWeight) * rate;
  const slack = (count: number) => ((baseWeight + BigInt(count) * inputWeight) * rate * FEE_RATE_SLACK_PERCENT) / 100n;
  // A coin worth less than the slack its input adds could let an overshoot shrink back into the
  // window, which the search's cut assumes never happens; such a coin is nearly all fee anyway.
  const perCoinSlack = (inputCost * FEE_RATE_SLACK_PERCENT) / 100n;
  const pool = sorted.filter((c) => units(c.amount) - inputCost > perCoinSlack);
  const maxCount = Math.floor((MAX_STANDARD_TX_WEIGHT - Number(baseWeight)) / request.inputWeight);
  const result = branchAndBound({
    values: pool.map((c) => units(c.amount) - inputCost),
    target: units(request.outputsTotal) + baseWeight * rate,
    maxExcess: (count) => (slack(count) < costOfChange ? slack(count) : costOfChange) + roundingUnits,
    maxCount,
    accept: (indexes) => exactFit(request, indexes.map((i) => pool[i]!)) !== null,
    maxTries: request.maxTries ?? BNB_MAX_TRIES,
  });
  if (result.indexes === null) return { selection: null, tries: result.tries };
  const inputs = result.indexes.map((i) => pool[i]!);
  const fit = exactFit(request, inputs)!;
  return { selection: { ok: true, inputs, ...fit, change: 0n, algorithm: 'branch-and-bound', tries: result.tries }, tries: result.tries };
}

/** The fee and size of spending exactly `inputs` with no change, when signers accept that fee. */
function exactFit(request: SelectionRequest, inputs: Coin[]): { fee: bigint; vsize: number } | null {
  const { rate, vsizeFor } = pricing(request);
  const vsize = vsizeFor(inputs.length, false);
  const fee = inputs.reduce((sum, c) => sum + c.amount, 0n) - request.outputsTotal;
  if (fee < feeForVsize(vsize, rate) || !feeWithinRate(fee, vsize, rate, FEE_RATE_SLACK_PERCENT)) return null;
  return { fee, vsize };
}

/** The fallback: largest coins first, with change (`tries`: what branch and bound spent before it). */
function largestFirst(request: SelectionRequest, sorted: Coin[], tries: number): Selection {
  const { rate, vsizeFor } = pricing(request);
  const inputs: Coin[] = [];
  let total = 0n;
  for (const coin of sorted) {
    inputs.push(coin);
    total += coin.amount;
    const vsizeNoChange = vsizeFor(inputs.length, false);
    if (total < request.outputsTotal + feeForVsize(vsizeNoChange, rate)) continue;
    const vsizeWithChange = vsizeFor(inputs.length, true);
    const feeWithChange = feeForVsize(vsizeWithChange, rate);
    const change = total - request.outputsTotal - feeWithChange;
    if (change >= request.changeDust) return { ok: true, inputs, fee: feeWithChange, change, vsize: vsizeWithChange, algorithm: 'largest-first', tries };
    // Without change the remainder is fee. Signers refuse a fee rate above the intent's (plus
    // their slack), so a remainder that large needs another coin to make change possible.
    const fee = total - request.outputsTotal;
    if (feeWithinRate(fee, vsizeNoChange, rate, FEE_RATE_SLACK_PERCENT)) return { ok: true, inputs, fee, change: 0n, vsize: vsizeNoChange, algorithm: 'largest-first', tries };
  }
  return { ok: false, available: total, needed: request.outputsTotal + feeForVsize(vsizeFor(Math.max(sorted.length, 1), false), rate) };
}
