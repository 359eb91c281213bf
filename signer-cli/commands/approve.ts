/**
 * `approve <withdrawalId> [--yes]`: a keyholder other than the proposer approves a withdrawal
 * that waits for approvals. The approver's signer runs the same verification as before signing
 * (everything but the approval count itself) against its own pinned vault and policy, shows
 * what the withdrawal does, and signs a `withdrawal.approve` envelope over the intent hash.
 */
import { MESSAGE_TYPES, idSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { verifyWithdrawalForSigning } from '../../protocol/intent';
import type { ApprovalBody } from '../../protocol/intent/approvals';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { reviewJson, reviewLines } from '../signing/review';
import { fetchWithdrawal } from '../signing/sign-withdrawal';
import { findPinned } from '../state/state-file';
import { confirm } from '../terminal';
import { parseArg } from '../validate';
import { pinnedForSigning } from '../vault/pinned';
import { withdrawalViewSchema } from '../coordinator/views';

export async function runApprove(ctx: CliContext, withdrawalId: string, options: { yes?: boolean }): Promise<CommandResult> {
  parseArg(idSchema, withdrawalId, 'withdrawalId');
  const client = ctx.coordinator();
  const w = await fetchWithdrawal(client, withdrawalId);
  const pinned = findPinned(ctx.state.read(), w.vaultId);
  const pub = ctx.keystorePublic();
  if (w.state !== 'awaiting_approval') throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId}: is ${w.state}, not awaiting approval`);
  const verdict = verifyWithdrawalForSigning({
    withdrawal: { id: w.id, intent: w.intent, intentHash: w.intentHash, proposal: w.proposal, psbt: w.psbt, approvals: w.approvals },
    pinned: pinnedForSigning(pinned),
    network: pinned.network,
    now: ctx.now(),
    journal: [],
    purpose: 'approve',
  });
  if (!verdict.ok) {
    throw new ConclaveError('INTENT_REFUSED', `withdrawal ${withdrawalId}: not approved:\n  - ${verdict.reasons.join('\n  - ')}`, { reasons: verdict.reasons });
  }
  if (verdict.summary.proposer.identityKey === pub.identityKey) {
    throw new ConclaveError('FORBIDDEN', `withdrawal ${withdrawalId}: you proposed it, and a proposer never approves their own withdrawal`);
  }
  const review = reviewLines(verdict.summary, pinned.name);
  if (!options.yes) {
    process.stderr.write(`${review.join('\n')}\n`);
    if (!(await confirm('Approve this withdrawal?'))) throw new ConclaveError('USER_DECLINED', `withdrawal ${withdrawalId}: not approved`);
  }
  const body: ApprovalBody = { withdrawalId, vaultId: w.vaultId, intentHash: w.intentHash };
  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.withdrawalApprove, body, { now: ctx.now() }));
  const after = (await client.post(`/api/v1/withdrawals/${withdrawalId}/approvals`, envelope, withdrawalViewSchema)).data;
  return {
    data: { withdrawalId, state: after.state, approvals: after.approvals.length, required: pinned.policy.requiredApprovals, review: reviewJson(verdict.summary) },
    text: [
      ...(options.yes ? review : []),
      `Approved withdrawal ${withdrawalId} (${after.approvals.length} of ${pinned.policy.requiredApprovals} approvals); it is now ${after.state}.`,
    ],
  };
}
