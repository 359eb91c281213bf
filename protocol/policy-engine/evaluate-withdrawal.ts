/**
 * The policy verdict on a withdrawal (DESIGN.md, "Policy"; issue 5 point 4), as a signer
 * reaches it from signed evidence and its own records, so that a coordinator that lies about
 * any of them is refused:
 *   - the intent names the pinned rule set (`policyRulesHash`), not an older one;
 *   - the proposer is a member of a proposing group, and never counts as an approver;
 *   - the tier of the total paid out sets the approvals, by group, and the delay, which runs
 *     from the signed proposal time by this signer's clock;
 *   - every destination is in an address-book entry whose cooling-off is over and which has
 *     not expired (change is not a destination);
 *   - what this signer signed in each velocity window, plus this, stays within the cap;
 *   - the intent's fee caps, and the actual fee when given, are within the policy's.
 * Every failed check adds a reason and checking goes on, so a refusal lists all that is wrong.
 *
 * This complements intent verification (protocol/intent/verify-withdrawal.ts), which proves
 * the PSBT implements the intent and the proposal is genuine; `proposer` and `proposalTime`
 * MUST come from that verified proposal envelope (its signer and `created`).
 */
import type { WithdrawalIntent } from '../api';
import { MESSAGE_TYPES } from '../api';
import { CLOCK_SKEW_SECONDS } from '../envelope';
import { identityFingerprint } from '../identity';
import { approvalBodySchema } from '../intent/approvals';
import { feeRateToMsatPerVbyte, feeWithinRate } from '../intent/fee-rate';
import { intentHash } from '../intent/intent-hash';
import { type AddressBookEntry, checkDestinations } from './address-book';
import { type CountedApproval, collectApprovals } from './evidence';
import { findMember, inGroup } from './members';
import { fillQuorum, shortfallReasons } from './quorum';
import { type Tier, policyRulesHash, quorumSize, tierFor } from './rules';
import type { PinnedPolicyState } from './state';
import { addSeconds, formatDuration } from './time';
import { type PaidOutRecord, type VelocityUse, checkVelocity, paidOut, paidOutRecord } from './velocity';

export interface EvaluateWithdrawalInput extends PinnedPolicyState {
  /** Parsed by `withdrawalIntentSchema`. */
  intent: WithdrawalIntent;
  withdrawalId: string;
  /** Signer of the verified proposal envelope. */
  proposer: string;
  /** `created` of the verified proposal envelope: delays run from here. */
  proposalTime: Date;
  /** `withdrawal.approve` envelopes, verified here, over this withdrawal and intent hash. */
  approvals: readonly unknown[];
  now: Date;
  /** What this signer signed (every vault; only this one's records count). */
  journal: readonly PaidOutRecord[];
  /** The PSBT's actual fee and estimated signed size, when known, checked against the policy's caps too. */
  fee?: { sats: bigint; vsize: number };
  /**
   * 'sign' (default) needs the tier's approvals and delay; 'approve' checks everything else,
   * for a member deciding whether to add their approval (approving during the delay is the point).
   */
  purpose?: 'sign' | 'approve';
}

export interface WithdrawalVerdict {
  ok: true;
  /** Total paid to the intent's outputs. */
  amount: bigint;
  tier: { index: number } & Tier;
  /** Approvals the tier needs, besides the proposer, by distinct members. */
  requiredApprovals: number;
  approvers: Array<{ identityKey: string; group: string }>;
  /** The proposal time plus the tier's delay. */
  signableFrom: Date;
  velocity: VelocityUse[];
  destinations: AddressBookEntry[];
  /** What the signer MUST record durably before its signature leaves the machine. */
  journalRecord: PaidOutRecord;
}

export type WithdrawalEvaluation = WithdrawalVerdict | { ok: false; reasons: string[] };

export function evaluateWithdrawal(input: EvaluateWithdrawalInput): WithdrawalEvaluation {
  const { policy, intent, now } = input;
  const reasons: string[] = [];
  if (intent.vaultId !== input.vaultId) reasons.push(`intent.vaultId: ${intent.vaultId} is not the pinned vault ${input.vaultId}`);
  if (intent.network !== input.network) reasons.push(`intent.network: ${intent.network}, but the vault is on ${input.network}`);
  const pinnedHash = policyRulesHash(policy);
  if (intent.policyHash !== pinnedHash) {
    reasons.push(`intent.policyHash: ${intent.policyHash} is not the pinned rule set ${pinnedHash} (version ${policy.version}); an older or another policy is never applied`);
  }
  checkProposer(input, reasons);

  const amount = paidOut(intent);
  const found = tierFor(policy, amount);
  if (found === null) {
    const highest = policy.withdrawals.tiers[policy.withdrawals.tiers.length - 1]!;
    reasons.push(`amount: ${amount} sat is above the highest tier "${highest.name}" (up to ${highest.upToSats} sat); no withdrawal this large is allowed`);
  }
  const approvers = found === null ? [] : checkApprovals(input, found.tier, reasons);
  const signableFrom = addSeconds(input.proposalTime, found?.tier.delaySeconds ?? 0);
  if (found !== null && input.purpose !== 'approve' && now.getTime() < signableFrom.getTime()) {
    reasons.push(`delay: tier "${found.tier.name}" waits ${formatDuration(found.tier.delaySeconds * 1000)} after the proposal; signable at ${signableFrom.toISOString()} (${formatDuration(signableFrom.getTime() - now.getTime())} left)`);
  }

  const book = checkDestinations({
    outputs: intent.outputs, book: input.addressBook, rules: policy.addressBook, vaultId: input.vaultId, network: input.network, journal: input.journal, now,
  });
  reasons.push(...book.reasons);
  const journalRecord = paidOutRecord(intent, input.withdrawalId, now);
  const velocity = checkVelocity({
    limits: policy.withdrawals.velocity, vaultId: input.vaultId, withdrawalId: input.withdrawalId, paymentsHash: journalRecord.paymentsHash, amount, journal: input.journal, now,
  });
  reasons.push(...velocity.reasons);
  checkFees(input, reasons);

  if (reasons.length > 0 || found === null) return { ok: false, reasons };
  return {
    ok: true,
    amount,
    tier: { index: found.index, ...found.tier },
    requiredApprovals: quorumSize(found.tier.approvals),
    approvers,
    signableFrom,
    velocity: velocity.uses,
    destinations: book.entries.filter((e): e is AddressBookEntry => e !== null),
    journalRecord,
  };
}

function checkProposer({ members, policy, proposer, proposalTime, now }: EvaluateWithdrawalInput, reasons: string[]): void {
  const member = findMember(members, proposer);
  const groups = policy.withdrawals.proposerGroups;
  if (member === undefined) reasons.push(`proposer: ${/^[0-9a-f]{64}$/.test(proposer) ? identityFingerprint(proposer) : JSON.stringify(proposer)} is not a pinned member`);
  else if (!groups.some((g) => inGroup(member, g))) reasons.push(`proposer: ${member.name} is in none of the proposing groups (${groups.join(', ')})`);
  // A proposal dated ahead would only lengthen the delay; far ahead, it is a broken clock or a forgery.
  if (proposalTime.getTime() > now.getTime() + CLOCK_SKEW_SECONDS * 1000) reasons.push(`proposal: signed at ${proposalTime.toISOString()}, in the future; check the clocks`);
}

/**
 * The approvals that count for this withdrawal: valid, over this withdrawal and intent, by
 * pinned members other than the proposer, once per person; each other one adds a reason.
 */
export function countWithdrawalApprovals(
  input: Pick<EvaluateWithdrawalInput, 'intent' | 'members' | 'withdrawalId' | 'proposer' | 'approvals'>, reasons: string[],
): CountedApproval[] {
  const { intent, withdrawalId } = input;
  const hash = intentHash(intent);
  return collectApprovals(input.approvals, {
    type: MESSAGE_TYPES.withdrawalApprove,
    check: (body) => {
      const approval = approvalBodySchema.safeParse(body);
      if (!approval.success) return 'the signed body is not an approval';
      const { vaultId, intentHash: approved } = approval.data;
      return approval.data.withdrawalId === withdrawalId && vaultId === intent.vaultId && approved === hash ? null : 'approves another withdrawal or intent';
    },
    members: input.members,
    excluded: new Map([[input.proposer, 'the proposer']]),
    where: 'approvals',
  }, reasons);
}

/** The tier's approvals, seated by group; with purpose 'approve' they are not required (the caller is about to add one). */
function checkApprovals(input: EvaluateWithdrawalInput, tier: Tier, reasons: string[]): Array<{ identityKey: string; group: string }> {
  const { members } = input;
  const found: string[] = [];
  const counted = countWithdrawalApprovals(input, found);
  const fill = fillQuorum(tier.approvals, counted.map((a) => a.signer), members);
  if (input.purpose === 'approve') return fill.seated;
  // Approvals that do not count are reasons only while the quorum is short: evidence appended
  // by whoever relays it can take no vote away from a quorum already met.
  if (!fill.met) reasons.push(...found);
  reasons.push(...shortfallReasons(fill, tier.approvals, counted, members, `approvals (tier "${tier.name}")`));
  return fill.seated;
}

function checkFees({ policy, intent, fee }: EvaluateWithdrawalInput, reasons: string[]): void {
  const maxFee = BigInt(policy.maxFeeSats);
  if (BigInt(intent.maxFee) > maxFee) reasons.push(`fee: the intent's cap of ${intent.maxFee} sat is above the policy's ${maxFee} sat`);
  const maxRate = feeRateToMsatPerVbyte(policy.maxFeeRate, 'policy.maxFeeRate');
  if (feeRateToMsatPerVbyte(intent.feeRate, 'intent.feeRate') > maxRate) reasons.push(`fee: the intent's rate of ${intent.feeRate} sat/vB is above the policy's ${policy.maxFeeRate} sat/vB`);
  if (fee === undefined) return;
  if (fee.sats > maxFee) reasons.push(`fee: ${fee.sats} sat is above the policy's cap of ${maxFee} sat`);
  if (!feeWithinRate(fee.sats, fee.vsize, maxRate, 0n)) reasons.push(`fee: ${fee.sats} sat for about ${fee.vsize} vB is above the policy's ${policy.maxFeeRate} sat/vB`);
}
