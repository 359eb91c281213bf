/**
 * Pinning a change (DESIGN.md, root of trust, invariant 8): given the pinned state, a signed
 * proposal, its signed approvals and `now`, either the new state or every reason it is
 * refused. A signer pins a change only when the quorum of its CURRENT pinned rules approved
 * exactly this change, for exactly the state it has pinned, and the delay has passed by its own
 * clock; the coordinator can relay changes but cannot make them.
 *
 * The delay runs from the later of the signed proposal time and the time the quorum was
 * reached, so neither a late approval nor an early one moves it. Evidence dated more than the
 * tolerated clock skew after `now` is refused: it would pin an entry "approved" in the future.
 *
 * Pure: no clock, store or network; the caller applies pending changes in order (each names
 * the state it applies to) and tells every keyholder (invariant 8).
 */
import { CLOCK_SKEW_SECONDS, type Envelope, verifyEnvelope } from '../envelope';
import { ConclaveError } from '../errors';
import { identityFingerprint } from '../identity';
import { type ChangeProposal, GOVERNANCE_MESSAGE_TYPES, changeApprovalSchema, changeId as idOf, changeProposalSchema } from './changes';
import { applyOp, changeProblems, ruleFor } from './change-ops';
import { type CountedApproval, collectApprovals } from './evidence';
import { findMember } from './members';
import { type QuorumFill, fillQuorum, quorumReachedAt, shortfallReasons } from './quorum';
import type { Quorum } from './rules';
import { type PinnedPolicyState, pinnedStateProblems } from './state';
import { addSeconds, formatDuration, laterOf } from './time';

export interface ChangeInput {
  state: PinnedPolicyState;
  /** The `governance.propose` envelope. */
  proposal: unknown;
  /** `governance.approve` envelopes over its change id. */
  approvals: readonly unknown[];
}

/** Where a change stands, for the people deciding on it and for `applyChange`. */
export interface ChangeReview {
  changeId: string | null;
  change: ChangeProposal | null;
  proposer: string | null;
  /** What is wrong with the change itself (its signature, base, content, the state it leads to). */
  problems: string[];
  /** Approvals that do not count, with why. */
  approvalProblems: string[];
  /** Approvals that count (valid, by members other than the proposer and the member changed). */
  counted: CountedApproval[];
  quorum: Quorum;
  fill: QuorumFill | null;
  quorumReachedAt: Date | null;
  /** When it takes effect: the later of proposal and quorum, plus the delay; null before the quorum. */
  effectiveAt: Date | null;
  /** The state it leads to, when the change itself is sound. */
  next: PinnedPolicyState | null;
}

export type ApplyChangeResult =
  | { ok: true; state: PinnedPolicyState; review: ChangeReview }
  | { ok: false; reasons: string[]; review: ChangeReview };

/** Everything about a change but the clock: what `applyChange` decides on, and what a member sees before approving. */
export function reviewChange({ state, proposal, approvals }: ChangeInput): ChangeReview {
  const review: ChangeReview = {
    changeId: null, change: null, proposer: null, problems: [], approvalProblems: [], counted: [], quorum: [], fill: null, quorumReachedAt: null, effectiveAt: null, next: null,
  };
  let envelope: Envelope;
  try {
    envelope = verifyEnvelope(proposal, { now: new Date(0), expectedType: GOVERNANCE_MESSAGE_TYPES.propose, checkTime: false });
  } catch (error) {
    review.problems.push(`proposal: ${error instanceof ConclaveError ? error.message : 'cannot be verified'}`);
    return review;
  }
  const parsed = changeProposalSchema.safeParse(envelope.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    review.problems.push(`proposal: the signed body is not a change (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'})`);
    return review;
  }
  const change = parsed.data;
  const id = idOf(envelope);
  const proposedAt = new Date(envelope.created);
  review.changeId = id;
  review.change = change;
  review.proposer = envelope.signer;
  if (findMember(state.members, envelope.signer) === undefined) {
    review.problems.push(`proposal: signed by ${identityFingerprint(envelope.signer)}, who is not a pinned member`);
  }
  review.problems.push(...changeProblems(state, change));

  const rule = ruleFor(state, change);
  review.quorum = rule.quorum;
  const excluded = new Map([[envelope.signer, 'the proposer']]);
  if (rule.subject !== undefined && rule.subject !== envelope.signer) excluded.set(rule.subject, 'the member this change is about');
  review.counted = collectApprovals(approvals, {
    type: GOVERNANCE_MESSAGE_TYPES.approve,
    check: (body) => {
      const approval = changeApprovalSchema.safeParse(body);
      if (!approval.success) return 'the signed body is not a change approval';
      return approval.data.vaultId === change.vaultId && approval.data.changeId === id ? null : 'approves another change';
    },
    members: state.members,
    excluded,
    where: 'approvals',
  }, review.approvalProblems);
  const { counted } = review;
  review.fill = fillQuorum(rule.quorum, counted.map((a) => a.signer), state.members);
  review.quorumReachedAt = quorumReachedAt(rule.quorum, counted, state.members);
  if (review.quorumReachedAt !== null) review.effectiveAt = addSeconds(laterOf(proposedAt, review.quorumReachedAt), rule.delaySeconds);

  if (review.problems.length === 0) {
    const next = applyOp(state, change, id, laterOf(proposedAt, review.quorumReachedAt ?? proposedAt));
    const after = pinnedStateProblems(next);
    if (after.length > 0) review.problems.push(...after.map((p) => `the state after this change: ${p}`));
    else review.next = next;
  }
  return review;
}

/** The new pinned state, or every reason the change is refused now. */
export function applyChange(input: ChangeInput & { now: Date }): ApplyChangeResult {
  const review = reviewChange(input);
  // Approvals that do not count are reasons only while the quorum is short: a junk approval
  // appended by whoever relays the evidence must not block a change the quorum approved.
  const quorumMet = review.fill?.met === true;
  const reasons = [...review.problems, ...(quorumMet ? [] : review.approvalProblems)];
  if (review.fill !== null) reasons.push(...shortfallReasons(review.fill, review.quorum, review.counted, input.state.members, 'approvals'));
  const now = input.now.getTime();
  const latest = now + CLOCK_SKEW_SECONDS * 1000;
  if (review.quorumReachedAt !== null && review.quorumReachedAt.getTime() > latest) {
    reasons.push(`approvals: the quorum is dated ${review.quorumReachedAt.toISOString()}, in the future; check the clocks`);
  } else if (review.effectiveAt !== null && now < review.effectiveAt.getTime()) {
    reasons.push(`delay: the change takes effect at ${review.effectiveAt.toISOString()} (${formatDuration(review.effectiveAt.getTime() - now)} left)`);
  }
  if (reasons.length > 0 || review.next === null) return { ok: false, reasons, review };
  return { ok: true, state: review.next, review };
}
