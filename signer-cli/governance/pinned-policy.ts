/**
 * A governed vault's policy as this signer pinned it (state.json), in the policy engine's
 * terms, and the one way it moves on: a change applyChange accepted, written under the state
 * lock together with its record. The pinned policy is this signer's root of trust (DESIGN.md);
 * nothing the coordinator says is copied into it.
 */
import { ConclaveError } from '../../protocol/errors';
import { GOVERNED_POLICY_VERSION, governedPolicyOf, pinnedPolicyState, policyHash } from '../../protocol/policy';
import { identityFingerprint } from '../../protocol/identity';
import type { ChangeProposal, PinnedPolicyState } from '../../protocol/policy-engine';
import { type AppliedChange, type PinnedVault, type SignerState, findPinned } from '../state/state-file';

/** The pinned policy state of a governed vault; POLICY_NOT_GOVERNED for a simple (version 1) policy. */
export function governedState(pinned: PinnedVault): PinnedPolicyState {
  if (pinned.policy.version !== GOVERNED_POLICY_VERSION) {
    throw new ConclaveError(
      'POLICY_NOT_GOVERNED',
      `vault ${pinned.vaultId}: its pinned policy is the simple one (version 1); changes by quorum need a vault created with a governed policy (--policy-file)`,
      { vaultId: pinned.vaultId },
    );
  }
  return pinnedPolicyState(pinned.vaultId, pinned.network, pinned.policy);
}

export function isGoverned(pinned: PinnedVault): boolean {
  return pinned.policy.version === GOVERNED_POLICY_VERSION;
}

export function appliedChanges(pinned: PinnedVault): AppliedChange[] {
  return pinned.appliedChanges ?? [];
}

/**
 * Pins `next` for the vault in `state` (mutated, inside StateStore.update) and records the
 * change, so that the policy, its hash and the record are written in one atomic file write.
 */
export function pinChange(state: SignerState, vaultId: string, next: PinnedPolicyState, record: AppliedChange, change?: ChangeProposal): void {
  const pinned = findPinned(state, vaultId);
  pinned.policy = governedPolicyOf(next);
  pinned.policyHash = policyHash(pinned.policy);
  pinned.appliedChanges = [...appliedChanges(pinned), record];
  if (change !== undefined) replacePinnedKeyholder(pinned, change);
}

/**
 * A keyholder's identity key replaced by the quorum: the pinned keyholders (which name who may
 * submit signatures, make FROST commitments, and whose statements the audit log may show) take
 * the new key at the same position, with its fingerprint computed here. The descriptor and the
 * account key stay: the keyholder restores the same seed under a new identity.
 */
export function replacePinnedKeyholder(pinned: PinnedVault, change: ChangeProposal): void {
  if (change.op !== 'member.replace-credentials' || change.newIdentityKey === undefined) return;
  const { newIdentityKey } = change;
  pinned.members = pinned.members.map((m) => (m.identityKey === change.identityKey
    ? { ...m, identityKey: newIdentityKey, fingerprint: identityFingerprint(newIdentityKey) }
    : m));
}
