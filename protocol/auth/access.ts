/**
 * Who may do what through the coordinator's REST API (issue 5): members act by signed
 * statements (identity-key envelopes from signer-cli, passkey assertions from the web) and
 * read through a session; automation acts through an API token with one scope.
 *
 * A token can never approve, sign, cancel or change anything: `propose` may propose
 * withdrawals (and follow the ones it proposed), `read` may only read. Tokens expire, and a
 * member revokes them with a signed `token.revoke`.
 */
import { z } from 'zod';
import { hash256Schema, identityKeySchema, nameSchema } from '../schemas';

export const TOKEN_SCOPES = ['read', 'propose'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Longest a token may live: automation credentials are rotated, never eternal. */
export const MAX_TOKEN_LIFETIME_DAYS = 90;
/** Longest a sign-in session lasts before the member signs in again. */
export const SESSION_LIFETIME_SECONDS = 12 * 3600;
/**
 * How long a passkey enrolment link lives. The link carries a session secret to a browser, so
 * it is short-lived, ends with the first registration, and opens nothing but registration.
 */
export const ENROLMENT_LINK_SECONDS = 600;

/** Body of `session.open`: sign-in with the identity key, bound to one coordinator. */
export const sessionOpenSchema = z.object({
  /** The coordinator's key (GET /api/v1/info), so the statement opens a session there only. */
  coordinatorKey: identityKeySchema,
  /**
   * `passkey-enrolment`: a session only for registering one passkey in a browser
   * (`signer-cli passkey link`); absent: an ordinary sign-in session.
   */
  purpose: z.literal('passkey-enrolment').optional(),
}).strict();
export type SessionOpen = z.infer<typeof sessionOpenSchema>;

/**
 * Body of `token.create`, signed by the member the token acts for. The secret is made on the
 * member's machine and only its hash is signed and stored, so the grant names exactly one
 * secret and the coordinator's database never holds a usable token.
 */
export const tokenCreateSchema = z.object({
  name: nameSchema,
  scope: z.enum(TOKEN_SCOPES),
  /** SHA-256 of the token secret (lowercase hex). */
  secretHash: hash256Schema,
  expiresAt: z.iso.datetime({ precision: 3 }),
}).strict();
export type TokenCreate = z.infer<typeof tokenCreateSchema>;

export const tokenRevokeSchema = z.object({
  /** Id of the token: the secret hash. */
  tokenId: hash256Schema,
}).strict();
export type TokenRevoke = z.infer<typeof tokenRevokeSchema>;

/**
 * Evidence of a withdrawal proposed through an API token (the `proposal` a signer receives
 * in place of a member's `withdrawal.propose` envelope): the member's signed `token.create`
 * grant with scope `propose`, and the coordinator's signed `withdrawal.propose-by-token`
 * statement whose body is `{ intent, tokenId }`. The proposer is the member who granted the
 * token; since the coordinator signed the proposal time, a signer measures a tier's delay
 * from the later of that time and the earliest counted approval (people sign approvals).
 */
export const tokenProposalSchema = z.object({
  format: z.literal('token'),
  grant: z.unknown(),
  statement: z.unknown(),
}).strict();
export type TokenProposal = z.infer<typeof tokenProposalSchema>;
export const tokenProposalStatementSchema = z.object({ intent: z.unknown(), tokenId: hash256Schema }).strict();
