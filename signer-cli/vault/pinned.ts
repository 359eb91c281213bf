/**
 * A pinned vault as the verification code needs it: the descriptor parsed again from the pinned
 * text (never from anything the coordinator sends later), as the kind it was pinned as
 * (script multisig unless the pin says `tr-frost`), the pinned member keys and policy (for a
 * governed policy, its current pinned state, as quorum-approved changes moved it on).
 */
import { parseVaultDescriptor, type VaultDescriptor } from '../../protocol/descriptor';
import type { PinnedVaultForSigning } from '../../protocol/intent/verify-withdrawal';
import type { PinnedVault } from '../state/state-file';

export function pinnedDescriptor(pinned: PinnedVault): VaultDescriptor {
  return parseVaultDescriptor(pinned.descriptor, pinned.network, [pinned.kind ?? 'wsh-sortedmulti']);
}

/** `coordinatorKey`: the key pinned at join (state.json), the only one whose token proposals are believed. */
export function pinnedForSigning(pinned: PinnedVault, coordinatorKey: string | null = null): PinnedVaultForSigning {
  return {
    vaultId: pinned.vaultId,
    descriptor: pinnedDescriptor(pinned),
    memberKeys: pinned.members.map((m) => m.identityKey),
    policy: pinned.policy,
    coordinatorKey,
  };
}
