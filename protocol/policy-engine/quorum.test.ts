/**
 * Seating approvers in a quorum by group: one seat per person, found by matching, so that a
 * member in several groups is seated where needed; checked against a brute-force search.
 */
import fc from 'fast-check';
import type { MemberSet } from './members';
import { fillQuorum, quorumReachedAt } from './quorum';
import type { Quorum } from './rules';
import { PEOPLE, ada, at, ben, cy, dee, pinned } from './test-fixture';

const members = pinned().members;

describe('fillQuorum', () => {
  test('a greedy seating would fail where a matching succeeds', () => {
    const quorum: Quorum = [{ group: 'approvers', count: 1 }, { group: 'admins', count: 1 }];
    // Ada (admin, approver) first would take the approver seat; Cy can only be an approver.
    expect(fillQuorum(quorum, [ada.key, cy.key], members)).toMatchObject({
      met: true, seated: [{ identityKey: ada.key, group: 'admins' }, { identityKey: cy.key, group: 'approvers' }],
    });
  });

  test('one person takes one seat, whatever their groups', () => {
    const quorum: Quorum = [{ group: 'approvers', count: 1 }, { group: 'admins', count: 1 }];
    expect(fillQuorum(quorum, [ada.key], members)).toMatchObject({ met: false, needed: 2, seated: [{ identityKey: ada.key }] });
  });

  test('non-members and people of other groups take no seat', () => {
    expect(fillQuorum([{ group: 'admins', count: 1 }], ['00'.repeat(32), cy.key], members)).toMatchObject({ met: false, seated: [] });
  });

  test('an empty quorum is met by nobody', () => {
    expect(fillQuorum([], [], members)).toMatchObject({ met: true, needed: 0 });
  });
});

describe('quorumReachedAt', () => {
  test('the time of the approval that completes the quorum, whatever the order given', () => {
    const quorum: Quorum = [{ group: 'approvers', count: 2 }];
    const approvals = [{ signer: dee.key, created: at(3000) }, { signer: ben.key, created: at(1000) }, { signer: cy.key, created: at(2000) }];
    expect(quorumReachedAt(quorum, approvals, members)).toEqual(at(3000));
    expect(quorumReachedAt(quorum, approvals.slice(1), members)).toBeNull();
    expect(quorumReachedAt([], [], members)).toEqual(new Date(0));
  });
});

/** Is there an assignment of distinct candidates to every seat? Tried exhaustively. */
function bruteForce(quorum: Quorum, candidates: string[], set: MemberSet): boolean {
  const seats = quorum.flatMap((s) => Array.from({ length: s.count }, () => s.group));
  const groups = (key: string) => set.members.find((m) => m.identityKey === key)?.groups ?? [];
  const place = (seat: number, used: Set<string>): boolean => seat === seats.length
    || candidates.some((c) => !used.has(c) && groups(c).includes(seats[seat]!) && place(seat + 1, new Set([...used, c])));
  return place(0, new Set());
}

describe('property: fillQuorum agrees with an exhaustive search', () => {
  test('over random groups, quorums and approvers', () => {
    const names = ['admins', 'approvers', 'keyholders'];
    const groupSet = fc.subarray(names, { minLength: 1 });
    const arbitrary = fc.record({
      groups: fc.array(groupSet, { minLength: PEOPLE.length, maxLength: PEOPLE.length }),
      counts: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
      approvers: fc.subarray(PEOPLE.map((p) => p.key)),
    });
    fc.assert(fc.property(arbitrary, ({ groups, counts, approvers }) => {
      const set: MemberSet = { revision: 0, members: PEOPLE.map((p, i) => ({ ...p.member, groups: [...groups[i]!].sort() })) };
      const quorum = names.flatMap((group, i) => (counts[i]! > 0 ? [{ group, count: counts[i]! }] : []));
      const fill = fillQuorum(quorum, approvers, set);
      expect(fill.met).toBe(bruteForce(quorum, approvers, set));
      // Every seat holder is distinct, an approver, and in the seat's group.
      expect(new Set(fill.seated.map((s) => s.identityKey)).size).toBe(fill.seated.length);
      for (const seat of fill.seated) {
        expect(approvers).toContain(seat.identityKey);
        expect(set.members.find((m) => m.identityKey === seat.identityKey)!.groups).toContain(seat.group);
      }
    }), { numRuns: 500 });
  });
});
