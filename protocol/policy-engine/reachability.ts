/**
 * Lock-out protection: a rule set and a membership pinned together must leave every quorum
 * reachable. A policy change that asks for three admins when there are two, or a membership
 * change that removes the last keyholder whose consent a key replacement needs, would leave
 * the vault with rules nobody can meet, and no change could ever undo them (every change needs
 * a quorum). Such states are refused before they are pinned.
 *
 * A quorum is reachable when some member can propose and the others can fill it: the
 * proposer never counts (DESIGN.md, "Policy"), nor does the member a change is about.
 */
import { type MemberSet, inGroup } from './members';
import { fillQuorum } from './quorum';
import { type PolicyRules, type Quorum, describeQuorum, mergeQuorums, quorumSize } from './rules';

export function unreachableQuorums(policy: PolicyRules, members: MemberSet): string[] {
  const problems: string[] = [];
  const everyone = members.members.map((m) => m.identityKey);
  const without = (...excluded: string[]) => everyone.filter((k) => !excluded.includes(k));
  const proposers = members.members.filter((m) => policy.withdrawals.proposerGroups.some((g) => inGroup(m, g))).map((m) => m.identityKey);
  if (proposers.length === 0) problems.push(`withdrawals.proposerGroups: no member is in ${policy.withdrawals.proposerGroups.join(' or ')}, so nobody could propose`);

  policy.withdrawals.tiers.forEach((tier, i) => {
    if (proposers.length > 0 && !proposers.some((p) => fillQuorum(tier.approvals, without(p), members).met)) {
      problems.push(`withdrawals.tiers[${i}].approvals: ${describeQuorum(tier.approvals)} cannot be met by the members besides any proposer`);
    }
  });
  const change = (quorum: Quorum, where: string) => {
    if (!fillableWithProposer(quorum, everyone, members)) {
      problems.push(`${where}: ${describeQuorum(quorum)} cannot be met by the members besides the proposer`);
    }
  };
  change(policy.addressBook.quorum, 'addressBook.quorum');
  change(policy.changes.policy.quorum, 'changes.policy.quorum');
  change(policy.changes.members.quorum, 'changes.members.quorum');
  policy.changes.members.whenSubjectIn.forEach((rule, i) => {
    const merged = mergeQuorums(policy.changes.members.quorum, rule.quorum);
    const stuck = members.members.find((s) => inGroup(s, rule.group) && !fillableWithProposer(merged, without(s.identityKey), members));
    if (stuck !== undefined) {
      problems.push(`changes.members.whenSubjectIn[${i}]: ${describeQuorum(merged)} cannot be met to change ${stuck.name}, by the members besides them and the proposer`);
    }
  });
  return problems;
}

/**
 * Whether `candidates` fill `quorum` with one of them left over to propose. With a full
 * seating and a candidate left out of it, that one can propose: taking them out leaves the
 * seating as it is; and with no one left over, any proposer would empty a seat.
 */
function fillableWithProposer(quorum: Quorum, candidates: readonly string[], members: MemberSet): boolean {
  return candidates.length > quorumSize(quorum) && fillQuorum(quorum, candidates, members).met;
}
