/**
 * A pinned vault as the verification code needs it: the descriptor parsed again from the pinned
 * text (never from anything the coordinator sends later), as the kind it was pinned as
 * (script multisig unless the pin says `tr-frost`), and the pinned member keys.
 */
import { parseVaultDescriptor, type VaultDescriptor } from '../../protocol/descriptor';
import type { PinnedVaultForSigning } from '../../protocol/intent/verify-withdrawal';
import type { PinnedVault } from '../state/state-file';

export function pinnedDescriptor(pinned: PinnedVault): VaultDescriptor {
  return parseVaultDescriptor(pinned.descriptor, pinned.network, [pinned.kind ?? 'wsh-sortedmulti']);
}

export function pinnedForSigning(pinned: PinnedVault): PinnedVaultForSigning {
  return {
    vaultId: pinned.vaultId,
    descriptor: pinnedDescriptor(pinned),
    memberKeys: pinned.members.map((m) => m.identityKey),
    policy: pinned.policy,
  };
}
