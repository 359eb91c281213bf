/**
 * The pinned membership of a vault (DESIGN.md, root of trust): each member's identity key
 * (BIP340 x-only, the key of their signed envelopes), their passkeys, and the groups they
 * belong to. Groups are what policy quorums count ("2 from approvers + 1 from admins"); a
 * member may be in several. The set carries a revision that every accepted change raises, so
 * its hash never repeats: a change made for an earlier membership can never apply again, even
 * after the members return to what they were (an add, a remove, then the old add replayed).
 */
import { z } from 'zod';
import { identityKeySchema } from '../schemas';
import { canonicalBytes } from '../canonical-json';
import { taggedHashHex } from '../hashing';

/** Conventional group names (DESIGN.md, people); a policy may name others. */
export const GROUPS = {
  admins: 'admins',
  initiators: 'initiators',
  approvers: 'approvers',
  keyholders: 'keyholders',
  auditors: 'auditors',
} as const;

export const MAX_MEMBERS = 64;
export const MAX_REVISION = 2 ** 31 - 1;

export const groupNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected a group name: lowercase letters, digits and dashes');
const base64url = (max: number) => z.string().min(16).max(max).regex(/^[A-Za-z0-9_-]+$/, 'expected base64url');
const memberName = z.string().min(1).max(80)
  .refine((s) => s.trim() === s && !s.includes('\u0000'), 'must not start or end with spaces, nor contain NUL');

/** A WebAuthn credential the member signs in and approves with (verified by its own module). */
export const passkeySchema = z.object({
  credentialId: base64url(1366),
  /** COSE public key, base64url. */
  publicKey: base64url(1024),
}).strict();

export const memberSchema = z.object({
  identityKey: identityKeySchema,
  name: memberName,
  /** Sorted and unique, so one membership has one hash. */
  groups: z.array(groupNameSchema).min(1).max(8),
  passkeys: z.array(passkeySchema).max(8).optional(),
}).strict();
export type Member = z.infer<typeof memberSchema>;

export const memberSetSchema = z.object({
  revision: z.number().int().min(0).max(MAX_REVISION),
  members: z.array(memberSchema).min(1).max(MAX_MEMBERS),
}).strict();
export type MemberSet = z.infer<typeof memberSetSchema>;

export const MEMBER_SET_HASH_TAG = 'Conclave/policy-engine/members';

export function memberSetHash(set: MemberSet): string {
  return taggedHashHex(MEMBER_SET_HASH_TAG, canonicalBytes(set));
}

export function findMember(set: MemberSet, identityKey: string): Member | undefined {
  return set.members.find((m) => m.identityKey === identityKey);
}

export function inGroup(member: Member | undefined, group: string): boolean {
  return member !== undefined && member.groups.includes(group);
}

export function sortedGroups(groups: readonly string[]): string[] {
  return [...new Set(groups)].sort();
}

/** What the schema cannot say: unique keys and passkeys, canonical group lists. */
export function memberSetProblems(set: MemberSet): string[] {
  const problems: string[] = [];
  const keys = new Set<string>();
  const credentials = new Set<string>();
  set.members.forEach((member, i) => {
    const where = `members[${i}]`;
    if (keys.has(member.identityKey)) problems.push(`${where}: identity key ${member.identityKey} belongs to two members`);
    keys.add(member.identityKey);
    if (sortedGroups(member.groups).join() !== member.groups.join()) problems.push(`${where}.groups: must be sorted and unique`);
    for (const passkey of member.passkeys ?? []) {
      if (credentials.has(passkey.credentialId)) problems.push(`${where}.passkeys: credential ${passkey.credentialId} is registered twice`);
      credentials.add(passkey.credentialId);
    }
  });
  return problems;
}
