/**
 * `governance approve <vaultId> <changeId> [--yes]`: a member approves a proposed change. The
 * signer fetches the change and reviews the signed proposal and approvals against ITS OWN
 * pinned state (applyChange), shows the change in plain words with the quorum and delay, and
 * refuses (POLICY_CHANGE_REFUSED) a change that is wrong for the pinned state: stale or replayed
 * base, forged or by a non-member, or one leading to a state with problems. Approvals that
 * would never count are refused too (FORBIDDEN: the proposer; the member the change is about).
 * On confirmation it signs a `governance.approve` envelope over the change id.
 */
import { MESSAGE_TYPES, hash256Schema, idSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { type ChangeApproval, ruleFor } from '../../protocol/policy-engine';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { assessChange, assessmentJson, assessmentLines } from '../governance/assess';
import { fetchChange, submitApproval } from '../governance/changes-api';
import { appliedChanges, governedState } from '../governance/pinned-policy';
import { refusal } from '../governance/sync';
import { findPinned } from '../state/state-file';
import { confirm } from '../terminal';
import { parseArg } from '../validate';

export async function runGovernanceApprove(ctx: CliContext, vaultId: string, changeId: string, options: { yes?: boolean }): Promise<CommandResult> {
  parseArg(idSchema, vaultId, 'vaultId');
  parseArg(hash256Schema, changeId, 'changeId');
  const pinned = findPinned(ctx.state.read(), vaultId);
  const state = governedState(pinned);
  // Unlocked once: the same keystore signs the coordinator session in (reads need one) and the approval.
  return ctx.withKeystore(async (keystore) => {
    const me = keystore.identityKey;
    const client = ctx.coordinator();
    const view = await fetchChange(client, vaultId, changeId);
    const now = ctx.now();
    const assessment = assessChange(state, view, now, appliedChanges(pinned));
    if (assessment.verdict === 'applied') {
      return { data: { vaultId, changeId, approved: false, assessment: assessmentJson(assessment) }, text: [`Change ${changeId} is already pinned by this signer; nothing to approve.`] };
    }
    if (assessment.verdict === 'refused' || assessment.change === null) throw refusal(assessment, 'approved');
    if (!state.members.members.some((m) => m.identityKey === me)) {
      throw new ConclaveError('FORBIDDEN', `change ${changeId}: you are not a member in vault ${vaultId}'s pinned policy, so your approval would not count`);
    }
    if (assessment.proposerKey === me) throw new ConclaveError('FORBIDDEN', `change ${changeId}: you proposed it, and a proposer's approval never counts`);
    if (ruleFor(state, assessment.change).subject === me) {
      throw new ConclaveError('FORBIDDEN', `change ${changeId}: it is about you, and the member a change is about never approves it`);
    }
    const review = assessmentLines(assessment, now);
    if (assessment.approvedBy.includes(me)) {
      return { data: { vaultId, changeId, approved: false, alreadyApproved: true, assessment: assessmentJson(assessment) }, text: [...review, 'You approved this change already.'] };
    }
    if (!options.yes) {
      process.stderr.write(`${review.join('\n')}\n`);
      if (!(await confirm('Approve this change?'))) throw new ConclaveError('USER_DECLINED', `change ${changeId}: not approved`);
    }
    const body: ChangeApproval = { vaultId, changeId };
    const approval = keystore.signEnvelope(MESSAGE_TYPES.governanceApprove, body, { now: ctx.now() });
    const after = await submitApproval(client, vaultId, changeId, approval);
    const updated = assessChange(state, after, ctx.now(), appliedChanges(pinned));
    return {
      data: { vaultId, changeId, approved: true, assessment: assessmentJson(updated) },
      text: [...(options.yes ? review : []), `Approved change ${changeId}. Now, by this signer's checks:`, ...assessmentLines(updated, ctx.now())],
    };
  });
}
