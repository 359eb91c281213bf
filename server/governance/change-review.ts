/**
 * Where one change stands against the coordinator's copy of the pinned state, by its clock,
 * decided by the policy engine itself (applyChange), never by a rule of the coordinator's own:
 *   - superseded: the part it changes is no longer the one it was made for (another change
 *     to it applied first), so it can never apply;
 *   - refused: the change itself cannot apply to this state (its proposer is no longer a
 *     member, the state it leads to is invalid);
 *   - applied: its quorum and delay are met: here is the new state;
 *   - pending: it lacks approvals or its delay.
 */
import type { ChangeQuorumView } from '../../protocol/governance-api';
import { type PinnedPolicyState, applyChange, describeQuorum, partOf, pinnedStateHashes, ruleFor } from '../../protocol/policy-engine';

/** What a change's view shows of its review, kept with the change. */
export interface StoredReview {
  quorum: ChangeQuorumView;
  delaySeconds: number;
  /** Identity keys of the approvals that count. */
  counted: string[];
  quorumReachedAt: string | null;
  effectiveAt: string | null;
  problems: string[];
}

export type Judgement =
  | { outcome: 'pending' | 'refused' | 'superseded'; review: StoredReview }
  | { outcome: 'applied'; review: StoredReview; state: PinnedPolicyState };

export function judgeChange(state: PinnedPolicyState, proposal: unknown, approvals: readonly unknown[], now: Date): Judgement {
  const result = applyChange({ state, proposal, approvals, now });
  const { review: r } = result;
  const review: StoredReview = {
    quorum: {
      needed: r.quorum,
      description: describeQuorum(r.quorum),
      met: r.fill?.met ?? false,
      byGroup: r.fill?.byGroup ?? r.quorum.map((s) => ({ group: s.group, needed: s.count, filled: 0 })),
      seated: r.fill?.seated ?? [],
    },
    delaySeconds: r.change === null ? 0 : ruleFor(state, r.change).delaySeconds,
    counted: r.counted.map((c) => c.signer),
    quorumReachedAt: r.quorumReachedAt?.toISOString() ?? null,
    effectiveAt: r.effectiveAt?.toISOString() ?? null,
    problems: result.ok ? [] : result.reasons,
  };
  if (result.ok) return { outcome: 'applied', review, state: result.state };
  if (r.change !== null && r.change.vaultId === state.vaultId && r.change.base !== pinnedStateHashes(state)[partOf(r.change.op)]) {
    return { outcome: 'superseded', review };
  }
  return { outcome: r.problems.length > 0 ? 'refused' : 'pending', review };
}
