/**
 * The coordinator's relay for FROST signing rounds (issue 4, points 4-6): the wire contract
 * between `signer-cli listen` and `server/frost-signing`. A FROST withdrawal goes through the
 * same lifecycle, intent and verification as a multisig one; only `signing` differs.
 *
 * Round 1: every keyholder whose signer verified the withdrawal commits to fresh nonces, one
 * pair per input, in a signed `frost.sign.commit` statement naming a random commitment id.
 * The coordinator picks a signing set of at least t keyholders from the unused commitments
 * and opens a session. Round 2: each keyholder in the set checks the session
 * (signing-package.ts), durably marks its nonces spent, and only then sends its shares in a
 * signed `frost.sign.share` statement. The coordinator verifies every share, names a bad
 * one and retries with another set, or aggregates and finalizes the transaction.
 *
 * Routes (all JSON):
 * - `POST /api/v1/withdrawals/:id/frost/commitments`   body: `frost.sign.commit` envelope -> FrostSigningView
 * - `GET  /api/v1/withdrawals/:id/frost`                                                -> FrostSigningView
 * - `POST /api/v1/withdrawals/:id/frost/sessions/:sessionId/shares`  body: `frost.sign.share` envelope -> FrostSigningView
 * Pushed over WebSocket to the vault's keyholders: `frost.session` {vaultId, withdrawalId, sessionId}, and
 * `frost.retry` {vaultId, withdrawalId} when a session failed (a named bad share, a time-out) and
 * no other could form: keyholders with no unused commitment then commit fresh nonces.
 */
import { z } from 'zod';
import { hash256Schema, idSchema, txidSchema } from '../api';
import type { Envelope } from '../envelope';
import { hexBytes } from './dkg-params';

export const FROST_SIGN_MESSAGE_TYPES = {
  commit: 'frost.sign.commit',
  share: 'frost.sign.share',
} as const;

export const COMMITMENT_ID_BYTES = 16;
/** Inputs per withdrawal a FROST session carries, as for PSBTs the coordinator builds. */
export const MAX_FROST_INPUTS = 10_000;

const point = hexBytes(33);

export const inputCommitmentSchema = z.object({
  input: z.number().int().min(0).max(MAX_FROST_INPUTS - 1),
  hiding: point,
  binding: point,
}).strict();

/** Round 1: one keyholder's nonce commitments for every input of one withdrawal's transaction. */
export const frostCommitBodySchema = z.object({
  withdrawalId: idSchema,
  vaultId: idSchema,
  intentHash: hash256Schema,
  unsignedTxid: txidSchema,
  /** Random; names the stored nonces, so the signer can tell its own commitments apart. */
  commitmentId: hexBytes(COMMITMENT_ID_BYTES),
  /** In input order, one per input. */
  inputs: z.array(inputCommitmentSchema).min(1).max(MAX_FROST_INPUTS),
}).strict();
export type FrostCommitBody = z.infer<typeof frostCommitBodySchema>;

export const inputShareSchema = z.object({
  input: z.number().int().min(0).max(MAX_FROST_INPUTS - 1),
  share: hexBytes(32),
}).strict();

/** Round 2: one keyholder's signature shares for every input, for one session. */
export const frostShareBodySchema = z.object({
  withdrawalId: idSchema,
  sessionId: idSchema,
  intentHash: hash256Schema,
  unsignedTxid: txidSchema,
  commitmentId: hexBytes(COMMITMENT_ID_BYTES),
  shares: z.array(inputShareSchema).min(1).max(MAX_FROST_INPUTS),
}).strict();
export type FrostShareBody = z.infer<typeof frostShareBodySchema>;

export type FrostSessionState = 'signing' | 'complete' | 'failed';

/** A signing session as the coordinator serves it: the set, and each member's signed commitments. */
export interface FrostSessionView {
  sessionId: string;
  withdrawalId: string;
  state: FrostSessionState;
  /** Identity keys of the signing set, in FROST identifier order. */
  signers: string[];
  /** The signed `frost.sign.commit` statement of each signer, in the same order. */
  commits: Array<Envelope<FrostCommitBody>>;
  /** Identity keys whose shares are in. */
  sharesFrom: string[];
  /** Why the session failed: the keyholder whose share did not verify, or a time-out. */
  failure: { code: string; message: string; identityKey: string | null } | null;
  createdAt: string;
}

export interface FrostSigningView {
  withdrawalId: string;
  /** Identity keys with an unused commitment waiting for a session. */
  waiting: string[];
  /** Oldest first; at most one is `signing` at a time. */
  sessions: FrostSessionView[];
}
