/**
 * The pinned policy state of one vault: rule set, members and address book, as a signer pins
 * them when the vault is formed (after the fingerprints were compared out of band) and as
 * quorum-approved changes move them on (DESIGN.md, root of trust). The coordinator keeps a
 * copy to run the workflow, but each signer believes only its own.
 *
 * Each part has its hash, and a change names the hash of the part it changes; see changes.ts.
 */
import { z } from 'zod';
import { idSchema, networkSchema } from '../schemas';
import { ConclaveError } from '../errors';
import type { NetworkName } from '../network';
import { type AddressBook, addressBookHash, addressBookProblems, addressBookSchema } from './address-book';
import { type MemberSet, memberSetHash, memberSetProblems, memberSetSchema } from './members';
import { unreachableQuorums } from './reachability';
import { type PolicyRules, policyRulesHash, policyRulesProblems, policyRulesSchema } from './rules';

export const pinnedPolicyStateSchema = z.object({
  vaultId: idSchema,
  network: networkSchema,
  policy: policyRulesSchema,
  members: memberSetSchema,
  addressBook: addressBookSchema,
}).strict();

export interface PinnedPolicyState {
  vaultId: string;
  network: NetworkName;
  policy: PolicyRules;
  members: MemberSet;
  addressBook: AddressBook;
}

/** The hashes of the parts, which changes name as their base and keyholders compare. */
export function pinnedStateHashes(state: PinnedPolicyState): { policy: string; members: string; addressBook: string } {
  return { policy: policyRulesHash(state.policy), members: memberSetHash(state.members), addressBook: addressBookHash(state.addressBook) };
}

/** Everything wrong with a state beyond its schema, including quorums its members cannot meet. */
export function pinnedStateProblems(state: PinnedPolicyState): string[] {
  const policy = policyRulesProblems(state.policy).map((p) => `policy.${p}`);
  return [
    ...policy,
    ...memberSetProblems(state.members),
    ...addressBookProblems(state.addressBook, state.network),
    // Reachability assumes a well-formed rule set.
    ...(policy.length === 0 ? unreachableQuorums(state.policy, state.members).map((p) => `policy.${p}`) : []),
  ];
}

/**
 * Parses a state to pin (at vault formation, or loading it back): strictly, and only when it
 * has no problem at all. Throws POLICY_RULES_INVALID listing every problem.
 */
export function parsePinnedPolicyState(input: unknown): PinnedPolicyState {
  const parsed = pinnedPolicyStateSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConclaveError('POLICY_RULES_INVALID', `pinned policy state: ${problems[0]}`, { problems });
  }
  const problems = pinnedStateProblems(parsed.data);
  if (problems.length > 0) throw new ConclaveError('POLICY_RULES_INVALID', `pinned policy state: ${problems[0]}`, { problems });
  return parsed.data;
}
