/**
 * `approve <withdrawalId> [--yes]`: a keyholder other than the proposer approves a withdrawal
 * that waits for approvals. The approver's signer runs the same verification as before signing
 * (everything but the approvals and the delay themselves) against its own pinned vault, policy
 * and journal, shows what the withdrawal does (for a governed policy also its tier, the
 * approvals it needs by group, the delay, velocity use and address-book entries), and signs a
 * `withdrawal.approve` envelope over the intent hash.
 */
import { MESSAGE_TYPES, idSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import type { ApprovalBody } from '../../protocol/intent/approvals';
import { GOVERNED_POLICY_VERSION } from '../../protocol/policy';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { governedJson, governedReviewLines } from '../signing/governed-review';
import { reviewJson, reviewLines } from '../signing/review';
import { fetchWithdrawal, verifyPinnedWithdrawal } from '../signing/sign-withdrawal';
import { findPinned } from '../state/state-file';
import { confirm } from '../terminal';
import { parseArg } from '../validate';
import { withdrawalViewSchema } from '../coordinator/views';

export async function runApprove(ctx: CliContext, withdrawalId: string, options: { yes?: boolean }): Promise<CommandResult> {
  parseArg(idSchema, withdrawalId, 'withdrawalId');
  const client = ctx.coordinator();
  const w = await fetchWithdrawal(client, withdrawalId);
  const state = ctx.state.read();
  const pinned = findPinned(state, w.vaultId);
  const pub = ctx.keystorePublic();
  if (w.state !== 'awaiting_approval') throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId}: is ${w.state}, not awaiting approval`);
  // The journal counts for a governed policy: velocity limits and address-book expiry use it.
  const verdict = verifyPinnedWithdrawal(w, pinned, ctx.now(), state.journal, state.coordinatorKey, 'approve');
  if (!verdict.ok) {
    throw new ConclaveError('INTENT_REFUSED', `withdrawal ${withdrawalId}: not approved:\n  - ${verdict.reasons.join('\n  - ')}`, { reasons: verdict.reasons });
  }
  if (verdict.summary.proposer.identityKey === pub.identityKey) {
    throw new ConclaveError('FORBIDDEN', `withdrawal ${withdrawalId}: you proposed it, and a proposer never approves their own withdrawal`);
  }
  const review = [...reviewLines(verdict.summary, pinned.name), ...governedReviewLines(verdict.governed, pinned, state.journal, ctx.now())];
  if (!options.yes) {
    process.stderr.write(`${review.join('\n')}\n`);
    if (!(await confirm('Approve this withdrawal?'))) throw new ConclaveError('USER_DECLINED', `withdrawal ${withdrawalId}: not approved`);
  }
  const body: ApprovalBody = { withdrawalId, vaultId: w.vaultId, intentHash: w.intentHash };
  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.withdrawalApprove, body, { now: ctx.now() }));
  const after = (await client.post(`/api/v1/withdrawals/${withdrawalId}/approvals`, envelope, withdrawalViewSchema)).data;
  const required = verdict.governed?.requiredApprovals ?? (pinned.policy.version === GOVERNED_POLICY_VERSION ? 0 : pinned.policy.requiredApprovals);
  return {
    data: {
      withdrawalId, state: after.state, approvals: after.approvals.length, required, review: reviewJson(verdict.summary),
      ...(verdict.governed ? { policy: governedJson(verdict.governed) } : {}),
    },
    text: [
      ...(options.yes ? review : []),
      `Approved withdrawal ${withdrawalId} (${after.approvals.length} of ${required} approvals); it is now ${after.state}.`,
    ],
  };
}
