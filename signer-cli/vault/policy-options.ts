/**
 * The policy a new vault is formed with, from the command line of `vault create`, `setup open`
 * and `frost open`: the simple policy (version 1) from --approvals, --max-fee and --max-fee-rate,
 * or a governed policy (version 2, issue 5) from --policy-file, a JSON file
 * `{ "rules": PolicyRules, "members": [{ identityKey, name, groups, passkeys? }] }`. The governed
 * policy starts with members at revision 0 and an empty address book, and must have no problem
 * at all for these keyholders (protocol/policy-engine/vault-formation.ts) before anyone signs it.
 */
import { readFileSync } from 'node:fs';
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import { DEFAULT_POLICY, POLICY_VERSION, type VaultPolicy, vaultPolicySchema } from '../../protocol/policy';
import { assertGovernedPolicy, governedPolicyFromFile, governedPolicyProblems } from '../../protocol/policy-engine/vault-formation';
import { parseArg, parseCount } from '../validate';

export interface PolicyOptions {
  approvals?: string;
  maxFee?: string;
  maxFeeRate?: string;
  policyFile?: string;
}

/** Stands in for the vault id a governed policy is checked under before the coordinator assigned one. */
const NEW_VAULT = 'new vault';

/**
 * `keyholders`: identity keys of the vault's keyholders when known (vault create, frost open);
 * a number when only their count is (setup open: the keys arrive with the key records, and the
 * check is made again at setup finish and by every keyholder when pinning).
 */
export function policyFromOptions(options: PolicyOptions, keyholders: readonly string[] | number, network: NetworkName): VaultPolicy {
  const count = typeof keyholders === 'number' ? keyholders : keyholders.length;
  if (options.policyFile === undefined) {
    return parseArg(vaultPolicySchema, {
      version: POLICY_VERSION,
      requiredApprovals: parseCount(options.approvals ?? String(DEFAULT_POLICY.requiredApprovals), '--approvals', 0, count - 1),
      maxFeeSats: options.maxFee ?? DEFAULT_POLICY.maxFeeSats,
      maxFeeRate: options.maxFeeRate ?? DEFAULT_POLICY.maxFeeRate,
    }, '--approvals/--max-fee/--max-fee-rate');
  }
  const simple = [['--approvals', options.approvals], ['--max-fee', options.maxFee], ['--max-fee-rate', options.maxFeeRate]].filter(([, v]) => v !== undefined).map(([o]) => o);
  if (simple.length > 0) {
    throw new ConclaveError('VALIDATION_FAILED', `${simple.join(', ')}: not with --policy-file, whose rules set the approvals and the fee caps`);
  }
  const policy = governedPolicyFromFile(readJson(options.policyFile), `--policy-file ${options.policyFile}`);
  if (typeof keyholders !== 'number') return assertGovernedPolicy(policy, keyholders, NEW_VAULT, network, `--policy-file ${options.policyFile}`);
  // Only the count is known: the policy itself must hold, and its keyholders group be that large.
  const inGroup = policy.members.members.filter((m) => m.groups.includes('keyholders')).map((m) => m.identityKey);
  const problems = governedPolicyProblems(policy, inGroup, NEW_VAULT, network);
  if (inGroup.length !== count) problems.push(`members: ${inGroup.length} in group "keyholders", but the vault has ${count} keyholders`);
  if (problems.length > 0) throw new ConclaveError('POLICY_RULES_INVALID', `--policy-file ${options.policyFile}: ${problems.join('; ')}`, { problems });
  return policy;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConclaveError('VALIDATION_FAILED', `--policy-file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ConclaveError('VALIDATION_FAILED', `--policy-file: ${file} is not valid JSON`);
  }
}
