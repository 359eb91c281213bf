/**
 * Branch-and-bound search for a change-less input set, as Bitcoin Core's SelectCoinsBnB
 * (src/wallet/coinselection.cpp; M. Erhardt, "An Evaluation of Coin Selection Strategies",
 * 2016): a depth-first search over the coins sorted by effective value (amount less the fee of
 * spending it), including before excluding each, for a set whose effective value lands in
 * [target, target + the excess it may leave]. Such a set needs no change output: the excess goes
 * to the fee. Branches that cannot reach the target, or that already overshoot it, are cut; a
 * coin equal to one just excluded is not tried again in its place; the search stops after
 * `maxTries` steps (Core: 100,000) and keeps the set with the least excess found.
 *
 * Core also weighs "waste" against a long-term fee rate; Conclave has no long-term estimate, so
 * waste here is the excess alone (Core's result when both rates are equal).
 *
 * Written here rather than taken from npm: `coinselect` and its forks count amounts in JS
 * numbers and price inputs and outputs with their own size model, @bitcoinerlab/coinselect
 * needs its own descriptor objects, and @scure/btc-signer's selectUTXO sizes inputs by its own
 * estimator. Signers check the fee against protocol/psbt/vsize.ts, so selection prices with
 * that model, in bigint satoshis. Pure and deterministic.
 */

/** Core's TOTAL_TRIES. */
export const BNB_MAX_TRIES = 100_000;

export interface BnbRequest {
  /** Effective values, all positive, sorted from largest to smallest. */
  values: readonly bigint[];
  /** Outputs plus the fee of everything but the inputs. */
  target: bigint;
  /** Most excess over the target a set may leave, given how many coins it has (a change-less transaction's fee slack). */
  maxExcess: (count: number) => bigint;
  /** Most coins a set may have (a standard transaction's weight). */
  maxCount: number;
  /**
   * Last word on a set within the window, on exact sizes (the window is reckoned on additive
   * per-input fees, which can differ from the rounded size of the whole by a satoshi or two).
   */
  accept: (indexes: readonly number[]) => boolean;
  maxTries?: number;
}

export interface BnbResult {
  /** Indexes into `values` of the set with the least excess, or null when none was found. */
  indexes: number[] | null;
  /** Steps taken: at most `maxTries`. */
  tries: number;
}

export function branchAndBound(request: BnbRequest): BnbResult {
  const { values, target, maxExcess, maxCount, accept } = request;
  const maxTries = request.maxTries ?? BNB_MAX_TRIES;
  let available = values.reduce((sum, v) => sum + v, 0n);
  if (available < target) return { indexes: null, tries: 0 };
  const selection: number[] = [];
  let value = 0n;
  let best: number[] | null = null;
  let bestExcess = 0n;
  let tries = 0;
  for (let index = 0; tries < maxTries; tries += 1, index += 1) {
    let backtrack = false;
    if (value + available < target || value - target > maxExcess(selection.length) || selection.length > maxCount) {
      backtrack = true;
    } else if (value >= target) {
      const excess = value - target;
      if ((best === null || excess <= bestExcess) && accept(selection)) {
        best = [...selection];
        bestExcess = excess;
      }
      // More coins would only add to the fee.
      backtrack = true;
    }
    if (backtrack) {
      if (selection.length === 0) {
        tries += 1;
        break; // every branch has been walked
      }
      // Give back the coins skipped after the last one included, then take the branch without it.
      const last = selection[selection.length - 1]!;
      for (index -= 1; index > last; index -= 1) available += values[index]!;
      value -= values[last]!;
      selection.pop();
    } else {
      const coin = values[index]!;
      available -= coin;
      const previousExcludedAndEqual = selection.length > 0 && selection[selection.length - 1] !== index - 1 && values[index - 1] === coin;
      if (!previousExcludedAndEqual) {
        selection.push(index);
        value += coin;
      }
    }
  }
  return { indexes: best, tries };
}
