/**
 * The coordinator's relay for a FROST key generation (issue 4, point 1): the wire contract
 * between `signer-cli frost ...` and `server/frost-setups`. The coordinator stores and
 * forwards what the participants sign; it can check every signature and shape (all public),
 * but never sees a share: round-2 messages are sealed to their recipients.
 *
 * Routes (all JSON):
 * - `POST /api/v1/frost-setups`                      body: `frost.setup.open` envelope  -> FrostSetupView (201)
 * - `GET  /api/v1/frost-setups/:setupId`                                                -> FrostSetupView
 * - `POST /api/v1/frost-setups/:setupId/round1`      body: one `frost.dkg.round1` message -> FrostSetupView
 * - `POST /api/v1/frost-setups/:setupId/round2`      body: FrostRound2Submission         -> FrostSetupView
 * - `GET  /api/v1/frost-setups/:setupId/round2/:recipient`  -> Round2Message[] sealed to that identity key
 * - `POST /api/v1/frost-setups/:setupId/confirm`     body: one `frost.dkg.confirm` message -> FrostSetupView
 */
import { z } from 'zod';
import { identityKeySchema, idSchema } from '../api';
import type { Envelope } from '../envelope';
import type { DkgCertificate } from './dkg-certificate';
import type { ConfirmationMessage, Round1Message, Round2Message } from './dkg-messages';
import { frostSetupParamsSchema, FROST_MAX_PARTICIPANTS, hexBytes, SETUP_ID_BYTES, type FrostSetupParams } from './dkg-params';

export const FROST_SETUP_OPEN = 'frost.setup.open';

/** What the opening keyholder signs: the params (which carry the vault's name and policy) and a deadline. */
export const frostSetupOpenSchema = z.object({
  params: frostSetupParamsSchema,
  /** After this, by the coordinator's clock and every participant's, the setup is dead. */
  expiresAt: z.iso.datetime(),
}).strict();
export type FrostSetupOpen = z.infer<typeof frostSetupOpenSchema>;

/** One sender's round-2 messages, one sealed to each other participant, posted together. */
export const frostRound2SubmissionSchema = z.object({
  messages: z.array(z.unknown()).min(1).max(FROST_MAX_PARTICIPANTS - 1),
}).strict();
export type FrostRound2Submission = { messages: Round2Message[] };

export const FROST_SETUP_STATES = ['round1', 'round2', 'confirming', 'complete', 'aborted', 'expired'] as const;
export type FrostSetupState = (typeof FROST_SETUP_STATES)[number];

export interface FrostSetupView {
  setupId: string;
  state: FrostSetupState;
  params: FrostSetupParams;
  paramsHash: string;
  /** The opener's signed `frost.setup.open` statement: a participant checks it before round 1. */
  openEnvelope: Envelope<FrostSetupOpen>;
  expiresAt: string;
  /** Every round-1 message received, in participant order of arrival. */
  round1: Round1Message[];
  /** Identity keys of the participants whose round-2 messages are all in. */
  round2Senders: string[];
  confirmations: ConfirmationMessage[];
  /** Set when all n confirmations agree; the coordinator verified it, and so does each signer. */
  certificate: DkgCertificate | null;
  /** The vault made from the certificate (state `complete`). */
  vaultId: string | null;
  /** Why the setup stopped (state `aborted`), e.g. an equivocation naming the participant. */
  abort: { code: string; message: string } | null;
  createdAt: string;
}

export const frostSetupIdSchema = hexBytes(SETUP_ID_BYTES);
export const frostRecipientSchema = identityKeySchema;
export const frostVaultIdSchema = idSchema;
