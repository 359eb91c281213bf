/**
 * The summary a keyholder reads before signing: every destination with its amount in BTC and
 * satoshis, the change, the fee and fee rate against the intent's caps, the coins spent. Built
 * only from the verified summary (protocol/intent), never from the coordinator's own figures.
 */
import { formatBtc } from '../../protocol/amounts';
import type { WithdrawalSummary } from '../../protocol/intent';

function money(sats: bigint): string {
  return `${formatBtc(sats)} (${sats} sat)`;
}

export function reviewLines(s: WithdrawalSummary, vaultName: string): string[] {
  return [
    `Withdrawal ${s.withdrawalId} from vault "${vaultName}" (${s.vaultId})`,
    `  proposed by  ${s.proposer.fingerprint}`,
    ...(s.memo ? [`  memo         ${JSON.stringify(s.memo)}`] : []),
    '  pays:',
    ...s.destinations.map((d) => `    ${money(d.amount).padEnd(38)} to ${d.address}`),
    ...(s.change.length === 0
      ? ['  change:      none']
      : s.change.map((c) => `  change:      ${money(c.amount)} back to the vault (${c.address}, change #${c.index})`)),
    `  fee:         ${money(s.fee)}, ${s.feeRate.toFixed(2)} sat/vB at ~${s.vsize} vB (intent: at most ${s.intentFeeRate} sat/vB and ${s.maxFee} sat)`,
    `  spends ${s.inputs.length} coin(s), ${money(s.totalIn)}:`,
    ...s.inputs.map((i) => `    ${i.txid}:${i.vout}  ${money(i.amount)}  [${i.change}/${i.index}]`),
    `  expires ${s.expiresAt}; request ${s.requestId}; locktime ${s.locktime}`,
    `  intent hash ${s.intentHash}, transaction ${s.unsignedTxid}`,
  ];
}

/** The summary as JSON: amounts as decimal strings of satoshis. */
export function reviewJson(s: WithdrawalSummary): Record<string, unknown> {
  return {
    withdrawalId: s.withdrawalId,
    vaultId: s.vaultId,
    intentHash: s.intentHash,
    unsignedTxid: s.unsignedTxid,
    requestId: s.requestId,
    memo: s.memo,
    expiresAt: s.expiresAt,
    proposer: s.proposer,
    destinations: s.destinations.map((d) => ({ address: d.address, amount: d.amount.toString() })),
    change: s.change.map((c) => ({ address: c.address, amount: c.amount.toString(), index: c.index })),
    inputs: s.inputs.map((i) => ({ txid: i.txid, vout: i.vout, amount: i.amount.toString(), change: i.change, index: i.index })),
    totalIn: s.totalIn.toString(),
    fee: s.fee.toString(),
    maxFee: s.maxFee.toString(),
    vsize: s.vsize,
    feeRate: s.feeRate.toFixed(3),
    intentFeeRate: s.intentFeeRate,
    locktime: s.locktime,
  };
}
