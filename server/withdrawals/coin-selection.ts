/**
 * Coin selection for offline mode: largest coins first until the outputs and the fee at the
 * requested rate are covered; change is added when it is above dust, otherwise the remainder
 * goes to the fee. Pure. (A branch-and-bound selector for chain-backed vaults is issue 7.)
 */
import { estimateMultisigSpendVsize, feeForVsize } from '../../protocol/tx-size';

export interface Coin { txid: string; vout: number; amount: bigint }

export interface SelectionRequest {
  coins: Coin[];
  outputsTotal: bigint;
  outputScriptLengths: number[];
  changeScriptLength: number;
  changeDust: bigint;
  feeRate: string;
  threshold: number;
  keyCount: number;
}

export type Selection =
  | { ok: true; inputs: Coin[]; fee: bigint; change: bigint; vsize: number }
  | { ok: false; available: bigint; needed: bigint };

export function selectCoins(request: SelectionRequest): Selection {
  const sorted = [...request.coins].sort((a, b) => (a.amount === b.amount ? a.txid.localeCompare(b.txid) || a.vout - b.vout : a.amount > b.amount ? -1 : 1));
  const inputs: Coin[] = [];
  let total = 0n;
  for (const coin of sorted) {
    inputs.push(coin);
    total += coin.amount;
    const vsizeNoChange = estimateMultisigSpendVsize(inputs.length, request.threshold, request.keyCount, request.outputScriptLengths);
    const feeNoChange = feeForVsize(vsizeNoChange, request.feeRate);
    if (total < request.outputsTotal + feeNoChange) continue;
    const vsizeWithChange = estimateMultisigSpendVsize(inputs.length, request.threshold, request.keyCount, [...request.outputScriptLengths, request.changeScriptLength]);
    const feeWithChange = feeForVsize(vsizeWithChange, request.feeRate);
    const change = total - request.outputsTotal - feeWithChange;
    if (change >= request.changeDust) return { ok: true, inputs, fee: feeWithChange, change, vsize: vsizeWithChange };
    return { ok: true, inputs, fee: total - request.outputsTotal, change: 0n, vsize: vsizeNoChange };
  }
  const vsize = estimateMultisigSpendVsize(Math.max(sorted.length, 1), request.threshold, request.keyCount, request.outputScriptLengths);
  return { ok: false, available: total, needed: request.outputsTotal + feeForVsize(vsize, request.feeRate) };
}
