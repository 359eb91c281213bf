/**
 * A change in plain words, as a keyholder reads it before proposing or approving it: what it
 * does ("add address bc1... labelled X"), who must approve it under THIS signer's pinned rules
 * ("needs 2 from admins"), and when it would take effect ("24 h after the quorum"). Everything
 * here comes from the signed change and the pinned state, never from the coordinator's words.
 */
import { identityFingerprint } from '../../protocol/identity';
import { type ChangeProposal, type Member, type PinnedPolicyState, type PolicyRules, describeQuorum, ruleFor, scriptKey } from '../../protocol/policy-engine';
import { canonicalJson } from '../../protocol/canonical-json';
import { formatDuration } from '../../protocol/policy-engine/time';

export function who(state: PinnedPolicyState, identityKey: string): string {
  const member = state.members.members.find((m) => m.identityKey === identityKey);
  const fingerprint = safeFingerprint(identityKey);
  return member === undefined ? `an unknown key (${fingerprint})` : `${member.name} (${fingerprint})`;
}

function safeFingerprint(identityKey: string): string {
  try {
    return identityFingerprint(identityKey);
  } catch {
    return identityKey.slice(0, 16);
  }
}

function memberWords(member: Member): string {
  return `${member.name} (${safeFingerprint(member.identityKey)}) in ${member.groups.join(', ')}`;
}

/** What the change does to the pinned state. */
export function describeEffect(state: PinnedPolicyState, change: ChangeProposal): string {
  switch (change.op) {
    case 'address-book.add':
      return `add address ${change.address} labelled "${change.label}" to the address book`;
    case 'address-book.remove': {
      const script = scriptKey(change.address, state.network);
      const entry = state.addressBook.entries.find((e) => script !== null && scriptKey(e.address, state.network) === script);
      return `remove address ${change.address}${entry === undefined ? '' : ` ("${entry.label}")`} from the address book`;
    }
    case 'policy.replace':
      return `replace rule set version ${state.policy.version} with version ${change.policy.version} (${policyDifferences(state, change.policy).join(', ') || 'no other difference'})`;
    case 'member.add':
      return `add member ${memberWords(change.member)}${change.member.passkeys?.length ? ` with ${change.member.passkeys.length} passkey(s)` : ''}`;
    case 'member.remove':
      return `remove member ${who(state, change.identityKey)}`;
    case 'member.set-groups': {
      const member = state.members.members.find((m) => m.identityKey === change.identityKey);
      return `put ${who(state, change.identityKey)} in groups ${change.groups.join(', ')}${member === undefined ? '' : ` (now ${member.groups.join(', ')})`}`;
    }
    case 'member.replace-credentials': {
      const parts: string[] = [];
      if (change.newIdentityKey !== undefined) parts.push(`its identity key with ${safeFingerprint(change.newIdentityKey)}`);
      if (change.passkeys !== undefined) parts.push(`its passkeys with ${change.passkeys.length} passkey(s)`);
      return `replace the credentials of ${who(state, change.identityKey)}: ${parts.join(' and ')}`;
    }
  }
}

/** The sections of the rule set a policy.replace changes, by name. */
function policyDifferences(state: PinnedPolicyState, next: PolicyRules): string[] {
  const current = state.policy;
  const differs = (a: unknown, b: unknown) => canonicalJson(a) !== canonicalJson(b);
  const sections: string[] = [];
  if (current.maxFeeSats !== next.maxFeeSats || current.maxFeeRate !== next.maxFeeRate) sections.push(`fee caps ${next.maxFeeSats} sat and ${next.maxFeeRate} sat/vB`);
  if (differs(current.withdrawals.proposerGroups, next.withdrawals.proposerGroups)) sections.push(`proposers ${next.withdrawals.proposerGroups.join(', ')}`);
  if (differs(current.withdrawals.tiers, next.withdrawals.tiers)) sections.push('withdrawal tiers');
  if (differs(current.withdrawals.velocity, next.withdrawals.velocity)) sections.push('velocity limits');
  if (differs(current.addressBook, next.addressBook)) sections.push('address-book rules');
  if (differs(current.changes, next.changes)) sections.push('change rules');
  return sections;
}

/** Who must approve it and when it takes effect, under the pinned rules. */
export function describeRule(state: PinnedPolicyState, change: ChangeProposal): string {
  const rule = ruleFor(state, change);
  const subject = rule.subject === undefined ? '' : ` (not the proposer, nor ${who(state, rule.subject)})`;
  const needs = `needs ${describeQuorum(rule.quorum)}${subject || ' besides the proposer'}`;
  if (change.op === 'address-book.add') {
    return `${needs}; pinned at the quorum, payable ${formatDuration(state.policy.addressBook.coolingOffSeconds * 1000)} after it (cooling-off)`;
  }
  if (rule.delaySeconds === 0) return `${needs}; takes effect at the quorum`;
  return `${needs}; takes effect ${formatDuration(rule.delaySeconds * 1000)} after the quorum`;
}

export function describeChange(state: PinnedPolicyState, change: ChangeProposal): string {
  return `${describeEffect(state, change)}; ${describeRule(state, change)}`;
}
