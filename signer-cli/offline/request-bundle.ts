/**
 * The signing-request bundle (`offline export` writes it on the online side, `offline sign`
 * reads it on the offline machine): everything the offline signer needs to run exactly the
 * checks `listen` runs, and nothing it would have to ask a coordinator for.
 *
 *   { format: "conclave/offline-signing-request", v: 1, vaultId, withdrawalId, exportedAt,
 *     withdrawal: <GET /api/v1/withdrawals/:id: intent, signed proposal, approvals, PSBT with
 *                  full previous transactions, signatures so far>,
 *     frost: <GET /api/v1/withdrawals/:id/frost for a FROST vault (sessions with the signed
 *             commitments of round 2), else null>,
 *     hash }
 *
 * Everything in it is as untrusted as the coordinator's answers online: it is parsed with the
 * same schemas and the signer verifies the withdrawal against its own pin (documents.ts).
 */
import { z } from 'zod';
import { idSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { frostSigningViewSchema, withdrawalViewSchema, type FrostSigningViewParsed, type WithdrawalViewParsed } from '../coordinator/views';
import { checkEnvelopeFields, type DocumentCodes, documentText, parseDocumentJson, readDocumentFile, serializeDocument } from './documents';

export const REQUEST_FORMAT = 'conclave/offline-signing-request';
export const REQUEST_VERSION = 1;
const REQUEST_HASH_TAG = 'Conclave/offline/request';
const WHAT = 'signing-request bundle';
const CODES: DocumentCodes = { invalid: 'OFFLINE_BUNDLE_INVALID', truncated: 'OFFLINE_BUNDLE_TRUNCATED' };

const requestSchema = z.object({
  format: z.literal(REQUEST_FORMAT),
  v: z.literal(REQUEST_VERSION),
  vaultId: idSchema,
  withdrawalId: idSchema,
  exportedAt: z.iso.datetime(),
  withdrawal: withdrawalViewSchema,
  frost: frostSigningViewSchema.nullable(),
  hash: z.string(),
}).strict();

export interface SigningRequest {
  vaultId: string;
  withdrawalId: string;
  exportedAt: string;
  withdrawal: WithdrawalViewParsed;
  frost: FrostSigningViewParsed | null;
}

export function encodeRequest(request: SigningRequest): string {
  return serializeDocument(REQUEST_HASH_TAG, {
    format: REQUEST_FORMAT, v: REQUEST_VERSION, vaultId: request.vaultId, withdrawalId: request.withdrawalId, exportedAt: request.exportedAt,
    withdrawal: request.withdrawal, frost: request.frost,
  });
}

/** A bundle's text (JSON, or UR parts one per line), checked: format, completeness, hash, shape, consistency. */
export function decodeRequest(text: string): SigningRequest {
  const doc = parseDocumentJson(documentText(text, WHAT, CODES), WHAT, CODES);
  checkEnvelopeFields(doc, { format: REQUEST_FORMAT, version: REQUEST_VERSION, tag: REQUEST_HASH_TAG }, WHAT, CODES);
  const parsed = requestSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConclaveError('OFFLINE_BUNDLE_INVALID', `${WHAT}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const { vaultId, withdrawalId, exportedAt, withdrawal, frost } = parsed.data;
  if (withdrawal.id !== withdrawalId || withdrawal.vaultId !== vaultId) {
    throw new ConclaveError('OFFLINE_BUNDLE_INVALID', `${WHAT}: names withdrawal ${withdrawalId} of vault ${vaultId} but carries ${withdrawal.id} of vault ${withdrawal.vaultId}`);
  }
  if (frost !== null && (frost.withdrawalId !== withdrawalId || frost.sessions.some((s) => s.withdrawalId !== withdrawalId))) {
    throw new ConclaveError('OFFLINE_BUNDLE_INVALID', `${WHAT}: its FROST rounds are for another withdrawal than ${withdrawalId}`);
  }
  return { vaultId, withdrawalId, exportedAt, withdrawal, frost };
}

export function readRequestFile(path: string): SigningRequest {
  return decodeRequest(readDocumentFile(path, WHAT, CODES));
}
