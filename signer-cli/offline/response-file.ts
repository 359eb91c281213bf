/**
 * The offline signer's answer (`offline sign` writes it, `offline submit` posts it): the signed
 * statements an online signer would have posted, exactly as made, each one checked before it
 * leaves the online machine and again by the coordinator like any other.
 *
 *   { format: "conclave/offline-signing-response", v: 1, vaultId, withdrawalId, signer,
 *     signedAt, statements: [ `withdrawal.signature` (multisig), or for FROST the round-1
 *     `frost.sign.commit` or the round-2 `frost.sign.share` envelope ], hash }
 *
 * Each statement goes to the route its type and body name (never a path read from the file).
 */
import { z } from 'zod';
import { identityKeySchema, idSchema, MESSAGE_TYPES, withdrawalSignatureSchema } from '../../protocol/api';
import { type Envelope, envelopeSchema, verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import { FROST_SIGN_MESSAGE_TYPES, frostCommitBodySchema, frostShareBodySchema } from '../../protocol/frost';
import { checkEnvelopeFields, type DocumentCodes, documentText, parseDocumentJson, readDocumentFile, serializeDocument } from './documents';

export const RESPONSE_FORMAT = 'conclave/offline-signing-response';
export const RESPONSE_VERSION = 1;
const RESPONSE_HASH_TAG = 'Conclave/offline/response';
const WHAT = 'offline signing response';
const CODES: DocumentCodes = { invalid: 'OFFLINE_RESPONSE_INVALID', truncated: 'OFFLINE_BUNDLE_TRUNCATED' };

/** The statement types an offline signer answers with, and the body schema of each. */
const STATEMENT_BODIES = {
  [MESSAGE_TYPES.withdrawalSignature]: withdrawalSignatureSchema,
  [FROST_SIGN_MESSAGE_TYPES.commit]: frostCommitBodySchema,
  [FROST_SIGN_MESSAGE_TYPES.share]: frostShareBodySchema,
} as const;
export type StatementType = keyof typeof STATEMENT_BODIES;

const responseSchema = z.object({
  format: z.literal(RESPONSE_FORMAT),
  v: z.literal(RESPONSE_VERSION),
  vaultId: idSchema,
  withdrawalId: idSchema,
  signer: identityKeySchema,
  signedAt: z.iso.datetime(),
  statements: z.array(envelopeSchema).min(1).max(4),
  hash: z.string(),
}).strict();

export interface SigningResponse {
  vaultId: string;
  withdrawalId: string;
  signer: string;
  signedAt: string;
  statements: Envelope[];
}

export function encodeResponse(response: SigningResponse): string {
  return serializeDocument(RESPONSE_HASH_TAG, { format: RESPONSE_FORMAT, v: RESPONSE_VERSION, ...response });
}

/**
 * A response's text (JSON, or UR parts), checked: format, completeness, hash, shape, and every
 * statement: a known type, signed by `signer` (signature verified), about this withdrawal.
 */
export function decodeResponse(text: string): SigningResponse {
  const doc = parseDocumentJson(documentText(text, WHAT, CODES), WHAT, CODES);
  checkEnvelopeFields(doc, { format: RESPONSE_FORMAT, version: RESPONSE_VERSION, tag: RESPONSE_HASH_TAG }, WHAT, CODES);
  const parsed = responseSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConclaveError('OFFLINE_RESPONSE_INVALID', `${WHAT}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const { vaultId, withdrawalId, signer, signedAt, statements } = parsed.data;
  statements.forEach((statement, i) => checkStatement(statement, i, { withdrawalId, vaultId, signer }));
  return { vaultId, withdrawalId, signer, signedAt, statements: statements as Envelope[] };
}

export function readResponseFile(path: string): SigningResponse {
  return decodeResponse(readDocumentFile(path, WHAT, CODES));
}

function checkStatement(statement: z.infer<typeof envelopeSchema>, i: number, expected: { withdrawalId: string; vaultId: string; signer: string }): void {
  const where = `${WHAT}: statements[${i}]`;
  const bodySchema = STATEMENT_BODIES[statement.type as StatementType] as z.ZodType | undefined;
  if (bodySchema === undefined) throw new ConclaveError('OFFLINE_RESPONSE_INVALID', `${where}: a ${statement.type} statement is not an offline signer's answer`);
  if (statement.signer !== expected.signer) throw new ConclaveError('OFFLINE_RESPONSE_INVALID', `${where}: signed by ${statement.signer}, not by the response's signer ${expected.signer}`);
  // The signature only here; its time is the coordinator's to judge (offline clocks drift).
  verifyEnvelope(statement, { now: new Date(0), expectedType: statement.type, checkTime: false });
  const body = bodySchema.safeParse(statement.body);
  if (!body.success) {
    const issue = body.error.issues[0];
    throw new ConclaveError('OFFLINE_RESPONSE_INVALID', `${where}.body.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const about = body.data as { withdrawalId: string; vaultId?: string };
  if (about.withdrawalId !== expected.withdrawalId || (about.vaultId !== undefined && about.vaultId !== expected.vaultId)) {
    throw new ConclaveError('OFFLINE_RESPONSE_INVALID', `${where}: is about withdrawal ${about.withdrawalId}, not ${expected.withdrawalId}`);
  }
}

/** Where the coordinator takes a statement, from its type and body. */
export function statementRoute(statement: Envelope): { path: string; kind: 'withdrawal' | 'frost' } {
  const body = statement.body as { withdrawalId: string; sessionId?: string };
  switch (statement.type) {
    case MESSAGE_TYPES.withdrawalSignature:
      return { path: `/api/v1/withdrawals/${body.withdrawalId}/signatures`, kind: 'withdrawal' };
    case FROST_SIGN_MESSAGE_TYPES.commit:
      return { path: `/api/v1/withdrawals/${body.withdrawalId}/frost/commitments`, kind: 'frost' };
    case FROST_SIGN_MESSAGE_TYPES.share:
      return { path: `/api/v1/withdrawals/${body.withdrawalId}/frost/sessions/${body.sessionId}/shares`, kind: 'frost' };
    default:
      throw new ConclaveError('OFFLINE_RESPONSE_INVALID', `${WHAT}: a ${statement.type} statement has no route`);
  }
}
