/**
 * A vault policy as a keyholder reads it before pinning (DESIGN.md, root of trust: what is
 * pinned is what every keyholder saw): for a simple policy one line; for a governed one its
 * rules (proposers, tiers with approvals by group and delays, velocity limits, the address
 * book's quorum, cooling-off and expiry, what changes need) and its members with their groups
 * and identity fingerprints, which the keyholders compare out of band like their own.
 */
import { formatBtc } from '../../protocol/amounts';
import { identityFingerprint } from '../../protocol/identity';
import { GOVERNED_POLICY_VERSION, type VaultPolicy } from '../../protocol/policy';
import { describeQuorum } from '../../protocol/policy-engine';
import { formatDuration } from '../../protocol/policy-engine/time';

const wait = (seconds: number) => (seconds === 0 ? 'no delay' : `wait ${formatDuration(seconds * 1000)}`);
const upTo = (sats: string | undefined) => (sats === undefined ? 'above that' : `up to ${formatBtc(BigInt(sats))}`);

export function policyLines(policy: VaultPolicy): string[] {
  if (policy.version !== GOVERNED_POLICY_VERSION) {
    return [`Policy:                ${policy.requiredApprovals} approval(s) besides the proposer; fee at most ${policy.maxFeeSats} sat and ${policy.maxFeeRate} sat/vB`];
  }
  const { rules, members, addressBook } = policy;
  const { withdrawals, changes } = rules;
  const book = rules.addressBook;
  return [
    `Policy:                governed, rule set version ${rules.version}; fee at most ${rules.maxFeeSats} sat and ${rules.maxFeeRate} sat/vB`,
    `  proposers:           members of ${withdrawals.proposerGroups.join(', ')} (a proposer never counts as an approver)`,
    ...withdrawals.tiers.map((t) => `  tier ${`"${t.name}"`.padEnd(15)} ${upTo(t.upToSats)}: ${describeQuorum(t.approvals)}, ${wait(t.delaySeconds)}`),
    ...(withdrawals.velocity.length === 0
      ? ['  velocity:            no limit']
      : withdrawals.velocity.map((v) => `  velocity:            at most ${formatBtc(BigInt(v.capSats))} per ${formatDuration(v.windowSeconds * 1000)}, as each signer counts what it signed`)),
    `  address book:        ${describeQuorum(book.quorum)} to add an entry; usable after ${formatDuration(book.coolingOffSeconds * 1000)}; expires after ${formatDuration(book.expireAfterDisuseSeconds * 1000)} unused; ${addressBook.entries.length} entr${addressBook.entries.length === 1 ? 'y' : 'ies'}`,
    `  policy changes:      ${describeQuorum(changes.policy.quorum)}, ${wait(changes.policy.delaySeconds)}`,
    `  member changes:      ${describeQuorum(changes.members.quorum)}, ${wait(changes.members.delaySeconds)}`,
    ...changes.members.whenSubjectIn.map((r) => `    for a member of ${r.group}: also ${describeQuorum(r.quorum)}`),
    `Members (revision ${members.revision}; compare EVERY fingerprint with its owner out of band):`,
    ...members.members.map((m) => {
      const passkeys = m.passkeys?.length ?? 0;
      return `  ${m.name}  ${identityFingerprint(m.identityKey)}  [${m.groups.join(', ')}]${passkeys > 0 ? `  ${passkeys} passkey(s)` : ''}`;
    }),
  ];
}
