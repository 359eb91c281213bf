/**
 * A pinned vault as the verification code needs it: the descriptor parsed again from the pinned
 * text (never from anything the coordinator sends later) and the pinned member keys.
 */
import { parseVaultDescriptor, type MultisigVaultDescriptor } from '../../protocol/descriptor';
import type { PinnedVaultForSigning } from '../../protocol/intent/verify-withdrawal';
import type { PinnedVault } from '../state/state-file';

export function pinnedDescriptor(pinned: PinnedVault): MultisigVaultDescriptor {
  return parseVaultDescriptor(pinned.descriptor, pinned.network);
}

export function pinnedForSigning(pinned: PinnedVault): PinnedVaultForSigning {
  return {
    vaultId: pinned.vaultId,
    descriptor: pinnedDescriptor(pinned),
    memberKeys: pinned.members.map((m) => m.identityKey),
    policy: pinned.policy,
  };
}
