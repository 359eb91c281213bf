/**
 * Every route declares what it needs (issue 5); the global AccessGuard enforces it, and a
 * route without a declaration is refused outright, so a new route can never be open by
 * omission (test/api/role-matrix.test.ts lists every route with its expectation).
 *
 * Needs, from least to most:
 *  - public:  anyone (health, info, sign-in, member.join).
 *  - read:    a member's session, or an API token (a `propose` token reads only the withdrawals
 *             it proposed, on routes that name the withdrawal by `ownWithdrawal`).
 *  - session: a member's session only (their tokens, passkey registration, sign-out).
 *  - token-propose: an API token of scope `propose` (the token proposal route).
 *  - member, grant, propose, approve, sign, govern, act, administer, oversee: a member acting by a signed statement in the
 *             body (or, failing one, their session); the roles that may are in NEED_ROLES.
 *             Tokens never may.
 */
import { SetMetadata } from '@nestjs/common';
import type { Role } from './roles';

export type Need = 'public' | 'read' | 'session' | 'token-propose' | MemberNeed;
export type MemberNeed = 'member' | 'grant' | 'propose' | 'approve' | 'sign' | 'govern' | 'act' | 'administer' | 'oversee';

/**
 * The roles that may act under each member need. A member with no role at all (joined, in no
 * vault yet) passes the gate, and the service answers for the vault at hand (NOT_A_MEMBER): the
 * gate refuses only what a role rules out, such as an auditor, who changes nothing.
 */
export const NEED_ROLES: Record<MemberNeed, readonly Role[]> = {
  /** Setting up vaults and keys. */
  member: ['admin', 'initiator', 'approver', 'keyholder'],
  /** Granting and revoking one's own API tokens: an auditor may grant a read token for exports. */
  grant: ['admin', 'initiator', 'approver', 'auditor', 'keyholder'],
  propose: ['admin', 'initiator', 'keyholder'],
  approve: ['admin', 'approver', 'keyholder'],
  sign: ['keyholder'],
  govern: ['admin', 'approver', 'keyholder'],
  /** Cancelling, fee-bumping and retrying the refused broadcast of a withdrawal. */
  act: ['admin', 'initiator', 'approver', 'keyholder'],
  /**
   * Registering and disabling webhook endpoints: admins of a governed vault, and keyholders, as a
   * simple vault has no other administrators (server/webhooks checks the vaults at hand).
   */
  administer: ['admin', 'keyholder'],
  /** Reading webhook endpoints and their delivery logs: administrators, and auditors. */
  oversee: ['admin', 'auditor', 'keyholder'],
};

export interface AccessOptions {
  /** Route parameter naming a withdrawal a `propose` token may read if it proposed it. */
  ownWithdrawal?: string;
  /** Where the signed statement sits in the body, when it is not the body itself. */
  statementOf?: (body: unknown) => unknown;
  /** An enrolment link's session may call it (passkey registration, sign-out); no other route. */
  enrolment?: boolean;
}

export interface AccessRule extends AccessOptions { need: Need }

export const MEMBER_NEEDS: ReadonlySet<Need> = new Set<Need>(Object.keys(NEED_ROLES) as MemberNeed[]);

export const ACCESS_METADATA = 'conclave:access';

export const Access = (need: Need, options: AccessOptions = {}) => SetMetadata(ACCESS_METADATA, { need, ...options } satisfies AccessRule);
