/**
 * Filling a quorum with approvers. Each approver takes at most one seat, and a seat of group G
 * only takes a member of G; whether a set of approvers fills a quorum is a bipartite matching
 * (Kuhn's augmenting paths), since an approver in several groups may be needed in either.
 * A greedy fill would refuse valid quorums: with seats "1 approver + 1 admin" and approvers
 * Ada (admin and approver) then Cy (approver only), greedy seats Ada as the approver and
 * finds no admin for the second seat.
 */
import { type MemberSet, findMember, inGroup } from './members';
import { type Quorum, describeQuorum, quorumSize } from './rules';

export interface QuorumFill {
  met: boolean;
  /** People the quorum needs in all. */
  needed: number;
  /** Who took which seat, in the order of the candidates. */
  seated: Array<{ identityKey: string; group: string }>;
  /** Per group of the quorum, seats needed and filled. */
  byGroup: Array<{ group: string; needed: number; filled: number }>;
}

/** The largest seating of `candidates` (identity keys, distinct) in `quorum`, by their groups in `members`. */
export function fillQuorum(quorum: Quorum, candidates: readonly string[], members: MemberSet): QuorumFill {
  const seats = quorum.flatMap((s) => Array.from({ length: s.count }, () => s.group));
  const holder: Array<number | undefined> = seats.map(() => undefined);
  const eligible = candidates.map((key) => {
    const member = findMember(members, key);
    return seats.flatMap((group, seat) => (inGroup(member, group) ? [seat] : []));
  });
  const place = (candidate: number, visited: Set<number>): boolean => {
    for (const seat of eligible[candidate]!) {
      if (visited.has(seat)) continue;
      visited.add(seat);
      const current = holder[seat];
      if (current === undefined || place(current, visited)) {
        holder[seat] = candidate;
        return true;
      }
    }
    return false;
  };
  candidates.forEach((_, i) => place(i, new Set()));

  const seatOf = new Map<number, number>();
  holder.forEach((candidate, seat) => candidate !== undefined && seatOf.set(candidate, seat));
  const seated = candidates.flatMap((identityKey, i) => {
    const seat = seatOf.get(i);
    return seat === undefined ? [] : [{ identityKey, group: seats[seat]! }];
  });
  const byGroup = quorum.map(({ group, count }) => ({ group, needed: count, filled: seated.filter((s) => s.group === group).length }));
  return { met: seated.length === seats.length, needed: quorumSize(quorum), seated, byGroup };
}

/**
 * Why a quorum is not met: one reason per group short of seats, e.g. `approvals: 0 of the 1
 * needed from admins (2 from approvers + 1 from admins, by distinct members)`, then each valid
 * approver left unseated because none of their groups has an open seat.
 */
export function shortfallReasons(
  fill: QuorumFill, quorum: Quorum, approvals: ReadonlyArray<{ index: number; signer: string }>, members: MemberSet, where: string,
): string[] {
  if (fill.met) return [];
  const short = fill.byGroup
    .filter((g) => g.filled < g.needed)
    .map((g) => `${where}: ${g.filled} of the ${g.needed} needed from ${g.group} (${describeQuorum(quorum)}, by distinct members)`);
  const unseated = approvals.filter((a) => !fill.seated.some((s) => s.identityKey === a.signer)).map((a) => {
    const member = findMember(members, a.signer);
    return `approvals[${a.index}]: ${member?.name ?? a.signer} (${member?.groups.join(', ') ?? 'no member'}) is in no group with an open seat of ${describeQuorum(quorum)}`;
  });
  return [...short, ...unseated];
}

/**
 * When the quorum was first met: the earliest approval time at which the approvals signed up
 * to then fill it. Delays run from here, so an approval added later does not restart them,
 * and one signed too early (before the others) cannot shorten them.
 */
export function quorumReachedAt(quorum: Quorum, approvals: ReadonlyArray<{ signer: string; created: Date }>, members: MemberSet): Date | null {
  // An empty quorum is met from the start.
  if (quorum.length === 0) return new Date(0);
  const byTime = [...approvals].sort((a, b) => a.created.getTime() - b.created.getTime());
  for (let i = 0; i < byTime.length; i += 1) {
    const upTo = byTime[i]!.created.getTime();
    // Approvals signed at the same instant join together.
    const signers = byTime.filter((a) => a.created.getTime() <= upTo).map((a) => a.signer);
    if (fillQuorum(quorum, signers, members).met) return byTime[i]!.created;
  }
  return null;
}
