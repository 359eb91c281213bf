/**
 * What a FROST signer checks in a signing session before it releases a share (issue 4, point
 * 6), and what the coordinator uses to build the same commitment lists. The coordinator picks
 * the set and relays everyone's commitments, so it could swap a commitment, drop a
 * participant, or show signers different sets. Each commitment is a statement signed by its
 * keyholder, so a swap is seen; a set below the threshold or with a stranger is refused; and
 * since FROST binds every share to the whole commitment list, different sets shown to
 * different signers give shares that do not combine: never a wrong signature. What keeps a
 * key safe is the signer's own rule that a nonce pair signs once (the nonce store), not this
 * check alone.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { idSchema } from '../api';
import { verifyEnvelope } from '../envelope';
import { ConclaveError } from '../errors';
import { participantIdentifier } from './dkg-params';
import { type NonceCommitments, decodeCommitments } from './signing';
import { FROST_SIGN_MESSAGE_TYPES, type FrostCommitBody, frostCommitBodySchema } from './signing-api';

export interface FrostWithdrawalRef {
  withdrawalId: string;
  vaultId: string;
  intentHash: string;
  unsignedTxid: string;
  inputCount: number;
}

export interface FrostSigningGroup {
  /** Identity keys of the vault's keyholders in FROST identifier order (the DKG params' order). */
  participants: readonly string[];
  threshold: number;
}

/** A signing set's commitments, ready for signShare / verifyShare / aggregate. */
export interface SigningPackage {
  sessionId: string;
  signers: string[];
  /** Per input, the commitment list of the whole set (identifier order). */
  commitmentLists: NonceCommitments[][];
  commits: Array<{ identityKey: string; body: FrostCommitBody }>;
}

const sessionShape = z.object({
  sessionId: idSchema,
  signers: z.array(z.string()).min(1).max(15),
  commits: z.array(z.unknown()).min(1).max(15),
}).passthrough();

function refuse(message: string, details?: Record<string, unknown>): never {
  throw new ConclaveError('FROST_SESSION_INVALID', `frost session: ${message}`, details);
}

/** Verifies one signed commitment statement and that it is for this withdrawal's transaction. */
export function checkCommitStatement(input: unknown, withdrawal: FrostWithdrawalRef, where: string): { identityKey: string; body: FrostCommitBody } {
  let envelope;
  try {
    envelope = verifyEnvelope<unknown>(input, { now: new Date(0), expectedType: FROST_SIGN_MESSAGE_TYPES.commit, checkTime: false });
  } catch (error) {
    if (error instanceof ConclaveError) refuse(`${where}: ${error.code}: ${error.message}`);
    throw error;
  }
  const parsed = frostCommitBodySchema.safeParse(envelope.body);
  if (!parsed.success) refuse(`${where}: not a valid commitment statement (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  const body = parsed.data;
  for (const field of ['withdrawalId', 'vaultId', 'intentHash', 'unsignedTxid'] as const) {
    if (body[field] !== withdrawal[field]) refuse(`${where}: committed for another ${field} (${body[field]})`);
  }
  if (body.inputs.length !== withdrawal.inputCount || body.inputs.some((c, i) => c.input !== i)) {
    refuse(`${where}: must commit to inputs 0..${withdrawal.inputCount - 1} in order`);
  }
  return { identityKey: envelope.signer, body };
}

/** Per input, the set's commitment lists with FROST identifiers taken from the vault's participant order. */
export function commitmentLists(commits: ReadonlyArray<{ identityKey: string; body: FrostCommitBody }>, group: FrostSigningGroup, inputCount: number): NonceCommitments[][] {
  const identifiers = commits.map((c) => {
    const index = group.participants.indexOf(c.identityKey);
    if (index < 0) refuse(`signer ${c.identityKey} is not a keyholder of this vault`, { identityKey: c.identityKey });
    return participantIdentifier(index);
  });
  return Array.from({ length: inputCount }, (_, input) => commits.map((c, i) => decodeCommitments({
    identifier: identifiers[i], hiding: c.body.inputs[input]!.hiding, binding: c.body.inputs[input]!.binding,
  }, `commits[${i}].inputs[${input}]`)));
}

/**
 * The signer's check of a session the coordinator sent: a set of at least t distinct keyholders
 * of this vault including this signer, each with its own signed commitments for exactly this
 * withdrawal's transaction, and this signer's commitments exactly the ones it made and stored.
 */
export function checkSigningPackage(input: {
  session: unknown;
  withdrawal: FrostWithdrawalRef;
  group: FrostSigningGroup;
  me: { identityKey: string; commitmentId: string; commitments: ReadonlyArray<{ hiding: string; binding: string }> };
}): SigningPackage {
  const { withdrawal, group, me } = input;
  const shape = sessionShape.safeParse(input.session);
  if (!shape.success) refuse(`malformed (${shape.error.issues[0]?.path.join('.')}: ${shape.error.issues[0]?.message})`);
  const { sessionId, signers } = shape.data;
  if (shape.data.commits.length !== signers.length) refuse(`${signers.length} signers but ${shape.data.commits.length} commitment statements`);
  if (new Set(signers).size !== signers.length) refuse('a keyholder appears twice in the signing set');
  if (signers.length < group.threshold) {
    refuse(`the signing set has ${signers.length} keyholders, but this vault needs ${group.threshold} (a participant was dropped)`, { signers: signers.length, threshold: group.threshold });
  }
  if (!signers.includes(me.identityKey)) refuse('this signer is not in the signing set');
  const commits = shape.data.commits.map((c, i) => {
    const checked = checkCommitStatement(c, withdrawal, `commits[${i}]`);
    if (checked.identityKey !== signers[i]) refuse(`commits[${i}] is signed by ${checked.identityKey}, not by the set's member ${signers[i]}`);
    return checked;
  });
  const mine = commits.find((c) => c.identityKey === me.identityKey)!;
  if (mine.body.commitmentId !== me.commitmentId) {
    refuse(`this signer's commitment ${mine.body.commitmentId} is not the one it is asked to sign with (${me.commitmentId})`);
  }
  const same = mine.body.inputs.length === me.commitments.length
    && mine.body.inputs.every((c, i) => c.hiding === me.commitments[i]!.hiding && c.binding === me.commitments[i]!.binding);
  if (!same) refuse('this signer\'s commitments were altered');
  return { sessionId, signers: [...signers], commitmentLists: commitmentLists(commits, group, withdrawal.inputCount), commits };
}

/** Hex form of a stored commitment, for comparing with what the coordinator relays. */
export function commitmentHex(c: NonceCommitments): { hiding: string; binding: string } {
  return { hiding: bytesToHex(c.hiding), binding: bytesToHex(c.binding) };
}
