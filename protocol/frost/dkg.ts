/**
 * One participant's side of the FROST distributed key generation (RFC 9591 with the BIP340
 * ciphersuite; the maths is noble's `schnorr_FROST.DKG`), made safe with a hostile coordinator
 * (DESIGN.md, "Two kinds of vault"):
 *
 *   startDkg    round 1: a VSS commitment and proof of knowledge, signed and bound to the setup.
 *   dkgRound2   checks all n round-1 messages, then seals one share per other participant to
 *               that participant's identity key (share-encryption.ts) and signs it.
 *   finishDkg   checks and opens the shares addressed to this participant, runs noble's round 3,
 *               and signs the transcript hash: the confirmation that goes into the certificate.
 *
 * The key MUST NOT be used until `assembleCertificate` / `verifyCertificate` (dkg-certificate.ts)
 * show all n confirmations over one transcript hash: until then two participants may hold
 * shares of different keys. Each call consumes the state it is given (noble mutates it) and
 * returns the next one; errors leave the state usable for a retry with other messages.
 * Randomness, clock and identity key come in through `DkgContext`; nothing here does I/O.
 */
import type { Key } from '@noble/curves/abstract/frost.js';
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { identityPublicKey } from '../envelope';
import { ConclaveError, type ErrorCode } from '../errors';
import {
  parseFrostSetupParams, participantIdentifier, participantIndexOfIdentifier, participantLabel, setupParamsHash,
  type FrostSetupParams,
} from './dkg-params';
import {
  DKG_MESSAGE_TYPES, signDkgMessage, verifyDkgMessage,
  type ConfirmationMessage, type ConfirmBody, type Round1Body, type Round1Message, type Round2Body, type Round2Message,
  type SignContext,
} from './dkg-messages';
import { collectRound1Messages } from './dkg-round1';
import { DkgSecret, type DkgState } from './dkg-state';
import {
  dkgTranscript, proofOfKnowledgeValid, round1PackageFromNoble, round1PackageToNoble, shareMatchesCommitment,
} from './dkg-transcript';
import { openShare, sealShare } from './share-encryption';

/** What each step needs from outside: this participant's identity key, randomness and the clock. */
export type DkgContext = SignContext;

export interface DkgResult {
  /**
   * noble's `DKG.round3` output, unchanged: already tweaked for a Taproot key-path output
   * (public.commitments[0] is Q, compressed). SECRET: `keyPackage.secret.signingShare`.
   */
  readonly keyPackage: Key;
  /** P = sum of every commitment[0], compressed (33 bytes hex; its Y may be odd). */
  readonly untweakedGroupKey: string;
  /** x(Q), the BIP341-tweaked output key (32 bytes hex). */
  readonly outputKey: string;
  readonly transcriptHash: string;
  /** BIP32 chain code for address derivation, fixed by the transcript (32 bytes hex). */
  readonly chainCode: string;
}

function assertIdentity(params: FrostSetupParams, myIndex: number, identitySecret: Uint8Array, code: ErrorCode): void {
  let key: string;
  try {
    key = identityPublicKey(identitySecret);
  } catch {
    throw new ConclaveError(code, 'identitySecret: not a valid BIP340 secret key');
  }
  if (key !== params.participants[myIndex].identityKey) {
    throw new ConclaveError(code, `identitySecret: its key ${key.slice(0, 8)}… is not that of ${participantLabel(params, myIndex)}`);
  }
}

function assertStep(state: DkgState, step: DkgState['step'], call: string): void {
  if (state.step !== step || state.secret.wiped) {
    throw new ConclaveError('FROST_DKG_STATE_INVALID', `${call}: expects the state after ${step === 'round1' ? 'startDkg' : 'dkgRound2'}, got one at step ${state.secret.wiped ? 'wiped' : state.step}`);
  }
}

/** Round 1: this participant's commitment, signed; the state holds its SECRET polynomial. */
export function startDkg(params: unknown, myIndex: number, ctx: DkgContext): { round1Message: Round1Message; state: DkgState } {
  const setup = parseFrostSetupParams(params);
  const n = setup.participants.length;
  if (!Number.isInteger(myIndex) || myIndex < 0 || myIndex >= n) {
    throw new ConclaveError('FROST_DKG_PARAMS_INVALID', `myIndex: must be an integer in 0..${n - 1}, got ${myIndex}`);
  }
  assertIdentity(setup, myIndex, ctx.identitySecret, 'FROST_DKG_PARAMS_INVALID');
  const paramsHash = setupParamsHash(setup);
  const { public: pkg, secret } = schnorr_FROST.DKG.round1(
    participantIdentifier(myIndex), { min: setup.threshold, max: n }, undefined, (length = 32) => ctx.randomBytes(length));
  const round1Message = signDkgMessage<Round1Body>(DKG_MESSAGE_TYPES.round1,
    { setupId: setup.setupId, paramsHash, package: round1PackageFromNoble(pkg) }, ctx);
  return {
    round1Message,
    state: { v: 1, step: 'round1', params: setup, paramsHash, myIndex, round1Message, secret: new DkgSecret(secret) },
  };
}

/** noble refuses a bad round-1 set with a bare Error; say whose package it was. */
function round2Failure(params: FrostSetupParams, messages: readonly Round1Message[], myIndex: number, error: unknown): ConclaveError {
  const culprit = messages.findIndex((m, i) => i !== myIndex && !proofOfKnowledgeValid(m.body.package));
  const why = error instanceof Error ? error.message : String(error);
  if (culprit >= 0) {
    return new ConclaveError('FROST_DKG_PACKAGE_INVALID',
      `round1: the proof of knowledge in the round-1 package of ${participantLabel(params, culprit)} does not verify`, { participant: culprit + 1 });
  }
  return new ConclaveError('FROST_DKG_PACKAGE_INVALID', `round1: the round-1 packages were refused: ${why}`);
}

/**
 * Round 2: checks every participant's round-1 message (the list may or may not include this
 * participant's own, and may repeat messages), then seals a share for each other participant.
 */
export function dkgRound2(state: DkgState, round1Messages: readonly unknown[], ctx: DkgContext): { round2Messages: Round2Message[]; state: DkgState } {
  assertStep(state, 'round1', 'dkgRound2');
  const { params, paramsHash, myIndex } = state;
  assertIdentity(params, myIndex, ctx.identitySecret, 'FROST_DKG_STATE_INVALID');
  const accepted = collectRound1Messages(params, paramsHash, [state.round1Message, ...round1Messages]);
  const dkg = state.secret.nobleState();
  const others = accepted.filter((_, i) => i !== myIndex).map((m) => round1PackageToNoble(m.body.package));
  let shares: Record<string, { signingShare: Uint8Array }>;
  try {
    shares = schnorr_FROST.DKG.round2(dkg, others);
  } catch (error) {
    throw round2Failure(params, accepted, myIndex, error);
  }
  const sender = participantIdentifier(myIndex);
  const round2Messages = params.participants.flatMap((recipient, j) => {
    if (j === myIndex) return [];
    const recipientId = participantIdentifier(j);
    const sealed = sealShare(
      { setupId: params.setupId, paramsHash, sender, recipient: recipientId, recipientKey: recipient.identityKey },
      shares[recipientId].signingShare, ctx.randomBytes);
    return [signDkgMessage<Round2Body>(DKG_MESSAGE_TYPES.round2,
      { setupId: params.setupId, paramsHash, sender, recipient: recipientId, ...sealed }, ctx)];
  });
  state.secret.dropPeerShares();
  return { round2Messages, state: { ...state, step: 'round2', round1Messages: accepted, round2Messages } };
}

/** Verifies and opens the round-2 messages addressed to this participant: one share per sender. */
function openShares(state: DkgState, inputs: readonly unknown[], identitySecret: Uint8Array): Map<number, Uint8Array> {
  const { params, paramsHash, myIndex } = state;
  const me = participantIdentifier(myIndex);
  const shares = new Map<number, Uint8Array>();
  inputs.forEach((input, i) => {
    const where = `round2[${i}]`;
    const { message, sender } = verifyDkgMessage<Round2Body>(DKG_MESSAGE_TYPES.round2, input, params, paramsHash, where);
    const label = participantLabel(params, sender);
    const details = { participant: sender + 1 };
    if (message.body.recipient !== me) {
      const to = participantIndexOfIdentifier(params, message.body.recipient);
      throw new ConclaveError('FROST_DKG_MISROUTED',
        `${where}: the share from ${label} is for ${to >= 0 ? participantLabel(params, to) : `identifier ${message.body.recipient}`}, not for ${participantLabel(params, myIndex)}`, details);
    }
    if (sender === myIndex) throw new ConclaveError('FROST_DKG_WRONG_SENDER', `${where}: a share from this participant to itself`, details);
    const share = openShare(
      { setupId: params.setupId, paramsHash, sender: message.body.sender, recipient: me, recipientKey: params.participants[myIndex].identityKey },
      message.body, identitySecret, label);
    const earlier = shares.get(sender);
    if (earlier !== undefined && bytesToHex(earlier) !== bytesToHex(share)) {
      throw new ConclaveError('FROST_DKG_EQUIVOCATION', `${where}: ${label} sent two different shares to ${participantLabel(params, myIndex)}`, details);
    }
    shares.set(sender, share);
  });
  const missing = params.participants.flatMap((_, j) => (j !== myIndex && !shares.has(j) ? [j] : []));
  if (missing.length > 0) {
    for (const share of shares.values()) share.fill(0);
    throw new ConclaveError('FROST_DKG_MISSING_MESSAGE',
      `round2: no share from ${missing.map((j) => participantLabel(params, j)).join(', ')}`, { participants: missing.map((j) => j + 1) });
  }
  return shares;
}

/**
 * Round 3: opens this participant's shares, derives its key share, and signs the transcript
 * hash. Wipes the secret polynomial on success. The result's signing share is SECRET; the
 * confirmation is public and goes to the coordinator.
 */
export function finishDkg(state: DkgState, round2MessagesForMe: readonly unknown[], ctx: DkgContext): { result: DkgResult; confirmation: ConfirmationMessage } {
  assertStep(state, 'round2', 'finishDkg');
  const { params, paramsHash, myIndex } = state;
  assertIdentity(params, myIndex, ctx.identitySecret, 'FROST_DKG_STATE_INVALID');
  const round1 = state.round1Messages!;
  const shares = openShares(state, round2MessagesForMe, ctx.identitySecret);
  const me = participantIdentifier(myIndex);
  let keyPackage: Key;
  try {
    keyPackage = schnorr_FROST.DKG.round3(
      state.secret.nobleState(),
      round1.filter((_, i) => i !== myIndex).map((m) => round1PackageToNoble(m.body.package)),
      [...shares].map(([j, signingShare]) => ({ identifier: participantIdentifier(j), signingShare })));
  } catch (error) {
    const culprit = [...shares].find(([j, share]) => !shareMatchesCommitment(me, share, round1[j].body.package));
    const why = error instanceof Error ? error.message : String(error);
    throw culprit === undefined
      ? new ConclaveError('FROST_DKG_SHARE_INVALID', `round2: the shares were refused: ${why}`)
      : new ConclaveError('FROST_DKG_SHARE_INVALID',
        `round2: the share from ${participantLabel(params, culprit[0])} does not match its round-1 commitments`, { participant: culprit[0] + 1 });
  } finally {
    for (const share of shares.values()) share.fill(0);
  }
  const transcript = dkgTranscript(paramsHash, round1.map((m) => m.body.package));
  // Our tweak and noble's must agree, or the certificate would vouch for another key.
  if (bytesToHex(keyPackage.public.commitments[0].slice(1)) !== transcript.outputKey) {
    throw new ConclaveError('INTERNAL', 'finishDkg: noble\'s tweaked group key differs from the BIP341 tweak of the transcript\'s group key');
  }
  const confirmation = signDkgMessage<ConfirmBody>(DKG_MESSAGE_TYPES.confirm, {
    setupId: params.setupId, paramsHash, transcriptHash: transcript.transcriptHash, round1Digests: [...transcript.round1Digests],
  }, ctx);
  state.secret.wipe();
  return {
    result: {
      keyPackage,
      untweakedGroupKey: transcript.untweakedGroupKey,
      outputKey: transcript.outputKey,
      transcriptHash: transcript.transcriptHash,
      chainCode: transcript.chainCode,
    },
    confirmation,
  };
}
