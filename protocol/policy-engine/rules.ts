/**
 * Versioned policy rule sets (DESIGN.md, "Policy"; issue 5): the rules every signer pins with
 * its vault and enforces itself. Format 2 succeeds the minimal `VaultPolicy` (protocol/policy.ts)
 * and adds amount tiers with approvals by group and delays, rolling velocity limits, the
 * address book's quorum, cooling-off and expiry, and the quorums and delays that changes to
 * the policy, the members and the address book need.
 *
 * Intents name the rule set by `policyRulesHash`, a BIP340 tagged hash of its RFC 8785 form;
 * `version` counts the rule sets of a vault (each accepted change adds one), so a rule set
 * from before a change is never accepted again.
 */
import { z } from 'zod';
import { feeCapRateSchema, feeCapSatsSchema, satsSchema } from '../schemas';
import { canonicalBytes } from '../canonical-json';
import { taggedHashHex } from '../hashing';
import { MAX_REVISION, groupNameSchema } from './members';
import { durationSchema } from './time';

export const POLICY_RULES_FORMAT = 2;
export const POLICY_RULES_HASH_TAG = 'Conclave/policy-rules';
/** No quorum asks for more distinct people than a vault can have keyholders. */
export const MAX_QUORUM_SIZE = 15;

/**
 * Approvals by group: `[{ group: 'approvers', count: 2 }, { group: 'admins', count: 1 }]` means
 * three distinct people, two of them approvers and one an admin. One person fills one seat,
 * even when in several groups.
 */
export const quorumSchema = z.array(z.object({
  group: groupNameSchema,
  count: z.number().int().min(1).max(MAX_QUORUM_SIZE),
}).strict()).max(8);
export type Quorum = z.infer<typeof quorumSchema>;
/** A change always needs at least one approval besides its proposer's: two people at least. */
const changeQuorumSchema = quorumSchema.min(1);

export const tierSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'expected a short tier name'),
  /** Highest total paid out (sats, inclusive) in this tier; only the last tier may omit it. */
  upToSats: satsSchema.optional(),
  /** Approvals besides the proposer's (who never counts). Empty: the keyholders' signatures alone. */
  approvals: quorumSchema,
  /** Wait after the signed proposal time before anyone signs. */
  delaySeconds: durationSchema,
}).strict();
export type Tier = z.infer<typeof tierSchema>;

export const velocityLimitSchema = z.object({
  /** Rolling window: what this signer signed in the last `windowSeconds` counts. */
  windowSeconds: durationSchema.min(60),
  /** Highest total paid out within any such window, this withdrawal included (sats, inclusive). */
  capSats: satsSchema,
}).strict();
export type VelocityLimit = z.infer<typeof velocityLimitSchema>;

const changeRuleSchema = z.object({ quorum: changeQuorumSchema, delaySeconds: durationSchema }).strict();

export const policyRulesSchema = z.object({
  format: z.literal(POLICY_RULES_FORMAT),
  /** 1 for the rule set pinned with the vault; each accepted policy change adds one. */
  version: z.number().int().min(1).max(MAX_REVISION),
  maxFeeSats: feeCapSatsSchema,
  maxFeeRate: feeCapRateSchema,
  withdrawals: z.object({
    /** Groups whose members may propose a withdrawal (an API token proposes as its member). */
    proposerGroups: z.array(groupNameSchema).min(1).max(8),
    /** By total paid out, ascending. */
    tiers: z.array(tierSchema).min(1).max(8),
    velocity: z.array(velocityLimitSchema).max(4),
  }).strict(),
  addressBook: z.object({
    /** Approvals an entry needs, besides its proposer's. */
    quorum: changeQuorumSchema,
    /** From the time the quorum was reached until the entry may be paid. */
    coolingOffSeconds: durationSchema,
    /** An entry unused (by this signer) for this long, counted from its last use or else its approval, expires. */
    expireAfterDisuseSeconds: durationSchema.min(1),
  }).strict(),
  changes: z.object({
    policy: changeRuleSchema,
    members: changeRuleSchema.extend({
      /**
       * More approvals when the member changed is in a group: a keyholder's key is replaced
       * only with the other keyholders' consent too. The member changed never approves.
       */
      whenSubjectIn: z.array(z.object({ group: groupNameSchema, quorum: changeQuorumSchema }).strict()).max(8),
    }).strict(),
  }).strict(),
}).strict();
export type PolicyRules = z.infer<typeof policyRulesSchema>;

export function policyRulesHash(policy: PolicyRules): string {
  return taggedHashHex(POLICY_RULES_HASH_TAG, canonicalBytes(policy));
}

export function quorumSize(quorum: Quorum): number {
  return quorum.reduce((sum, seat) => sum + seat.count, 0);
}

/** One quorum of both: seats of the same group add up. */
export function mergeQuorums(...quorums: Quorum[]): Quorum {
  const counts = new Map<string, number>();
  for (const seat of quorums.flat()) counts.set(seat.group, (counts.get(seat.group) ?? 0) + seat.count);
  return [...counts].map(([group, count]) => ({ group, count }));
}

export function describeQuorum(quorum: Quorum): string {
  if (quorum.length === 0) return 'no approval';
  return quorum.map((s) => `${s.count} from ${s.group}`).join(' + ');
}

/** The tier of a withdrawal paying `amount` in all, or null above the highest tier. */
export function tierFor(policy: PolicyRules, amount: bigint): { index: number; tier: Tier } | null {
  const index = policy.withdrawals.tiers.findIndex((t) => t.upToSats === undefined || amount <= BigInt(t.upToSats));
  return index < 0 ? null : { index, tier: policy.withdrawals.tiers[index]! };
}

/** What the schema cannot say about a rule set on its own; membership is checked in reachability.ts. */
export function policyRulesProblems(policy: PolicyRules): string[] {
  const problems: string[] = [];
  const quorum = (q: Quorum, where: string) => {
    const groups = q.map((s) => s.group);
    if (new Set(groups).size !== groups.length) problems.push(`${where}: names a group twice; give one count per group`);
    if (quorumSize(q) > MAX_QUORUM_SIZE) problems.push(`${where}: asks for ${quorumSize(q)} people, more than ${MAX_QUORUM_SIZE}`);
  };
  const { tiers, velocity, proposerGroups } = policy.withdrawals;
  if (new Set(proposerGroups).size !== proposerGroups.length) problems.push('withdrawals.proposerGroups: names a group twice');
  let previous = -1n;
  tiers.forEach((tier, i) => {
    const where = `withdrawals.tiers[${i}]`;
    if (tiers.findIndex((t) => t.name === tier.name) !== i) problems.push(`${where}.name: "${tier.name}" names two tiers`);
    quorum(tier.approvals, `${where}.approvals`);
    if (tier.upToSats === undefined) {
      if (i !== tiers.length - 1) problems.push(`${where}.upToSats: only the last tier may be unbounded`);
      return;
    }
    const upTo = BigInt(tier.upToSats);
    if (upTo <= previous) problems.push(`${where}.upToSats: ${upTo} is not above the previous tier's ${previous}`);
    previous = upTo;
  });
  const windows = velocity.map((v) => v.windowSeconds);
  if (new Set(windows).size !== windows.length) problems.push('withdrawals.velocity: two limits over the same window');
  const book = policy.addressBook;
  quorum(book.quorum, 'addressBook.quorum');
  if (book.expireAfterDisuseSeconds <= book.coolingOffSeconds) {
    problems.push('addressBook.expireAfterDisuseSeconds: must be longer than the cooling-off, or new entries expire before they can be used');
  }
  quorum(policy.changes.policy.quorum, 'changes.policy.quorum');
  quorum(policy.changes.members.quorum, 'changes.members.quorum');
  const subjects = policy.changes.members.whenSubjectIn;
  subjects.forEach((rule, i) => {
    const where = `changes.members.whenSubjectIn[${i}]`;
    if (subjects.findIndex((r) => r.group === rule.group) !== i) problems.push(`${where}.group: "${rule.group}" has two rules`);
    quorum(rule.quorum, `${where}.quorum`);
    quorum(mergeQuorums(policy.changes.members.quorum, rule.quorum), `${where}: with changes.members.quorum, it`);
  });
  return problems;
}
