/**
 * What a keyholder reads, beside the transaction review (review.ts), about a withdrawal of a
 * vault pinned with a governed policy: its tier and the approvals it needs by group, who has
 * approved so far, the delay, what it uses of each velocity limit, and the address-book entry
 * of each destination. Built only from the policy engine's verdict on this signer's own pinned
 * state and journal (protocol/policy-engine/evaluate-withdrawal.ts).
 */
import { formatBtc } from '../../protocol/amounts';
import { identityFingerprint } from '../../protocol/identity';
import type { SigningRecord } from '../../protocol/intent';
import { paidOutRecords } from '../../protocol/intent/governed-policy-check';
import { GOVERNED_POLICY_VERSION } from '../../protocol/policy';
import { type WithdrawalVerdict, describeQuorum, entryStatus, lastUses, scriptKey } from '../../protocol/policy-engine';
import { formatDuration } from '../../protocol/policy-engine/time';
import type { PinnedVault } from '../state/state-file';

/** No lines for a vault under a simple policy (no verdict). */
export function governedReviewLines(v: WithdrawalVerdict | undefined, pinned: PinnedVault, journal: readonly SigningRecord[], now: Date): string[] {
  const policy = pinned.policy;
  if (v === undefined || policy.version !== GOVERNED_POLICY_VERSION) return [];
  const { network } = pinned;
  const name = (key: string) => policy.members.members.find((m) => m.identityKey === key)?.name ?? identityFingerprint(key);
  const byGroup = v.tier.approvals.map((seat) => `${v.approvers.filter((a) => a.group === seat.group).length}/${seat.count} ${seat.group}`);
  const wait = v.signableFrom.getTime() - now.getTime();
  const uses = lastUses(paidOutRecords(journal, pinned.vaultId, policy, now, []), pinned.vaultId, network);
  return [
    `  policy:      rule set version ${policy.rules.version}; tier "${v.tier.name}"${v.tier.upToSats === undefined ? '' : ` (up to ${v.tier.upToSats} sat)`} for ${v.amount} sat paid out`,
    `  approvals:   ${describeQuorum(v.tier.approvals)} besides the proposer${byGroup.length > 0 ? `; counted so far ${byGroup.join(', ')}` : ''}`,
    ...(v.approvers.length > 0 ? [`               by ${v.approvers.map((a) => `${name(a.identityKey)} (${a.group})`).join(', ')}`] : []),
    `  delay:       ${v.tier.delaySeconds === 0 ? 'none' : formatDuration(v.tier.delaySeconds * 1000)}; signable ${wait > 0 ? `from ${v.signableFrom.toISOString()} (${formatDuration(wait)} left)` : 'now'}`,
    ...v.velocity.map((u) => `  velocity:    ${formatBtc(u.totalSats)} of ${formatBtc(u.capSats)} in ${formatDuration(u.windowSeconds * 1000)} with this one (${u.earlierSats} sat signed before by this signer)`),
    ...v.destinations.map((entry) => {
      const status = entryStatus(entry, policy.rules.addressBook, uses.get(scriptKey(entry.address, network) ?? ''), now);
      const until = status.state === 'usable' ? `, usable until ${status.expiresAt.toISOString()} unless paid again` : ` (${status.state})`;
      return `  address book: ${entry.address} "${entry.label}", approved ${entry.approvedAt}${until}`;
    }),
  ];
}

/** The verdict as JSON: amounts as decimal strings of satoshis, times in ISO 8601. */
export function governedJson(v: WithdrawalVerdict): Record<string, unknown> {
  return {
    amount: v.amount.toString(),
    tier: { index: v.tier.index, name: v.tier.name, upToSats: v.tier.upToSats ?? null, approvals: v.tier.approvals, delaySeconds: v.tier.delaySeconds },
    requiredApprovals: v.requiredApprovals,
    approvers: v.approvers,
    signableFrom: v.signableFrom.toISOString(),
    velocity: v.velocity.map((u) => ({ windowSeconds: u.windowSeconds, capSats: u.capSats.toString(), earlierSats: u.earlierSats.toString(), totalSats: u.totalSats.toString() })),
    destinations: v.destinations,
  };
}
