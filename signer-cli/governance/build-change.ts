/**
 * `governance propose` options turned into a change (protocol/policy-engine/changes.ts) for the
 * pinned state: the right fields for the operation, the hash of the pinned part as its base,
 * and, for a new rule set, the next version number. Then the same checks applyChange will make
 * of the change itself, before anything is signed, so a keyholder never signs a change that
 * every signer would refuse.
 */
import { readFileSync } from 'node:fs';
import { ConclaveError } from '../../protocol/errors';
import {
  type ChangeOp, type ChangeProposal, type Member, type PinnedPolicyState, type PolicyRules,
  changeProposalSchema, memberSchema, partOf, passkeySchema, pinnedStateHashes, pinnedStateProblems,
} from '../../protocol/policy-engine';
import { applyOp, changeProblems } from '../../protocol/policy-engine/change-ops';
import { identityFingerprint } from '../../protocol/identity';
import { z } from 'zod';
import { parseArg } from '../validate';

export const CHANGE_OPS = [
  'address-book.add', 'address-book.remove', 'policy.replace', 'member.add', 'member.remove', 'member.set-groups', 'member.replace-credentials',
] as const satisfies readonly ChangeOp[];

export interface ChangeOptions {
  op: string;
  address?: string;
  label?: string;
  policyFile?: string;
  memberFile?: string;
  identityKey?: string;
  name?: string;
  groups?: string;
  newIdentityKey?: string;
  passkeyFile?: string;
  addPasskeyFile?: string;
  reason?: string;
}

const usage = (message: string) => new ConclaveError('VALIDATION_FAILED', message);

function readJson(file: string, option: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw usage(`${option}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw usage(`${option}: ${file} is not valid JSON`);
  }
}

function need(value: string | undefined, option: string, op: string): string {
  if (value === undefined || value === '') throw usage(`${option}: required with --op ${op}`);
  return value;
}

/** A member by identity key (64 hex) or by the name pinned for them. */
export function memberKey(state: PinnedPolicyState, ref: string, option: string): string {
  if (/^[0-9a-f]{64}$/.test(ref)) return ref;
  const named = state.members.members.filter((m) => m.name.toLowerCase() === ref.toLowerCase());
  if (named.length === 1) return named[0]!.identityKey;
  throw usage(`${option}: "${ref}" is ${named.length > 1 ? 'the name of several members' : 'neither an identity key (64 hex) nor the name of a pinned member'}; run "policy show <vaultId>" for the members`);
}

const groupList = (text: string) => text.split(',').map((g) => g.trim()).filter((g) => g !== '');

/** The rule set of --policy-file: a rule set itself, or a policy file `{ rules, members }` (its rules). */
function nextRules(state: PinnedPolicyState, file: string): PolicyRules {
  const json = readJson(file, '--policy-file');
  const rules = (json !== null && typeof json === 'object' && 'rules' in json ? (json as { rules: unknown }).rules : json) as Record<string, unknown> | null;
  if (rules === null || typeof rules !== 'object' || Array.isArray(rules)) throw usage('--policy-file: expected a rule set (format 2) or a policy file { rules, members }');
  const next = state.policy.version + 1;
  // The version counts rule sets: a file written from the pinned one (same version) or without one gets the next.
  const version = rules.version === undefined || rules.version === state.policy.version ? next : rules.version;
  if (version !== next) throw usage(`--policy-file: version ${String(rules.version)}, but the pinned rule set is version ${state.policy.version}, so the next is ${next}`);
  return { ...rules, version } as PolicyRules;
}

function memberFromOptions(options: ChangeOptions): Member {
  if (options.memberFile !== undefined) {
    const json = readJson(options.memberFile, '--member-file');
    return parseArg(memberSchema, json, '--member-file');
  }
  const op = 'member.add';
  return parseArg(memberSchema, {
    identityKey: need(options.identityKey, '--identity-key', op),
    name: need(options.name, '--name', op),
    groups: groupList(need(options.groups, '--groups', op)),
  }, 'member');
}

type Passkey = z.infer<typeof passkeySchema>;

/** Passkeys from a file: a list, or `{ passkeys: [...] }` (the enrolment page's passkey.json). */
function passkeysFrom(file: string, option: string): Passkey[] {
  const json = readJson(file, option);
  const list = Array.isArray(json) ? json : (json as { passkeys?: unknown } | null)?.passkeys;
  return parseArg(z.array(passkeySchema).max(8), list, option);
}

/** The member's pinned passkeys and the new ones; a passkey already pinned is refused, not repeated. */
function withAddedPasskeys(state: PinnedPolicyState, identityKey: string, added: Passkey[]): Passkey[] {
  const pinned = state.members.members.find((m) => m.identityKey === identityKey)?.passkeys ?? [];
  for (const passkey of added) {
    if (pinned.some((p) => p.credentialId === passkey.credentialId)) throw usage(`--add-passkey-file: passkey ${passkey.credentialId} is already pinned for this member`);
  }
  return [...pinned, ...added];
}

/** The change the options describe, for the pinned state; VALIDATION_FAILED naming the option at fault. */
export function buildChange(state: PinnedPolicyState, options: ChangeOptions): ChangeProposal {
  const op = options.op as ChangeOp;
  if (!(CHANGE_OPS as readonly string[]).includes(op)) throw usage(`--op: expected one of ${CHANGE_OPS.join(', ')}`);
  const common = { vaultId: state.vaultId, base: pinnedStateHashes(state)[partOf(op)], reason: options.reason ?? '' };
  let body: Record<string, unknown>;
  switch (op) {
    case 'address-book.add':
      body = { op, address: need(options.address, '--address', op), label: options.label ?? '' };
      break;
    case 'address-book.remove':
      body = { op, address: need(options.address, '--address', op) };
      break;
    case 'policy.replace':
      body = { op, policy: nextRules(state, need(options.policyFile, '--policy-file', op)) };
      break;
    case 'member.add':
      body = { op, member: memberFromOptions(options) };
      break;
    case 'member.remove':
      body = { op, identityKey: memberKey(state, need(options.identityKey, '--identity-key', op), '--identity-key') };
      break;
    case 'member.set-groups':
      body = { op, identityKey: memberKey(state, need(options.identityKey, '--identity-key', op), '--identity-key'), groups: groupList(need(options.groups, '--groups', op)) };
      break;
    case 'member.replace-credentials': {
      if (options.newIdentityKey === undefined && options.passkeyFile === undefined && options.addPasskeyFile === undefined) {
        throw usage('--new-identity-key/--passkey-file/--add-passkey-file: give at least one with --op member.replace-credentials');
      }
      if (options.passkeyFile !== undefined && options.addPasskeyFile !== undefined) throw usage('--passkey-file/--add-passkey-file: give one (replace all passkeys, or add to the pinned ones)');
      const identityKey = memberKey(state, need(options.identityKey, '--identity-key', op), '--identity-key');
      const passkeys = options.passkeyFile !== undefined ? passkeysFrom(options.passkeyFile, '--passkey-file')
        : options.addPasskeyFile !== undefined ? withAddedPasskeys(state, identityKey, passkeysFrom(options.addPasskeyFile, '--add-passkey-file')) : undefined;
      body = {
        op, identityKey,
        ...(options.newIdentityKey === undefined ? {} : { newIdentityKey: options.newIdentityKey }),
        ...(passkeys === undefined ? {} : { passkeys }),
      };
      break;
    }
  }
  return parseArg(changeProposalSchema, { ...common, ...body }, 'change');
}

/**
 * What applyChange would hold against the change itself (reviewChange's `problems`), checked
 * before signing: the proposer must be a pinned member, and the change must fit the pinned
 * state and lead to a state with no problem.
 */
export function changePreviewProblems(state: PinnedPolicyState, change: ChangeProposal, proposer: string): string[] {
  const problems: string[] = [];
  if (!state.members.members.some((m) => m.identityKey === proposer)) {
    problems.push(`proposal: you (${identityFingerprint(proposer)}) are not a pinned member of this vault's policy`);
  }
  problems.push(...changeProblems(state, change));
  if (problems.length === 0) {
    // The time only dates a new address-book entry, which no check here reads.
    const next = applyOp(state, change, '00'.repeat(32), new Date(0));
    problems.push(...pinnedStateProblems(next).map((p) => `the state after this change: ${p}`));
  }
  return problems;
}
