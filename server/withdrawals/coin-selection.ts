/**
 * Coin selection for offline mode: largest coins first until the outputs and the fee at the
 * requested rate are covered; change is added when it is above dust, otherwise the remainder
 * goes to the fee unless that would pay more than signers accept. Sizes come from the same
 * estimator the signers check the fee rate with (protocol/psbt/vsize.ts), for either vault kind
 * (`vaultInputWeight`: a P2WSH multisig witness or one key-path Taproot signature). Pure.
 * (A branch-and-bound selector for chain-backed vaults is issue 7.)
 */
import { feeForVsize, feeRateToMsatPerVbyte, feeWithinRate } from '../../protocol/intent/fee-rate';
import { FEE_RATE_SLACK_PERCENT } from '../../protocol/intent/verify-withdrawal';
import { estimateVsize } from '../../protocol/psbt';

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
}

export type Selection =
  | { ok: true; inputs: Coin[]; fee: bigint; change: bigint; vsize: number }
  | { ok: false; available: bigint; needed: bigint };

export function selectCoins(request: SelectionRequest): Selection {
  const rate = feeRateToMsatPerVbyte(request.feeRate);
  const { inputWeight } = request;
  const vsizeFor = (inputCount: number, withChange: boolean) =>
    estimateVsize(Array(inputCount).fill(inputWeight), withChange ? [...request.outputScripts, request.changeScript] : request.outputScripts);
  const sorted = [...request.coins].sort((a, b) => (a.amount === b.amount ? a.txid.localeCompare(b.txid) || a.vout - b.vout : a.amount > b.amount ? -1 : 1));
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
    if (change >= request.changeDust) return { ok: true, inputs, fee: feeWithChange, change, vsize: vsizeWithChange };
    // Without change the remainder is fee. Signers refuse a fee rate above the intent's (plus
    // their slack), so a remainder that large needs another coin to make change possible.
    const fee = total - request.outputsTotal;
    if (feeWithinRate(fee, vsizeNoChange, rate, FEE_RATE_SLACK_PERCENT)) return { ok: true, inputs, fee, change: 0n, vsize: vsizeNoChange };
  }
  return { ok: false, available: total, needed: request.outputsTotal + feeForVsize(vsizeFor(Math.max(sorted.length, 1), false), rate) };
}
