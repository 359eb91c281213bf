/**
 * The policy a new vault is created with (vault.create, FROST setups), checked before anything
 * is stored, so a vault never starts under a policy its signers would refuse to pin:
 *   - version 1: at most n-1 approvals, since the proposer never approves their own withdrawal;
 *   - version 2: a pinned state the policy engine accepts (rules, members, reachable quorums),
 *     whose group "keyholders" is exactly the vault's keyholders (governedPolicyProblems, the
 *     rule signers apply too), and an empty address book (an entry is only ever added by a
 *     quorum-approved change).
 */
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import { GOVERNED_POLICY_VERSION, type VaultPolicy } from '../../protocol/policy';
import { governedPolicyProblems } from '../../protocol/policy-engine';

export interface VaultPolicyInput {
  policy: VaultPolicy;
  /** Identity keys of the vault's keyholders (the descriptor's key holders). */
  keyholders: readonly string[];
  vaultId: string;
  network: NetworkName;
  /** Where the policy sits in the request, for messages: `envelope.body.policy`. */
  where: string;
}

export function checkVaultPolicy({ policy, keyholders, vaultId, network, where }: VaultPolicyInput): void {
  if (policy.version !== GOVERNED_POLICY_VERSION) {
    if (policy.requiredApprovals > keyholders.length - 1) {
      throw new ConclaveError('VALIDATION_FAILED', `${where}.requiredApprovals: at most ${keyholders.length - 1}, since the proposer never approves their own withdrawal`);
    }
    return;
  }
  const problems = governedPolicyProblems(policy, keyholders, vaultId, network);
  if (policy.addressBook.entries.length > 0) {
    problems.push('addressBook.entries: must start empty; each entry is added later by a change its quorum approves');
  }
  if (problems.length > 0) {
    throw new ConclaveError('POLICY_RULES_INVALID', `${where}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { problems });
  }
}
