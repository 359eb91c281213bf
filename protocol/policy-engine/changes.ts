/**
 * Changes to the pinned policy state, as signed evidence (DESIGN.md, root of trust and
 * invariant 8): a member proposes a change in a `governance.propose` envelope, and members
 * approve it with `governance.approve` envelopes over its change id. The coordinator relays
 * both and can make neither.
 *
 * Every change names the vault and the hash of the part it changes (`base`): the rule set,
 * the members or the address book, as pinned when it was proposed. A change applies only to
 * exactly that state, so one proposed for an earlier state (an old policy presented later, a
 * replayed address-book addition) is refused. The message types belong with MESSAGE_TYPES in
 * api.ts once the engine is wired in.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { hash256Schema, idSchema, identityKeySchema } from '../schemas';
import { type Envelope, envelopeDigest } from '../envelope';
import { addressLabelSchema } from './address-book';
import { groupNameSchema, memberSchema, passkeySchema } from './members';
import { policyRulesSchema } from './rules';

export const GOVERNANCE_MESSAGE_TYPES = {
  /** Body: a `ChangeProposal`. */
  propose: 'governance.propose',
  /** Body: a `ChangeApproval`. */
  approve: 'governance.approve',
} as const;

const common = {
  vaultId: idSchema,
  /** Hash of the part changed, as pinned when proposed: policyRulesHash, memberSetHash or addressBookHash. */
  base: hash256Schema,
  /** Why, for the approvers and the audit log. */
  reason: z.string().max(200).refine((s) => !s.includes('\u0000'), 'must not contain NUL (U+0000)'),
};

export const changeProposalSchema = z.discriminatedUnion('op', [
  /** The new rule set; its `version` MUST be the pinned one's plus one. */
  z.object({ ...common, op: z.literal('policy.replace'), policy: policyRulesSchema }).strict(),
  z.object({ ...common, op: z.literal('address-book.add'), address: z.string().min(1).max(100), label: addressLabelSchema }).strict(),
  z.object({ ...common, op: z.literal('address-book.remove'), address: z.string().min(1).max(100) }).strict(),
  z.object({ ...common, op: z.literal('member.add'), member: memberSchema }).strict(),
  z.object({ ...common, op: z.literal('member.remove'), identityKey: identityKeySchema }).strict(),
  z.object({ ...common, op: z.literal('member.set-groups'), identityKey: identityKeySchema, groups: z.array(groupNameSchema).min(1).max(8) }).strict(),
  /**
   * A lost or stolen identity key or passkey replaced (there is no support-desk reset): the
   * member keeps their groups; whatever is given replaces what was pinned.
   */
  z.object({
    ...common,
    op: z.literal('member.replace-credentials'),
    identityKey: identityKeySchema,
    newIdentityKey: identityKeySchema.optional(),
    passkeys: z.array(passkeySchema).max(8).optional(),
  }).strict().refine((c) => c.newIdentityKey !== undefined || c.passkeys !== undefined, { message: 'give newIdentityKey, passkeys or both' }),
]);
export type ChangeProposal = z.infer<typeof changeProposalSchema>;
export type ChangeOp = ChangeProposal['op'];

export const changeApprovalSchema = z.object({
  vaultId: idSchema,
  changeId: hash256Schema,
}).strict();
export type ChangeApproval = z.infer<typeof changeApprovalSchema>;

/** Which part of the pinned state an operation changes, and so which hash its `base` names. */
export type StatePart = 'policy' | 'members' | 'addressBook';

export function partOf(op: ChangeOp): StatePart {
  if (op === 'policy.replace') return 'policy';
  return op.startsWith('address-book.') ? 'addressBook' : 'members';
}

/**
 * The id approvals name: the signed digest of the proposal envelope, so it binds the body,
 * the proposer, the time and the nonce; the same body proposed twice gets two ids.
 */
export function changeId(proposal: Envelope): string {
  return bytesToHex(envelopeDigest(proposal));
}
