/**
 * Wire messages of the FROST DKG. Each is a signed envelope (envelope.ts: BIP340 over a tagged
 * hash of the RFC 8785 form, the tag naming the message type) by the sender's identity key,
 * whose body names the setup id and params hash, so the coordinator can relay them but not
 * forge, alter, or move them to another setup. The zod schemas let the coordinator check
 * shapes; only participants can check the secrets inside.
 *
 *   frost.dkg.round1   {setupId, paramsHash, package}                          broadcast
 *   frost.dkg.round2   {setupId, paramsHash, sender, recipient, ephemeralKey,
 *                       nonce, ciphertext}                                     one per recipient
 *   frost.dkg.confirm  {setupId, paramsHash, transcriptHash, round1Digests}   broadcast
 *
 * Freshness comes from the random setup id that every participant pinned in the params, not
 * from the envelope's validity window: a DKG may run by file over days, and the certificate is
 * re-verified years later, so envelopes here are checked with `checkTime: false`.
 */
import { z } from 'zod';
import { envelopeSchema, MAX_ENVELOPE_TTL_SECONDS, signEnvelope, verifyEnvelope, type Envelope } from '../envelope';
import { ConclaveError } from '../errors';
import {
  FROST_MAX_PARTICIPANTS, hexBytes, participantIdentifier, participantIndexOfKey, participantLabel,
  SETUP_ID_BYTES, type FrostSetupParams,
} from './dkg-params';
import { round1PackageSchema } from './dkg-transcript';
import { SEALED_SHARE_BYTES, SHARE_NONCE_BYTES } from './share-encryption';

export const DKG_MESSAGE_TYPES = {
  round1: 'frost.dkg.round1',
  round2: 'frost.dkg.round2',
  confirm: 'frost.dkg.confirm',
} as const;
export type DkgMessageType = (typeof DKG_MESSAGE_TYPES)[keyof typeof DKG_MESSAGE_TYPES];

const binding = { setupId: hexBytes(SETUP_ID_BYTES), paramsHash: hexBytes(32) };

export const round1BodySchema = z.object({ ...binding, package: round1PackageSchema }).strict();
export const round2BodySchema = z.object({
  ...binding,
  sender: hexBytes(32),
  recipient: hexBytes(32),
  ephemeralKey: hexBytes(33),
  nonce: hexBytes(SHARE_NONCE_BYTES),
  ciphertext: hexBytes(SEALED_SHARE_BYTES),
}).strict();
export const confirmBodySchema = z.object({
  ...binding,
  transcriptHash: hexBytes(32),
  /** Digest of each round-1 package the signer used, in participant order: a mismatch names its sender. */
  round1Digests: z.array(hexBytes(32)).min(2).max(FROST_MAX_PARTICIPANTS),
}).strict();

export type Round1Body = z.infer<typeof round1BodySchema>;
export type Round2Body = z.infer<typeof round2BodySchema>;
export type ConfirmBody = z.infer<typeof confirmBodySchema>;

const typed = <T extends z.ZodType>(type: DkgMessageType, body: T) =>
  envelopeSchema.extend({ type: z.literal(type), body }).strict();
export const round1MessageSchema = typed(DKG_MESSAGE_TYPES.round1, round1BodySchema);
export const round2MessageSchema = typed(DKG_MESSAGE_TYPES.round2, round2BodySchema);
export const confirmationMessageSchema = typed(DKG_MESSAGE_TYPES.confirm, confirmBodySchema);

export type Round1Message = Envelope<Round1Body>;
export type Round2Message = Envelope<Round2Body>;
export type ConfirmationMessage = Envelope<ConfirmBody>;

export interface SignContext {
  /** SECRET: the sender's BIP340 identity key. */
  readonly identitySecret: Uint8Array;
  readonly randomBytes: (length: number) => Uint8Array;
  readonly now: Date;
}

export function signDkgMessage<T>(type: DkgMessageType, body: T, ctx: SignContext): Envelope<T> {
  return signEnvelope(type, body, ctx.identitySecret, {
    now: ctx.now, randomBytes: ctx.randomBytes, ttlSeconds: MAX_ENVELOPE_TTL_SECONDS,
  });
}

/** A message that passed every check, with the index of the participant who signed it. */
export interface Verified<T> {
  readonly message: Envelope<T>;
  readonly sender: number;
}

const SCHEMAS = {
  [DKG_MESSAGE_TYPES.round1]: round1MessageSchema,
  [DKG_MESSAGE_TYPES.round2]: round2MessageSchema,
  [DKG_MESSAGE_TYPES.confirm]: confirmationMessageSchema,
} as const;

/**
 * Checks one DKG message against the setup: shape, type, setup id and params hash, that the
 * signer is a participant and, for messages that name their sender's FROST identifier, that it
 * is the signer's, then the signature. Errors name the participant the message claims to be from.
 */
export function verifyDkgMessage<T extends Round1Body | Round2Body | ConfirmBody>(
  type: DkgMessageType, input: unknown, params: FrostSetupParams, paramsHash: string, where: string,
): Verified<T> {
  const parsed = SCHEMAS[type].safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConclaveError('FROST_DKG_MESSAGE_INVALID', `${where}.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} (expected a ${type} message)`);
  }
  const message = parsed.data as unknown as Envelope<T>;
  const sender = participantIndexOfKey(params, message.signer);
  if (sender < 0) {
    throw new ConclaveError('FROST_DKG_WRONG_SENDER', `${where}: signed by ${message.signer.slice(0, 8)}…, who is not a participant of setup ${params.setupId}`);
  }
  const label = participantLabel(params, sender);
  const details = { participant: sender + 1, identityKey: message.signer };
  if (message.body.setupId !== params.setupId || message.body.paramsHash !== paramsHash) {
    throw new ConclaveError('FROST_DKG_WRONG_SETUP',
      `${where}: from ${label} is for setup ${message.body.setupId} with params ${message.body.paramsHash.slice(0, 16)}…, not this one (replayed or misrouted)`, details);
  }
  const claimed = 'package' in message.body ? message.body.package.identifier : 'sender' in message.body ? message.body.sender : undefined;
  if (claimed !== undefined && claimed !== participantIdentifier(sender)) {
    throw new ConclaveError('FROST_DKG_WRONG_SENDER', `${where}: ${label} signed a message in the name of FROST identifier ${claimed}`, details);
  }
  try {
    verifyEnvelope(message, { now: new Date(0), expectedType: type, checkTime: false });
  } catch (error) {
    if (error instanceof ConclaveError) {
      throw new ConclaveError('FROST_DKG_BAD_SIGNATURE', `${where}: the signature of ${label} does not verify (altered or forged in transit)`, details);
    }
    throw error;
  }
  return { message, sender };
}
