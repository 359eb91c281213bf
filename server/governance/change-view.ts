/**
 * Maps a stored change to its REST view. A pending change is judged afresh against the vault's
 * current policy and the clock (how its quorum is filled, the delay left); a settled one shows
 * the review it was settled with.
 */
import type { ChangeView } from '../../protocol/governance-api';
import type { NetworkName } from '../../protocol/network';
import { type GovernedPolicy, pinnedPolicyState } from '../../protocol/policy';
import { partOf, type ChangeOp } from '../../protocol/policy-engine';
import { findMember } from '../../protocol/policy-engine/members';
import type { VaultEntity } from '../vaults/vault.entity';
import { type StoredReview, judgeChange } from './change-review';
import type { GovernanceApprovalEntity } from './governance-approval.entity';
import type { GovernanceChangeEntity } from './governance-change.entity';

export function toChangeView(change: GovernanceChangeEntity, approvals: GovernanceApprovalEntity[], vault: VaultEntity, policy: GovernedPolicy, now: Date): ChangeView {
  const proposal = JSON.parse(change.proposal) as { body: unknown };
  const statements = approvals.map((a) => JSON.parse(a.statement) as unknown);
  const review: StoredReview = change.status === 'pending'
    ? judgeChange(pinnedPolicyState(vault.id, vault.network as NetworkName, policy), proposal, statements, now).review
    : JSON.parse(change.review) as StoredReview;
  const nameOf = (key: string) => findMember(policy.members, key)?.name ?? null;
  return {
    changeId: change.changeId,
    vaultId: change.vaultId,
    op: change.op,
    part: partOf(change.op as ChangeOp),
    base: change.base,
    change: proposal.body,
    proposer: change.proposedBy,
    proposerName: nameOf(change.proposedBy),
    proposal,
    approvals: statements,
    approvers: approvals.map((a) => ({ identityKey: a.identityKey, name: nameOf(a.identityKey), counts: review.counted.includes(a.identityKey), createdAt: a.createdAt })),
    status: change.status,
    quorum: review.quorum,
    delaySeconds: review.delaySeconds,
    quorumReachedAt: review.quorumReachedAt,
    effectiveAt: review.effectiveAt,
    settledAt: change.settledAt,
    problems: review.problems,
    createdAt: change.createdAt,
  };
}
