/**
 * Collecting the round-1 broadcast of a FROST DKG: exactly one package per participant, each
 * signed by that participant and bound to this setup, each structurally sound (t compressed
 * points on the curve, a 64-byte proof; noble checks the proof itself in round 2).
 *
 * A participant that signs two different round-1 packages for one setup is equivocating:
 * showing each a different package would leave honest parties with different keys. Two such
 * messages are signed evidence, and are returned as such (`details.evidence`).
 */
import { ConclaveError } from '../errors';
import { participantLabel, type FrostSetupParams } from './dkg-params';
import { DKG_MESSAGE_TYPES, verifyDkgMessage, type Round1Body, type Round1Message } from './dkg-messages';
import { decodePoint, round1PackageDigest } from './dkg-transcript';

/** Two valid round-1 messages by one participant for one setup, with different packages. */
export interface Round1Equivocation {
  /** 0-based index of the participant who signed both. */
  readonly participant: number;
  readonly messages: readonly [Round1Message, Round1Message];
}

function checkPackage(params: FrostSetupParams, sender: number, body: Round1Body, where: string): void {
  const label = participantLabel(params, sender);
  const fail = (why: string) => new ConclaveError('FROST_DKG_PACKAGE_INVALID', `${where}: round-1 package of ${label}: ${why}`, { participant: sender + 1 });
  if (body.package.commitment.length !== params.threshold) {
    throw fail(`expected ${params.threshold} commitments for a threshold of ${params.threshold}, got ${body.package.commitment.length}`);
  }
  body.package.commitment.forEach((c, k) => {
    try {
      decodePoint(c);
    } catch {
      throw fail(`commitment[${k}] is not a point on secp256k1`);
    }
  });
}

/**
 * Verified messages grouped by sender, one per distinct package. With `skipInvalid`, messages
 * that fail a check are left out (they prove nothing about their claimed sender); otherwise
 * the first one throws.
 */
function bySender(
  params: FrostSetupParams, paramsHash: string, inputs: readonly unknown[], where: string, skipInvalid = false,
): Map<string, Round1Message>[] {
  const groups = params.participants.map(() => new Map<string, Round1Message>());
  inputs.forEach((input, i) => {
    let verified;
    try {
      verified = verifyDkgMessage<Round1Body>(DKG_MESSAGE_TYPES.round1, input, params, paramsHash, `${where}[${i}]`);
    } catch (error) {
      if (skipInvalid && error instanceof ConclaveError) return;
      throw error;
    }
    const { message, sender } = verified;
    const digest = round1PackageDigest(message.body.package);
    if (!groups[sender].has(digest)) groups[sender].set(digest, message);
  });
  return groups;
}

/**
 * Every participant's round-1 message, in participant order. Throws FROST_DKG_EQUIVOCATION
 * (with the signed evidence) when one participant signed two packages, FROST_DKG_MISSING_MESSAGE
 * naming who has sent none, and the FROST_DKG_* error of the first message that fails a check.
 * Repeats of the same package (a resend) are fine.
 */
export function collectRound1Messages(
  params: FrostSetupParams, paramsHash: string, inputs: readonly unknown[], where = 'round1',
): Round1Message[] {
  const groups = bySender(params, paramsHash, inputs, where);
  const equivocators = groups.flatMap((g, i) => (g.size > 1 ? [i] : []));
  if (equivocators.length > 0) {
    const evidence = equivocators.map((i) => ({ participant: i + 1, messages: [...groups[i].values()].slice(0, 2) }));
    throw new ConclaveError('FROST_DKG_EQUIVOCATION',
      `${where}: ${equivocators.map((i) => participantLabel(params, i)).join(', ')} signed two different round-1 packages for this setup; `
      + 'abort this setup and keep these messages as evidence',
      { participants: equivocators.map((i) => i + 1), evidence });
  }
  const missing = groups.flatMap((g, i) => (g.size === 0 ? [i] : []));
  if (missing.length > 0) {
    throw new ConclaveError('FROST_DKG_MISSING_MESSAGE',
      `${where}: no round-1 message from ${missing.map((i) => participantLabel(params, i)).join(', ')}`,
      { participants: missing.map((i) => i + 1) });
  }
  return groups.map((g, i) => {
    const message = [...g.values()][0];
    checkPackage(params, i, message.body, where);
    return message;
  });
}

/**
 * Pairs of valid round-1 messages by the same participant with different packages, for an
 * auditor or a coordinator that has seen more than one participant's view. Messages that fail
 * a check are skipped.
 */
export function findRound1Equivocations(params: FrostSetupParams, paramsHash: string, inputs: readonly unknown[]): Round1Equivocation[] {
  return bySender(params, paramsHash, inputs, 'round1', true).flatMap((g, participant) => {
    const [a, b] = [...g.values()];
    return b === undefined ? [] : [{ participant, messages: [a, b] as const }];
  });
}
