/**
 * What each kind of change does to the pinned state, which quorum it needs and how long it
 * waits, all under the CURRENT pinned rules (a change never vouches for itself):
 *   - policy.replace: the policy quorum, then the policy delay.
 *   - member.*: the members quorum, plus the extra quorum of each group the member changed is
 *     (or becomes) in, e.g. the other keyholders for a keyholder; then the members delay.
 *   - address-book.add / remove: the address-book quorum, and no further delay: an added entry
 *     is pinned at once but may be paid only after its cooling-off (address-book.ts), and a
 *     removal only takes a power away.
 */
import { type ChangeProposal, partOf } from './changes';
import { type AddressBookEntry, MAX_ADDRESS_BOOK_ENTRIES, scriptKey } from './address-book';
import { type Member, findMember, sortedGroups } from './members';
import { type Quorum, mergeQuorums, policyRulesProblems } from './rules';
import { type PinnedPolicyState, pinnedStateHashes } from './state';

export interface ChangeRule {
  quorum: Quorum;
  delaySeconds: number;
  /** The member the change is about, whose approval never counts. */
  subject?: string;
}

export function ruleFor(state: PinnedPolicyState, change: ChangeProposal): ChangeRule {
  const { policy } = state;
  if (change.op === 'policy.replace') return policy.changes.policy;
  if (change.op === 'address-book.add' || change.op === 'address-book.remove') return { quorum: policy.addressBook.quorum, delaySeconds: 0 };
  const { subject, groups } = subjectOf(state, change);
  const extra = policy.changes.members.whenSubjectIn.filter((r) => groups.includes(r.group)).map((r) => r.quorum);
  return { quorum: mergeQuorums(policy.changes.members.quorum, ...extra), delaySeconds: policy.changes.members.delaySeconds, subject };
}

type MemberChange = Extract<ChangeProposal, { op: `member.${string}` }>;

/** The member a membership change is about, and every group it touches (before and after). */
function subjectOf(state: PinnedPolicyState, change: MemberChange): { subject: string; groups: string[] } {
  if (change.op === 'member.add') return { subject: change.member.identityKey, groups: change.member.groups };
  const before = findMember(state.members, change.identityKey)?.groups ?? [];
  const after = change.op === 'member.set-groups' ? change.groups : [];
  return { subject: change.identityKey, groups: sortedGroups([...before, ...after]) };
}

/** Everything wrong with the change itself for this state; the resulting state is checked apart. */
export function changeProblems(state: PinnedPolicyState, change: ChangeProposal): string[] {
  const problems: string[] = [];
  if (change.vaultId !== state.vaultId) problems.push(`change.vaultId: ${change.vaultId} is not the pinned vault ${state.vaultId}`);
  const part = partOf(change.op);
  const pinned = pinnedStateHashes(state)[part];
  if (change.base !== pinned) {
    problems.push(`change.base: made for ${part} ${change.base}, but the pinned ${part} is ${pinned} (an earlier or another state: stale or replayed)`);
  }
  switch (change.op) {
    case 'policy.replace': {
      const expected = state.policy.version + 1;
      if (change.policy.version !== expected) problems.push(`change.policy.version: ${change.policy.version}, but the next version is ${expected}`);
      problems.push(...policyRulesProblems(change.policy).map((p) => `change.policy.${p}`));
      break;
    }
    case 'address-book.add': {
      const script = scriptKey(change.address, state.network);
      if (script === null) problems.push(`change.address: ${change.address} is not a ${state.network} address`);
      else if (state.addressBook.entries.some((e) => scriptKey(e.address, state.network) === script)) problems.push(`change.address: ${change.address} is already in the address book`);
      if (state.addressBook.entries.length >= MAX_ADDRESS_BOOK_ENTRIES) problems.push(`change: the address book is full (${MAX_ADDRESS_BOOK_ENTRIES} entries)`);
      break;
    }
    case 'address-book.remove': {
      const script = scriptKey(change.address, state.network);
      if (!state.addressBook.entries.some((e) => script !== null && scriptKey(e.address, state.network) === script)) {
        problems.push(`change.address: ${change.address} is not in the address book`);
      }
      break;
    }
    case 'member.add':
      if (findMember(state.members, change.member.identityKey) !== undefined) problems.push('change.member.identityKey: already a member');
      break;
    case 'member.remove':
    case 'member.set-groups':
    case 'member.replace-credentials': {
      const member = findMember(state.members, change.identityKey);
      if (member === undefined) {
        problems.push(`change.identityKey: ${change.identityKey} is not a member`);
      } else if (change.op === 'member.set-groups' && sortedGroups(change.groups).join() === member.groups.join()) {
        problems.push(`change.groups: ${member.name} is already in exactly these groups`);
      } else if (change.op === 'member.replace-credentials' && change.newIdentityKey !== undefined && findMember(state.members, change.newIdentityKey) !== undefined) {
        problems.push(`change.newIdentityKey: ${change.newIdentityKey === change.identityKey ? 'is the key it replaces' : 'already belongs to a member'}`);
      }
      break;
    }
  }
  return problems;
}

/**
 * The state after the change (assumed free of `changeProblems`). `approvedAt` is when its
 * quorum was reached: a new address-book entry's cooling-off runs from it.
 */
export function applyOp(state: PinnedPolicyState, change: ChangeProposal, changeId: string, approvedAt: Date): PinnedPolicyState {
  const members = (list: Member[]) => ({ ...state, members: { revision: state.members.revision + 1, members: list } });
  const book = (entries: AddressBookEntry[]) => ({ ...state, addressBook: { revision: state.addressBook.revision + 1, entries } });
  const replace = (key: string, update: (m: Member) => Member) => state.members.members.map((m) => (m.identityKey === key ? update(m) : m));
  switch (change.op) {
    case 'policy.replace':
      return { ...state, policy: change.policy };
    case 'address-book.add':
      return book([...state.addressBook.entries, { address: change.address, label: change.label, approvedAt: approvedAt.toISOString(), changeId }]);
    case 'address-book.remove': {
      const script = scriptKey(change.address, state.network);
      return book(state.addressBook.entries.filter((e) => scriptKey(e.address, state.network) !== script));
    }
    case 'member.add':
      return members([...state.members.members, { ...change.member, groups: sortedGroups(change.member.groups) }]);
    case 'member.remove':
      return members(state.members.members.filter((m) => m.identityKey !== change.identityKey));
    case 'member.set-groups':
      return members(replace(change.identityKey, (m) => ({ ...m, groups: sortedGroups(change.groups) })));
    case 'member.replace-credentials':
      return members(replace(change.identityKey, (m) => ({
        ...m,
        identityKey: change.newIdentityKey ?? m.identityKey,
        ...(change.passkeys === undefined ? {} : { passkeys: change.passkeys }),
      })));
  }
}
