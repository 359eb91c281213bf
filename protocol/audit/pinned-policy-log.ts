/**
 * The governed policy of each vault as the audit log itself establishes it: the policy signed
 * in the vault's creation (or in its FROST key generation's params), moved on by each
 * `governance.applied` event through the very change its logged proposal signed (applyOp, as
 * the coordinator and every signer apply it). Each applied event must then record the hashes of
 * the parts that follow; a coordinator that claims another state is caught there.
 *
 * What this is for: a passkey approval names a key in its payload (passkey-evidence.ts), and
 * that key must be a passkey pinned for its signer in the vault's member set at that point of
 * the log, not merely a key the coordinator wrote next to the statement. Whether an applied
 * change had its quorum and delay stays the coordinator's claim here (governance-binding.ts);
 * every signer decides that itself from the stored evidence.
 *
 * It also follows identity keys that a quorum replaced (`member.replace-credentials` with a new
 * key, DESIGN.md: the lost-laptop recovery): what the old key signed before the replacement
 * stays evidence of its own events, but from the replacement on the log may show no statement
 * by the old key about that vault (unless a later change made it a member again).
 */
import type { NetworkName } from '../network';
import { GOVERNED_POLICY_VERSION, type VaultPolicy, governedPolicyOf, policyHash } from '../policy';
import type { ChangeProposal } from '../policy-engine/changes';
import { applyOp } from '../policy-engine/change-ops';
import { findMember } from '../policy-engine/members';
import { type PinnedPolicyState, pinnedStateHashes } from '../policy-engine/state';
import { laterOf } from '../policy-engine/time';
import { Mismatch, same } from './binding-checks';
import type { PasskeyEvidence } from './passkey-evidence';

/** A change the log applies: its signed proposal, when that was signed, and its id. */
export interface LoggedChange {
  changeId: string;
  change: ChangeProposal;
  proposedAt: string;
}

export class PinnedPolicyLog {
  /** By vault id: the governed state so far, or null for a simple (version 1) policy. */
  private readonly vaults = new Map<string, PinnedPolicyState | null>();
  /** By vault id: identity keys a quorum replaced there, earlier in the log. */
  private readonly replaced = new Map<string, Set<string>>();

  formed(vaultId: string, network: NetworkName, policy: VaultPolicy): void {
    this.vaults.set(vaultId, policy.version === GOVERNED_POLICY_VERSION
      ? { vaultId, network, policy: policy.rules, members: policy.members, addressBook: policy.addressBook }
      : null);
  }

  /** A `governance.applied` event: the state moves on by the change, and the payload must say where to. */
  applied(vaultId: string, logged: LoggedChange, payload: Record<string, unknown>): void {
    const state = this.governed(vaultId);
    const quorumReachedAt = typeof payload.quorumReachedAt === 'string' ? new Date(payload.quorumReachedAt) : null;
    if (quorumReachedAt !== null && Number.isNaN(quorumReachedAt.getTime())) throw new Mismatch('payload.quorumReachedAt is not a time');
    // As the policy engine applies it: an address-book entry is approved when the quorum was reached.
    const proposedAt = new Date(logged.proposedAt);
    const next = applyOp(state, logged.change, logged.changeId, laterOf(proposedAt, quorumReachedAt ?? proposedAt));
    same('payload.parts (the policy the log establishes after this change)', payload.parts, pinnedStateHashes(next));
    same('payload.policyHash', payload.policyHash, policyHash(governedPolicyOf(next)));
    this.vaults.set(vaultId, next);
    const replacedKey = replacedIdentityKey(logged.change);
    if (replacedKey !== null) this.replaced.set(vaultId, new Set([...this.replaced.get(vaultId) ?? [], replacedKey]));
  }

  /** A statement about the vault must not be by a key that a quorum replaced earlier in the log (and that is no member now). */
  notReplaced(vaultId: string, signer: string): void {
    if (!this.replaced.get(vaultId)?.has(signer)) return;
    const state = this.vaults.get(vaultId);
    if (state && findMember(state.members, signer) !== undefined) return;
    throw new Mismatch(`the statement is by ${signer}, an identity key a quorum replaced in vault ${vaultId} earlier in the log; it speaks for nobody there any more`);
  }

  /** The passkey a statement verified under must be pinned for its signer in the vault's member set as the log has it now. */
  passkeyPinned(vaultId: string, evidence: PasskeyEvidence): void {
    const state = this.governed(vaultId);
    const member = findMember(state.members, evidence.signer);
    if (member === undefined) throw new Mismatch(`the passkey statement is by ${evidence.signer}, who is not a member of vault ${vaultId} at this point of the log`);
    const pinned = member.passkeys?.find((p) => p.credentialId === evidence.passkey.credentialId);
    if (pinned === undefined) {
      throw new Mismatch(`payload.passkey: credential ${evidence.passkey.credentialId} is not pinned for ${member.name} in vault ${vaultId} at this point of the log`);
    }
    if (pinned.publicKey !== evidence.passkey.publicKey) {
      throw new Mismatch(`payload.passkey: the key recorded for credential ${pinned.credentialId} is not the one pinned for ${member.name} in vault ${vaultId}`);
    }
  }

  private governed(vaultId: string): PinnedPolicyState {
    const state = this.vaults.get(vaultId);
    if (state === undefined) throw new Mismatch(`vault ${vaultId} does not appear earlier in the log`);
    if (state === null) throw new Mismatch(`vault ${vaultId} has a simple (version 1) policy in the log, which pins no passkeys and takes no changes`);
    return state;
  }
}

/** The identity key a change retires: the old key of a `member.replace-credentials` that gives a new one. */
export function replacedIdentityKey(change: ChangeProposal): string | null {
  return change.op === 'member.replace-credentials' && change.newIdentityKey !== undefined ? change.identityKey : null;
}
