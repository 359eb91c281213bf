/**
 * `withdrawal rebroadcast <id>`: asks the coordinator to send again a signed withdrawal whose
 * transaction its node refused (a fee rate since enough, a conflicting transaction gone), with a
 * signed `withdrawal.broadcast-retry` statement naming that transaction's txid. The coordinator
 * records who asked in its audit log and sends the same approved transaction, nothing else.
 */
import { MESSAGE_TYPES, type WithdrawalBroadcastRetry, broadcastRetryViewSchema, idSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { fetchWithdrawal } from '../signing/sign-withdrawal';
import { parseArg } from '../validate';

export async function runWithdrawalRebroadcast(ctx: CliContext, withdrawalId: string): Promise<CommandResult> {
  parseArg(idSchema, withdrawalId, 'withdrawalId');
  const client = ctx.coordinator();
  return ctx.withKeystore(async (keystore) => {
    const w = await fetchWithdrawal(client, withdrawalId);
    if (w.state !== 'signed' || w.txid === null) {
      throw new ConclaveError('BROADCAST_NOT_REFUSED', `withdrawal ${withdrawalId}: is ${w.state}; only a signed withdrawal whose broadcast the node refused can be sent again`);
    }
    const body: WithdrawalBroadcastRetry = { withdrawalId, txid: w.txid };
    const envelope = keystore.signEnvelope(MESSAGE_TYPES.withdrawalBroadcastRetry, body, { now: ctx.now() });
    const answer = (await client.post(`/api/v1/withdrawals/${withdrawalId}/broadcast/retry`, envelope, broadcastRetryViewSchema)).data;
    if (answer.withdrawalId !== withdrawalId || answer.txid !== w.txid) {
      throw new ConclaveError('COORDINATOR_ERROR', `coordinator: asked to retry ${w.txid} of withdrawal ${withdrawalId}, answered for ${answer.txid} of ${answer.withdrawalId}`);
    }
    return {
      data: answer,
      text: [
        `Withdrawal ${withdrawalId}: transaction ${answer.txid} is sent again now.`,
        answer.refusedReason === null ? '' : `  the node refused it last with: ${answer.refusedReason}`,
        `  "withdrawal show ${withdrawalId}" shows broadcast once the node takes it; a new refusal keeps it signed`,
      ].filter((line) => line !== ''),
    };
  });
}
