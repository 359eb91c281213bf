/**
 * A governed vault's pinned policy, readably and as JSON (`policy show`): the rule set (tiers
 * with approvals by group and delays, velocity limits, address-book rules, change rules), the
 * address book with each entry's status by THIS signer's clock and journal, the members with
 * groups and fingerprints computed here, the part hashes keyholders compare, and the changes
 * this signer applied.
 */
import { formatBtc } from '../../protocol/amounts';
import { identityFingerprint } from '../../protocol/identity';
import {
  type EntryStatus, type PaidOutRecord, type PinnedPolicyState, describeQuorum, entryStatus, lastUses, pinnedStateHashes, scriptKey,
} from '../../protocol/policy-engine';
import { formatDuration } from '../../protocol/policy-engine/time';
import type { AppliedChange } from '../state/state-file';

const duration = (seconds: number) => formatDuration(seconds * 1000);

/** The signing-journal entries that carry what the policy engine counts (older entries do not). */
export function paidOutRecords(journal: readonly object[]): PaidOutRecord[] {
  return journal.flatMap((entry) => {
    const r = entry as Partial<PaidOutRecord>;
    if (r.vaultId === undefined || r.withdrawalId === undefined || r.signedAt === undefined || r.destinations === undefined) return [];
    return [{ vaultId: r.vaultId, withdrawalId: r.withdrawalId, paymentsHash: r.paymentsHash ?? '', signedAt: r.signedAt, amountSats: r.amountSats ?? '0', destinations: r.destinations }];
  });
}

function statusJson(status: EntryStatus): Record<string, string> {
  switch (status.state) {
    case 'cooling-off': return { state: status.state, usableFrom: status.usableFrom.toISOString() };
    case 'usable': return { state: status.state, expiresAt: status.expiresAt.toISOString() };
    case 'expired': return { state: status.state, expiredAt: status.expiredAt.toISOString() };
  }
}

function statusWords(status: EntryStatus, now: Date): string {
  const left = (at: Date) => formatDuration(at.getTime() - now.getTime());
  switch (status.state) {
    case 'cooling-off': return `cooling off until ${status.usableFrom.toISOString()} (${left(status.usableFrom)} left)`;
    case 'usable': return `usable until ${status.expiresAt.toISOString()} unless paid again`;
    case 'expired': return `EXPIRED at ${status.expiredAt.toISOString()}; approve it again to use it`;
  }
}

function entries(state: PinnedPolicyState, journal: readonly PaidOutRecord[], now: Date) {
  const uses = lastUses(journal, state.vaultId, state.network);
  return state.addressBook.entries.map((entry) => {
    const script = scriptKey(entry.address, state.network);
    const lastUse = script === null ? undefined : uses.get(script);
    return { entry, lastUse, status: entryStatus(entry, state.policy.addressBook, lastUse, now) };
  });
}

export function policyJson(state: PinnedPolicyState, applied: readonly AppliedChange[], journal: readonly PaidOutRecord[], me: string, now: Date): Record<string, unknown> {
  return {
    vaultId: state.vaultId,
    network: state.network,
    hashes: pinnedStateHashes(state),
    rules: state.policy,
    members: state.members.members.map((m) => ({ ...m, fingerprint: identityFingerprint(m.identityKey), you: m.identityKey === me })),
    membersRevision: state.members.revision,
    addressBookRevision: state.addressBook.revision,
    addressBook: entries(state, journal, now).map(({ entry, lastUse, status }) => ({ ...entry, lastUse: lastUse?.toISOString() ?? null, status: statusJson(status) })),
    appliedChanges: applied,
  };
}

export function policyLines(name: string, state: PinnedPolicyState, applied: readonly AppliedChange[], journal: readonly PaidOutRecord[], me: string, now: Date): string[] {
  const { policy } = state;
  const hashes = pinnedStateHashes(state);
  const sats = (s: string) => `${formatBtc(BigInt(s))} (${s} sat)`;
  const lines = [
    `Vault "${name}" ${state.vaultId} on ${state.network}: governed policy, rule set version ${policy.version}`,
    'Part hashes (compare with the other keyholders):',
    `  rule set      ${hashes.policy}`,
    `  members       ${hashes.members} (revision ${state.members.revision})`,
    `  address book  ${hashes.addressBook} (revision ${state.addressBook.revision})`,
    `Fees: at most ${policy.maxFeeSats} sat and ${policy.maxFeeRate} sat/vB per withdrawal`,
    `Withdrawals: proposed by ${policy.withdrawals.proposerGroups.join(' or ')}; the proposer never approves`,
  ];
  let from = '0';
  for (const tier of policy.withdrawals.tiers) {
    const range = tier.upToSats === undefined ? `above ${sats(from)}` : `up to ${sats(tier.upToSats)}`;
    const delay = tier.delaySeconds === 0 ? 'no delay' : `signed ${duration(tier.delaySeconds)} after the proposal at the earliest`;
    lines.push(`  tier ${tier.name}: ${range}: needs ${describeQuorum(tier.approvals)}; ${delay}`);
    if (tier.upToSats !== undefined) from = tier.upToSats;
  }
  const last = policy.withdrawals.tiers[policy.withdrawals.tiers.length - 1];
  if (last?.upToSats !== undefined) lines.push(`  above ${sats(last.upToSats)}: refused`);
  for (const v of policy.withdrawals.velocity) lines.push(`  velocity: at most ${sats(v.capSats)} within any ${duration(v.windowSeconds)} (what this signer signed)`);
  if (policy.withdrawals.velocity.length === 0) lines.push('  velocity: no limit');
  const book = policy.addressBook;
  lines.push(`Address book: an entry needs ${describeQuorum(book.quorum)}; payable ${duration(book.coolingOffSeconds)} after its quorum; expires after ${duration(book.expireAfterDisuseSeconds)} unused`);
  const listed = entries(state, journal, now);
  if (listed.length === 0) lines.push('  (empty: every destination must first be added through its quorum)');
  for (const { entry, status } of listed) lines.push(`  ${entry.address} "${entry.label}": ${statusWords(status, now)}`);
  const { changes } = policy;
  lines.push(`Changes: a new rule set needs ${describeQuorum(changes.policy.quorum)}, then waits ${duration(changes.policy.delaySeconds)}`);
  const extra = changes.members.whenSubjectIn.map((r) => `, plus ${describeQuorum(r.quorum)} when the member is in ${r.group}`).join('');
  lines.push(`  a member change needs ${describeQuorum(changes.members.quorum)}${extra}, then waits ${duration(changes.members.delaySeconds)}`);
  lines.push(`Members (revision ${state.members.revision}; fingerprints computed here):`);
  for (const m of state.members.members) {
    const passkeys = m.passkeys?.length ? `, ${m.passkeys.length} passkey(s)` : '';
    lines.push(`  ${m.name}${m.identityKey === me ? ' (you)' : ''}  ${identityFingerprint(m.identityKey)}  ${m.groups.join(', ')}${passkeys}`);
  }
  lines.push(applied.length === 0 ? 'Applied changes: none yet' : 'Applied changes (by this signer):');
  for (const a of applied) lines.push(`  ${a.appliedAt} ${a.op} ${a.changeId}${a.effectiveAt === null ? '' : ` (effective ${a.effectiveAt})`}`);
  return lines;
}
