/**
 * The vault policy every signer pins with the vault (DESIGN.md, "Policy"). This is the minimal
 * rule set: how many approvals a withdrawal needs besides the proposer's, and the fee caps a
 * signer enforces whatever the intent says. Intents name the policy by its hash, so a signer
 * notices at once when it is asked to act under another one. The full engine (tiers,
 * velocity, address book, delays) is issue 5.
 */
import { z } from 'zod';
import { canonicalBytes } from './canonical-json';
import { taggedHashHex } from './hashing';

export const POLICY_VERSION = 1;

export const vaultPolicySchema = z.object({
  version: z.literal(POLICY_VERSION),
  /** Approvals by keyholders other than the proposer, required before anyone signs. */
  requiredApprovals: z.number().int().min(0).max(15),
  /** Highest absolute fee, in satoshis (decimal string), of any withdrawal. */
  maxFeeSats: z.string().regex(/^[1-9][0-9]{0,15}$/, 'expected a positive decimal string of satoshis'),
  /** Highest fee rate in sat/vB (decimal string, up to 3 decimals). */
  maxFeeRate: z.string().regex(/^(0|[1-9][0-9]{0,6})(\.[0-9]{1,3})?$/, 'expected sat/vB as a decimal string'),
}).strict();

export type VaultPolicy = z.infer<typeof vaultPolicySchema>;

export const DEFAULT_POLICY: VaultPolicy = { version: POLICY_VERSION, requiredApprovals: 0, maxFeeSats: '1000000', maxFeeRate: '500' };

export function policyHash(policy: VaultPolicy): string {
  return taggedHashHex('Conclave/policy', canonicalBytes(policy));
}
