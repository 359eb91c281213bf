/**
 * The vault policy every signer pins with the vault (DESIGN.md, "Policy"). Two formats:
 *
 *  - version 1, the simple policy: how many keyholders besides the proposer must approve, and
 *    the fee caps. Every keyholder may propose and approve.
 *  - version 2, the governed policy (issue 5): the policy engine's rule set
 *    (protocol/policy-engine/rules.ts: tiers by group, velocity, address book, delays), the
 *    members with their groups and passkeys, and the address book, which starts empty (an
 *    entry is added only by a quorum-approved change). Quorum-approved changes move the rule
 *    set, the members and the address book on from here; each signer applies them itself.
 *
 * Intents name the rule set by `policyHash`: for version 2 the hash of the CURRENT rule set
 * (`policyRulesHash`), so an intent made under an older rule set is refused once a change
 * took effect.
 */
import { z } from 'zod';
import { canonicalBytes } from './canonical-json';
import { taggedHashHex } from './hashing';
import type { NetworkName } from './network';
import { addressBookSchema } from './policy-engine/address-book';
import { memberSetSchema } from './policy-engine/members';
import { policyRulesHash, policyRulesSchema } from './policy-engine/rules';
import type { PinnedPolicyState } from './policy-engine/state';
import { feeCapRateSchema, feeCapSatsSchema } from './schemas';

export const POLICY_VERSION = 1;
export const GOVERNED_POLICY_VERSION = 2;

export const simplePolicySchema = z.object({
  version: z.literal(POLICY_VERSION),
  /** Approvals by keyholders other than the proposer, required before anyone signs. */
  requiredApprovals: z.number().int().min(0).max(15),
  /** Highest absolute fee, in satoshis (decimal string), of any withdrawal. */
  maxFeeSats: feeCapSatsSchema,
  /** Highest fee rate in sat/vB (decimal string, up to 3 decimals). */
  maxFeeRate: feeCapRateSchema,
}).strict();
export type SimplePolicy = z.infer<typeof simplePolicySchema>;

export const governedPolicySchema = z.object({
  version: z.literal(GOVERNED_POLICY_VERSION),
  rules: policyRulesSchema,
  members: memberSetSchema,
  addressBook: addressBookSchema,
}).strict();
export type GovernedPolicy = z.infer<typeof governedPolicySchema>;

export const vaultPolicySchema = z.discriminatedUnion('version', [simplePolicySchema, governedPolicySchema]);
export type VaultPolicy = z.infer<typeof vaultPolicySchema>;

export const DEFAULT_POLICY: SimplePolicy = { version: POLICY_VERSION, requiredApprovals: 0, maxFeeSats: '1000000', maxFeeRate: '500' };

const SIMPLE_POLICY_HASH_TAG = 'Conclave/policy';

/** The hash intents reference: the simple policy's, or the governed policy's current rule set. */
export function policyHash(policy: VaultPolicy): string {
  if (policy.version === GOVERNED_POLICY_VERSION) return policyRulesHash(policy.rules);
  return taggedHashHex(SIMPLE_POLICY_HASH_TAG, canonicalBytes(policy));
}

/** The fee caps a signer enforces whatever the intent says. */
export function feeCaps(policy: VaultPolicy): { maxFeeSats: string; maxFeeRate: string } {
  const source = policy.version === GOVERNED_POLICY_VERSION ? policy.rules : policy;
  return { maxFeeSats: source.maxFeeSats, maxFeeRate: source.maxFeeRate };
}

/** The policy engine's view of a governed vault policy. */
export function pinnedPolicyState(vaultId: string, network: NetworkName, policy: GovernedPolicy): PinnedPolicyState {
  return { vaultId, network, policy: policy.rules, members: policy.members, addressBook: policy.addressBook };
}

/** The governed policy a pinned state stands for, as stored and pinned. */
export function governedPolicyOf(state: PinnedPolicyState): GovernedPolicy {
  return { version: GOVERNED_POLICY_VERSION, rules: state.policy, members: state.members, addressBook: state.addressBook };
}
