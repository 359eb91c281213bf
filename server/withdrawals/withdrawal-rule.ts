/**
 * What a vault's policy asks of one withdrawal before anyone is asked to sign, for both policy
 * formats: a simple policy (version 1) wants a number of approvals by keyholders other than the
 * proposer, at once; a governed policy (version 2) wants the quorum of the withdrawal's tier,
 * by group, and then the tier's delay, counted from the signed proposal time. Signers check
 * the same themselves; the coordinator follows it so that it never asks them too early.
 */
import type { WithdrawalIntent, WithdrawalState } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { GOVERNED_POLICY_VERSION, type VaultPolicy } from '../../protocol/policy';
import { type Quorum, type QuorumFill, describeQuorum, fillQuorum, paidOut, tierFor } from '../../protocol/policy-engine';
import type { WithdrawalEntity } from './withdrawal.entity';

export interface WithdrawalRule {
  /** The tier's name under a governed policy; null under a simple one. */
  tier: string | null;
  /** Approvals needed besides the proposer's, by distinct people. */
  required: number;
  /** Under a governed policy: the seats by group. */
  quorum: Quorum | null;
  /** Wait after the signed proposal time before signing (governed tiers only). */
  delaySeconds: number;
}

/** The rule for this intent; throws POLICY_MISMATCH when it pays more than the highest tier allows. */
export function withdrawalRule(policy: VaultPolicy, intent: Pick<WithdrawalIntent, 'outputs'>): WithdrawalRule {
  if (policy.version !== GOVERNED_POLICY_VERSION) return { tier: null, required: policy.requiredApprovals, quorum: null, delaySeconds: 0 };
  const amount = paidOut(intent);
  const found = tierFor(policy.rules, amount);
  if (found === null) {
    const tiers = policy.rules.withdrawals.tiers;
    const highest = tiers[tiers.length - 1]!;
    throw new ConclaveError('POLICY_MISMATCH', `envelope.body.outputs: ${amount} sat in all is above the highest tier "${highest.name}" (up to ${highest.upToSats} sat); the policy allows no withdrawal this large`);
  }
  const { tier } = found;
  return { tier: tier.name, required: tier.approvals.reduce((n, s) => n + s.count, 0), quorum: tier.approvals, delaySeconds: tier.delaySeconds };
}

/** Whether the approvers (identity keys, the proposer never among them) fill the rule. */
export function approvalsFill(policy: VaultPolicy, rule: WithdrawalRule, approvers: readonly string[]): { met: boolean; fill: QuorumFill | null } {
  if (policy.version !== GOVERNED_POLICY_VERSION || rule.quorum === null) return { met: approvers.length >= rule.required, fill: null };
  const fill = fillQuorum(rule.quorum, approvers, policy.members);
  return { met: fill.met, fill };
}

/**
 * Where a tier's delay starts: the signed proposal time, or when the coordinator received the
 * proposal if that is later, since a proposer may date a statement back within its validity.
 * (Signers count from the signed time; the coordinator only ever waits longer.)
 */
export function delayStart(signedCreated: string, receivedAt: string): string {
  return Date.parse(signedCreated) >= Date.parse(receivedAt) ? signedCreated : receivedAt;
}

export function delayStartOf(w: Pick<WithdrawalEntity, 'proposalEnvelope' | 'createdAt'>): string {
  // A token proposal (server/auth) is dated by the coordinator's statement inside it.
  const proposal = JSON.parse(w.proposalEnvelope) as { created?: string; format?: string; statement?: { created: string } };
  return delayStart((proposal.format === 'token' ? proposal.statement?.created : proposal.created) ?? w.createdAt, w.createdAt);
}

/** When signing may start: the delay's start plus the tier's delay. */
export function signableFrom(rule: WithdrawalRule, start: string): Date {
  return new Date(Date.parse(start) + rule.delaySeconds * 1000);
}

/** The state a withdrawal whose approvals are in takes now: signing, or approved until its delay is over. */
export function stateOnceApproved(rule: WithdrawalRule, start: string, now: Date): Extract<WithdrawalState, 'approved' | 'signing'> {
  return now.getTime() >= signableFrom(rule, start).getTime() ? 'signing' : 'approved';
}

/** What the audit log records of the rule (a governed tier only; a simple policy's count is recorded apart). */
export function ruleDetails(rule: WithdrawalRule, start: string): Record<string, unknown> {
  if (rule.quorum === null) return {};
  return { tier: rule.tier, quorum: describeQuorum(rule.quorum), delaySeconds: rule.delaySeconds, signableFrom: signableFrom(rule, start).toISOString() };
}

/** For the audit log and messages: "2 from approvers + 1 from admins" or "1 approval". */
export function describeRule(rule: WithdrawalRule): string {
  if (rule.quorum !== null) return `tier "${rule.tier}": ${describeQuorum(rule.quorum)}`;
  return `${rule.required} approval${rule.required === 1 ? '' : 's'}`;
}
