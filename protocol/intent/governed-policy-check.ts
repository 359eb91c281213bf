/**
 * The policy part of a signer's decision for a vault pinned with a governed policy (version 2,
 * issue 5 point 4): the policy engine's verdict (policy-engine/evaluate-withdrawal.ts) on the
 * signer's CURRENT pinned state, from signed evidence and this signer's own journal and clock.
 * verify-withdrawal.ts proves the PSBT implements the intent and who proposed it; this adds
 * tiers by group, delays, the address book and velocity.
 *
 * Delays run from the signed proposal time. A token proposal's time is signed by the
 * coordinator alone, which could backdate it to skip a delay, so for those the delay runs
 * from no earlier than the first counted approval (approvals are signed by people).
 */
import type { WithdrawalIntent } from '../api';
import { type GovernedPolicy, pinnedPolicyState } from '../policy';
import { countWithdrawalApprovals, evaluateWithdrawal, type WithdrawalVerdict } from '../policy-engine/evaluate-withdrawal';
import { laterOf } from '../policy-engine/time';
import type { PaidOutRecord } from '../policy-engine/velocity';
import type { PsbtSummary } from '../psbt';
import type { VerifiedProposal } from './proposal';
import type { SigningRecord } from './signing-journal';
import type { VerifyWithdrawalInput } from './verify-withdrawal';

/** Checks verify-withdrawal.ts already makes against the same pinned values, so their reasons would repeat. */
const CHECKED_BY_CALLER = /^intent\.(vaultId|network): /;

export function checkGovernedPolicy(
  input: VerifyWithdrawalInput, policy: GovernedPolicy, intent: WithdrawalIntent, summary: PsbtSummary, proposal: VerifiedProposal, reasons: string[],
): WithdrawalVerdict | null {
  const { pinned, withdrawal, network, now } = input;
  const state = pinnedPolicyState(pinned.vaultId, network, policy);
  const journal = paidOutRecords(input.journal, pinned.vaultId, policy, now, reasons);
  const evaluation = evaluateWithdrawal({
    ...state,
    intent,
    withdrawalId: withdrawal.id,
    proposer: proposal.proposer,
    proposalTime: proposalTime(input, state.members, intent, proposal),
    approvals: withdrawal.approvals,
    now,
    journal,
    fee: { sats: summary.fee, vsize: summary.vsize },
    purpose: input.purpose ?? 'sign',
  });
  if (evaluation.ok) return evaluation;
  reasons.push(...evaluation.reasons.filter((r) => !CHECKED_BY_CALLER.test(r)));
  return null;
}

function proposalTime(input: VerifyWithdrawalInput, members: GovernedPolicy['members'], intent: WithdrawalIntent, proposal: VerifiedProposal): Date {
  if (!proposal.signedByCoordinator) return proposal.created;
  // Reasons about the approvals come from the evaluation itself; only their times matter here.
  const counted = countWithdrawalApprovals({ intent, members, withdrawalId: input.withdrawal.id, proposer: proposal.proposer, approvals: input.withdrawal.approvals }, []);
  const earliest = counted.reduce<Date | null>((min, a) => (min === null || a.created.getTime() < min.getTime() ? a.created : min), null);
  return earliest === null ? proposal.created : laterOf(proposal.created, earliest);
}

/**
 * The signing journal as the policy engine reads it. A record of this vault too old in format
 * to say what it paid (none should exist: governed vaults came with the new records) is a
 * reason while it lies within a velocity window: skipping it would let the limit be exceeded.
 */
export function paidOutRecords(journal: readonly SigningRecord[], vaultId: string, policy: GovernedPolicy, now: Date, reasons: string[]): PaidOutRecord[] {
  const longest = Math.max(0, ...policy.rules.withdrawals.velocity.map((v) => v.windowSeconds));
  const records: PaidOutRecord[] = [];
  for (const r of journal) {
    if (r.vaultId !== vaultId) continue;
    if (r.signedAt !== undefined && r.amountSats !== undefined && r.paymentsHash !== undefined) {
      records.push({
        vaultId, withdrawalId: r.withdrawalId, paymentsHash: r.paymentsHash, signedAt: r.signedAt, amountSats: r.amountSats, destinations: r.destinations ?? [],
      });
      continue;
    }
    const signedAt = r.signedAt === undefined ? Number.NaN : Date.parse(r.signedAt);
    if (longest > 0 && !(signedAt <= now.getTime() - longest * 1000)) {
      reasons.push(`journal: the entry for withdrawal ${r.withdrawalId} does not record what it paid, so the velocity limits cannot be checked until it is ${longest} s old`);
    }
  }
  return records;
}
