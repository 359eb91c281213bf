/**
 * `withdrawal tx <id> [--out <file>]`: the final transaction of a signed withdrawal, for a hot
 * machine to broadcast (offline mode). The txid is recomputed from the hex before it is shown.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { idSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { decodeRawTx, txidOf } from '../../protocol/psbt/raw';
import type { CliContext } from '../context';
import { transactionViewSchema } from '../coordinator/views';
import { writeFileAtomic } from '../files';
import type { CommandResult } from '../output';
import { parseArg } from '../validate';

export async function runWithdrawalTx(ctx: CliContext, withdrawalId: string, options: { out?: string }): Promise<CommandResult> {
  parseArg(idSchema, withdrawalId, 'withdrawalId');
  const tx = await ctx.coordinator().get(`/api/v1/withdrawals/${withdrawalId}/transaction`, transactionViewSchema);
  let txid: string;
  try {
    txid = txidOf(decodeRawTx(hexToBytes(tx.hex)));
  } catch (error) {
    throw new ConclaveError('COORDINATOR_ERROR', `coordinator: the transaction hex does not parse (${(error as Error).message})`);
  }
  if (txid !== tx.txid) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: says txid ${tx.txid}, but the transaction hashes to ${txid}`);
  if (options.out !== undefined) writeFileAtomic(options.out, `${tx.hex}\n`, 0o644);
  return {
    data: { withdrawalId, txid, hex: tx.hex, out: options.out ?? null },
    text: options.out === undefined ? [tx.hex] : [`Wrote transaction ${txid} to ${options.out}.`],
  };
}
