/**
 * The success certificate of a FROST DKG (DESIGN.md, "Two kinds of vault"): the params, every
 * participant's signed round-1 message and every participant's signed confirmation of the
 * transcript hash. Public data only (no share, no secret), so the coordinator stores it and
 * every keyholder keeps it as recovery data. The vault MAY become active only with a
 * certificate that `verifyCertificate` accepts: all n signatures over the one transcript hash
 * that the round-1 packages themselves give.
 *
 * When the coordinator, or a participant, shows different round-1 packages to different
 * participants, their transcript hashes differ and `assembleCertificate` fails with
 * FROST_DKG_EQUIVOCATION. Each confirmation lists the digests of the round-1 packages its
 * signer used, so the error names the participant whose package differs, not only those who
 * ended up with another hash.
 */
import { z } from 'zod';
import { ConclaveError } from '../errors';
import { FROST_MAX_PARTICIPANTS, frostSetupParamsSchema, parseFrostSetupParams, participantLabel, setupParamsHash, type FrostSetupParams } from './dkg-params';
import {
  confirmationMessageSchema, DKG_MESSAGE_TYPES, round1MessageSchema, verifyDkgMessage,
  type ConfirmationMessage, type ConfirmBody, type Round1Message,
} from './dkg-messages';
import { collectRound1Messages } from './dkg-round1';
import { dkgTranscript, type DkgTranscript, type Round1Package } from './dkg-transcript';

export const dkgCertificateSchema = z.object({
  v: z.literal(1),
  params: frostSetupParamsSchema,
  /** Every participant's round-1 message, in participant order. */
  round1: z.array(round1MessageSchema).min(2).max(FROST_MAX_PARTICIPANTS),
  /** Every participant's confirmation, in participant order. */
  confirmations: z.array(confirmationMessageSchema).min(1).max(FROST_MAX_PARTICIPANTS),
}).strict();

export interface DkgCertificate {
  readonly v: 1;
  readonly params: FrostSetupParams;
  readonly round1: readonly Round1Message[];
  readonly confirmations: readonly ConfirmationMessage[];
}

/** What a valid certificate establishes. */
export interface VerifiedDkg extends DkgTranscript {
  readonly params: FrostSetupParams;
  readonly paramsHash: string;
  /** The round-1 packages, in participant order: the VSS commitments the group key package derives from. */
  readonly round1Packages: readonly Round1Package[];
}

/** Whether a confirmation vouches for exactly this transcript: its hash and every package digest. */
function confirms(body: ConfirmBody, transcript: DkgTranscript): boolean {
  return body.transcriptHash === transcript.transcriptHash
    && body.round1Digests.length === transcript.round1Digests.length
    && body.round1Digests.every((d, j) => d === transcript.round1Digests[j]);
}

/** Each participant's confirmations, verified, one group per participant. */
function confirmationsBySender(params: FrostSetupParams, paramsHash: string, inputs: readonly unknown[], where: string): ConfirmationMessage[][] {
  const groups: ConfirmationMessage[][] = params.participants.map(() => []);
  inputs.forEach((input, i) => {
    const { message, sender } = verifyDkgMessage<ConfirmBody>(DKG_MESSAGE_TYPES.confirm, input, params, paramsHash, `${where}[${i}]`);
    if (!groups[sender].some((m) => m.body.transcriptHash === message.body.transcriptHash)) groups[sender].push(message);
  });
  return groups;
}

/**
 * The error for confirmations over another transcript hash: names the participants whose
 * round-1 package those confirmers saw differently (the equivocators), and the confirmers.
 */
function equivocation(params: FrostSetupParams, transcript: DkgTranscript, dissent: readonly [number, ConfirmationMessage][], where: string): ConclaveError {
  const equivocators = new Set<number>();
  for (const [, message] of dissent) {
    transcript.round1Digests.forEach((digest, j) => {
      if (message.body.round1Digests[j] !== digest) equivocators.add(j);
    });
  }
  const confirmers = dissent.map(([i]) => i);
  const names = (list: Iterable<number>) => [...list].map((i) => participantLabel(params, i)).join(', ');
  const culprits = equivocators.size > 0
    ? `the round-1 package of ${names(equivocators)} differs between what they saw and the signed round-1 messages here (equivocation by that participant, or a false confirmation)`
    : 'they vouch for the same packages, so their confirmation itself is wrong';
  return new ConclaveError('FROST_DKG_EQUIVOCATION',
    `${where}: ${names(confirmers)} confirmed another transcript than the ${transcript.transcriptHash.slice(0, 16)}… these round-1 messages give: ${culprits}; `
    + 'do not use this key, and keep these messages as evidence',
    { participants: [...equivocators].map((i) => i + 1), confirmers: confirmers.map((i) => i + 1), transcriptHash: transcript.transcriptHash });
}

/**
 * Builds the certificate from what the coordinator collected. Both lists may hold repeats;
 * a participant with two round-1 packages or two transcript hashes is named with
 * FROST_DKG_EQUIVOCATION, a participant with no message with FROST_DKG_MISSING_MESSAGE.
 */
export function assembleCertificate(params: unknown, round1Messages: readonly unknown[], confirmations: readonly unknown[]): DkgCertificate {
  const setup = parseFrostSetupParams(params);
  const paramsHash = setupParamsHash(setup);
  const round1 = collectRound1Messages(setup, paramsHash, round1Messages);
  const transcript = dkgTranscript(paramsHash, round1.map((m) => m.body.package));
  const groups = confirmationsBySender(setup, paramsHash, confirmations, 'confirmations');
  const twice = groups.flatMap((g, i) => (g.length > 1 ? [i] : []));
  if (twice.length > 0) {
    throw new ConclaveError('FROST_DKG_EQUIVOCATION',
      `confirmations: ${twice.map((i) => participantLabel(setup, i)).join(', ')} signed two different transcript hashes for this setup`,
      { participants: twice.map((i) => i + 1), evidence: twice.map((i) => groups[i]) });
  }
  const dissent = groups.flatMap((g, i): [number, ConfirmationMessage][] =>
    (g.length === 1 && !confirms(g[0].body, transcript) ? [[i, g[0]]] : []));
  if (dissent.length > 0) throw equivocation(setup, transcript, dissent, 'confirmations');
  const missing = groups.flatMap((g, i) => (g.length === 0 ? [i] : []));
  if (missing.length > 0) {
    throw new ConclaveError('FROST_DKG_MISSING_MESSAGE',
      `confirmations: none yet from ${missing.map((i) => participantLabel(setup, i)).join(', ')}; the vault stays inactive until all ${setup.participants.length} confirm`,
      { participants: missing.map((i) => i + 1) });
  }
  return { v: 1, params: setup, round1, confirmations: groups.map((g) => g[0]) };
}

function certificateFailure(message: string, cause?: ConclaveError): ConclaveError {
  return new ConclaveError('FROST_DKG_CERTIFICATE_INVALID', `certificate: ${message}`,
    cause === undefined ? undefined : { cause: cause.code, ...cause.details });
}

/**
 * Verifies a certificate from its own content: the transcript hash is re-derived from the
 * round-1 packages, and each of the n confirmations, in participant order, must be signed by
 * that participant over exactly that hash and those package digests. Every failure is
 * FROST_DKG_CERTIFICATE_INVALID (details.cause keeps the underlying code). A participant
 * passes its own `transcriptHash` (from finishDkg) as `expected`: a certificate that verifies
 * but is for another transcript is not the one for its share.
 */
export function verifyCertificate(input: unknown, expected?: { transcriptHash: string }): VerifiedDkg {
  const parsed = dkgCertificateSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw certificateFailure(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const cert = parsed.data;
  try {
    const params = parseFrostSetupParams(cert.params);
    const paramsHash = setupParamsHash(params);
    const n = params.participants.length;
    if (cert.round1.length !== n) throw certificateFailure(`holds ${cert.round1.length} round-1 messages for ${n} participants`);
    const round1 = collectRound1Messages(params, paramsHash, cert.round1, 'certificate.round1');
    round1.forEach((m, i) => {
      if (m.sig !== cert.round1[i].sig) throw certificateFailure(`round1[${i}] is not the message of ${participantLabel(params, i)}`);
    });
    const packages = round1.map((m) => m.body.package);
    const transcript = dkgTranscript(paramsHash, packages);
    for (let i = 0; i < n; i++) {
      const input = cert.confirmations[i];
      if (input === undefined) throw certificateFailure(`the confirmation of ${participantLabel(params, i)} is missing (${cert.confirmations.length} of ${n})`);
      const { message, sender } = verifyDkgMessage<ConfirmBody>(DKG_MESSAGE_TYPES.confirm, input, params, paramsHash, `certificate.confirmations[${i}]`);
      if (sender !== i) throw certificateFailure(`confirmations[${i}] is from ${participantLabel(params, sender)}, not ${participantLabel(params, i)}`);
      if (!confirms(message.body, transcript)) {
        throw certificateFailure(`${participantLabel(params, i)} signed transcript hash ${message.body.transcriptHash}, not ${transcript.transcriptHash} that the round-1 packages give`);
      }
    }
    if (cert.confirmations.length !== n) throw certificateFailure(`holds ${cert.confirmations.length} confirmations for ${n} participants`);
    if (expected !== undefined && expected.transcriptHash !== transcript.transcriptHash) {
      throw certificateFailure(`it is for transcript ${transcript.transcriptHash}, not ${expected.transcriptHash} that this participant's DKG gave`);
    }
    return { ...transcript, params, paramsHash, round1Packages: packages };
  } catch (error) {
    if (error instanceof ConclaveError && error.code !== 'FROST_DKG_CERTIFICATE_INVALID') throw certificateFailure(error.message, error);
    throw error;
  }
}
