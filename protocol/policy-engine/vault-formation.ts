/**
 * A governed policy (protocol/policy.ts, version 2) as a vault is formed with it (issue 5):
 * built from a policy file `{ rules, members }` with members at revision 0 and an empty address
 * book (entries are only ever added by quorum), and checked against the vault's keyholders.
 *
 * The group "keyholders" is the vault's keyholders exactly: every keyholder is a member in it
 * and nobody else is. Quorums that count keyholders (a keyholder's key replaced only with the
 * other keyholders' consent) then mean the people who hold the keys, and a coordinator cannot
 * seat an outsider there. The signer CLI and the coordinator both apply this rule.
 */
import { z } from 'zod';
import { ConclaveError } from '../errors';
import { identityFingerprint } from '../identity';
import type { NetworkName } from '../network';
import { GOVERNED_POLICY_VERSION, type GovernedPolicy, governedPolicySchema, pinnedPolicyState } from '../policy';
import { GROUPS, memberSchema, sortedGroups } from './members';
import { policyRulesSchema } from './rules';
import { pinnedStateProblems } from './state';

/** What a policy file holds: the rule set and the members; groups in any order. */
export const policyFileSchema = z.object({
  rules: policyRulesSchema,
  members: z.array(memberSchema).min(1),
}).strict();
export type PolicyFile = z.infer<typeof policyFileSchema>;

/** The governed policy a vault is formed with. Throws POLICY_RULES_INVALID when the file does not parse. */
export function governedPolicyFromFile(input: unknown, where = 'policy file'): GovernedPolicy {
  const parsed = policyFileSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConclaveError('POLICY_RULES_INVALID', `${where}: ${problems[0]}`, { problems });
  }
  const { rules, members } = parsed.data;
  return {
    version: GOVERNED_POLICY_VERSION,
    rules,
    members: { revision: 0, members: members.map((m) => ({ ...m, groups: sortedGroups(m.groups) })) },
    addressBook: { revision: 0, entries: [] },
  };
}

/**
 * Everything wrong with `policy` as the governed policy of a vault with these keyholders:
 * its schema, the pinned state's own problems (pinnedStateProblems: quorums the members cannot
 * meet, duplicate keys, ...), and the keyholders group. `vaultId` names the state checked; before
 * the coordinator assigned one, any placeholder will do. Empty when the policy may be pinned.
 */
export function governedPolicyProblems(policy: unknown, keyholderIdentityKeys: readonly string[], vaultId: string, network: NetworkName): string[] {
  const parsed = governedPolicySchema.safeParse(policy);
  if (!parsed.success) return parsed.error.issues.map((i) => `policy.${i.path.join('.')}: ${i.message}`);
  const state = pinnedPolicyState(vaultId, network, parsed.data);
  const problems = [...pinnedStateProblems(state)];
  const members = state.members.members;
  for (const key of keyholderIdentityKeys) {
    const member = members.find((m) => m.identityKey === key);
    if (member === undefined) problems.push(`members: keyholder ${identityFingerprint(key)} is not a member`);
    else if (!member.groups.includes(GROUPS.keyholders)) problems.push(`members: keyholder ${member.name} is not in group "${GROUPS.keyholders}"`);
  }
  members.forEach((m, i) => {
    if (m.groups.includes(GROUPS.keyholders) && !keyholderIdentityKeys.includes(m.identityKey)) {
      problems.push(`members[${i}]: ${m.name} is in group "${GROUPS.keyholders}" but holds no key of this vault`);
    }
  });
  return problems;
}

/** Throws POLICY_RULES_INVALID listing every problem of governedPolicyProblems. */
export function assertGovernedPolicy(policy: unknown, keyholderIdentityKeys: readonly string[], vaultId: string, network: NetworkName, where: string): GovernedPolicy {
  const problems = governedPolicyProblems(policy, keyholderIdentityKeys, vaultId, network);
  if (problems.length > 0) throw new ConclaveError('POLICY_RULES_INVALID', `${where}: ${problems.join('; ')}`, { problems });
  return policy as GovernedPolicy;
}
