/**
 * `withdrawal cancel <id> [--reason <text>]`: a keyholder stops a withdrawal nobody has signed
 * yet, with a signed `withdrawal.cancel` statement; the coordinator releases its coins.
 */
import { MESSAGE_TYPES, type WithdrawalCancel, idSchema } from '../../protocol/api';
import type { CliContext } from '../context';
import { withdrawalViewSchema } from '../coordinator/views';
import type { CommandResult } from '../output';
import { fetchWithdrawal } from '../signing/sign-withdrawal';
import { parseArg } from '../validate';

export async function runWithdrawalCancel(ctx: CliContext, withdrawalId: string, options: { reason?: string }): Promise<CommandResult> {
  parseArg(idSchema, withdrawalId, 'withdrawalId');
  const client = ctx.coordinator();
  const w = await fetchWithdrawal(client, withdrawalId);
  const body: WithdrawalCancel = { withdrawalId, intentHash: w.intentHash, reason: options.reason ?? '' };
  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.withdrawalCancel, body, { now: ctx.now() }));
  const after = (await client.post(`/api/v1/withdrawals/${withdrawalId}/cancel`, envelope, withdrawalViewSchema)).data;
  return {
    data: { withdrawalId, state: after.state },
    text: [`Withdrawal ${withdrawalId} is ${after.state}; its coins are available again.`],
  };
}
