/**
 * Before a signer pins a vault (`vault pin`, `setup confirm`, and a FROST vault when its key
 * generation completes), its policy must be one the vault's keyholders can live with: a simple
 * policy asks no more approvals than there are keyholders besides the proposer; a governed one
 * has no problem at all (protocol/policy-engine/vault-formation.ts), its "keyholders" group
 * being exactly the vault's keyholders, so no outsider the coordinator slipped in counts as one.
 */
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import { GOVERNED_POLICY_VERSION, type VaultPolicy } from '../../protocol/policy';
import { governedPolicyProblems } from '../../protocol/policy-engine/vault-formation';

/** Throws PIN_MISMATCH, listing every problem. */
export function checkPolicyFits(policy: VaultPolicy, keyholders: readonly string[], vaultId: string, network: NetworkName): void {
  const problems = policy.version === GOVERNED_POLICY_VERSION
    ? governedPolicyProblems(policy, keyholders, vaultId, network)
    : policy.requiredApprovals > keyholders.length - 1 ? [`it requires ${policy.requiredApprovals} approvals from ${keyholders.length - 1} possible approvers`] : [];
  if (problems.length > 0) {
    throw new ConclaveError('PIN_MISMATCH', `vault ${vaultId}: its policy cannot be pinned: ${problems.join('; ')}`, { vaultId, problems });
  }
}
