/**
 * A participant's state between DKG rounds, and its serialised form for the signer CLI,
 * which MUST keep it encrypted at rest (like the keystore): between rounds it holds this
 * participant's secret polynomial, from which its share and everyone's shares derive.
 *
 * Only `secret` is secret. In memory it is a `DkgSecret` whose toJSON and inspect output are
 * redacted, so a log line cannot leak it; `serializeDkgState` is the one way to write it out.
 * The shares computed for the other participants in round 2 are wiped as soon as they are
 * sealed, so they are never kept nor serialised. `wipeDkgState` zeroes what JavaScript lets us
 * zero (noble's `DKG.clean`; bigints and strings cannot be overwritten in place).
 */
import type { DKG_Secret } from '@noble/curves/abstract/frost.js';
import { secp256k1, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { ConclaveError } from '../errors';
import {
  FROST_MAX_PARTICIPANTS, frostSetupParamsSchema, hexBytes, parseFrostSetupParams, participantLabel, setupParamsHash,
  type FrostSetupParams,
} from './dkg-params';
import {
  DKG_MESSAGE_TYPES, round1MessageSchema, round2MessageSchema, verifyDkgMessage, type Round1Message, type Round2Message,
} from './dkg-messages';
import { round1PackageToNoble } from './dkg-transcript';

const Point = secp256k1.Point;
const Fn = Point.Fn;

export type DkgStep = 'round1' | 'round2';

/** SECRET: this participant's DKG polynomial (noble's round state). Never log it, never send it. */
export class DkgSecret {
  #dkg: DKG_Secret | undefined;

  constructor(dkg: DKG_Secret) {
    this.#dkg = dkg;
  }

  /** noble's mutable round state; throws once wiped. */
  nobleState(): DKG_Secret {
    if (this.#dkg === undefined) throw new ConclaveError('FROST_DKG_STATE_INVALID', 'dkg state: its secret was wiped; start a new DKG');
    return this.#dkg;
  }

  get wiped(): boolean {
    return this.#dkg === undefined;
  }

  /** Zeroes the shares computed for others (kept by noble for a repeated round 2). */
  dropPeerShares(): void {
    const dkg = this.#dkg;
    if (dkg?.round2Cache === undefined) return;
    for (const pkg of Object.values(dkg.round2Cache)) pkg.signingShare.fill(0);
    delete dkg.round2Cache;
  }

  wipe(): void {
    if (this.#dkg === undefined) return;
    this.dropPeerShares();
    schnorr_FROST.DKG.clean(this.#dkg);
    this.#dkg = undefined;
  }

  toJSON(): string {
    return '[redacted DKG secret]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'DkgSecret [redacted]';
  }
}

export interface DkgState {
  readonly v: 1;
  readonly step: DkgStep;
  readonly params: FrostSetupParams;
  readonly paramsHash: string;
  /** 0-based; the FROST identifier is myIndex + 1. */
  readonly myIndex: number;
  /** This participant's own signed round-1 message (public). */
  readonly round1Message: Round1Message;
  /** From round 2 on: every participant's accepted round-1 message, in participant order. */
  readonly round1Messages?: readonly Round1Message[];
  /** From round 2 on: the sealed shares this participant sent, kept to resend after a crash. */
  readonly round2Messages?: readonly Round2Message[];
  /** SECRET: see DkgSecret. */
  readonly secret: DkgSecret;
}

export const serializedDkgStateSchema = z.object({
  v: z.literal(1),
  kind: z.literal('conclave.frost-dkg-state'),
  step: z.enum(['round1', 'round2']),
  params: frostSetupParamsSchema,
  myIndex: z.number().int().min(0).max(FROST_MAX_PARTICIPANTS - 1),
  round1Message: round1MessageSchema,
  round1Messages: z.array(round1MessageSchema).max(FROST_MAX_PARTICIPANTS).optional(),
  round2Messages: z.array(round2MessageSchema).max(FROST_MAX_PARTICIPANTS - 1).optional(),
  /** SECRET: the polynomial coefficients a_0..a_{t-1}, 32-byte big-endian scalars. */
  secret: z.object({ coefficients: z.array(hexBytes(32)).min(2).max(FROST_MAX_PARTICIPANTS) }).strict(),
}).strict();
export type SerializedDkgState = z.infer<typeof serializedDkgStateSchema>;

/** The state as JSON-safe data. It contains the SECRET polynomial: encrypt it before it touches disk. */
export function serializeDkgState(state: DkgState): SerializedDkgState {
  const dkg = state.secret.nobleState();
  if (dkg.coefficients === undefined) throw new ConclaveError('FROST_DKG_STATE_INVALID', 'dkg state: the DKG is finished; nothing to save');
  return {
    v: 1,
    kind: 'conclave.frost-dkg-state',
    step: state.step,
    params: state.params,
    myIndex: state.myIndex,
    // The messages were built by signDkgMessage, so their `type` is the schema's literal.
    round1Message: state.round1Message as SerializedDkgState['round1Message'],
    ...(state.round1Messages === undefined ? {} : { round1Messages: [...state.round1Messages] as SerializedDkgState['round1Message'][] }),
    ...(state.round2Messages === undefined ? {} : { round2Messages: [...state.round2Messages] as NonNullable<SerializedDkgState['round2Messages']> }),
    secret: { coefficients: dkg.coefficients.map((c) => bytesToHex(Fn.toBytes(c))) },
  };
}

function invalid(message: string): ConclaveError {
  return new ConclaveError('FROST_DKG_STATE_INVALID', `dkg state: ${message}`);
}

/** Rebuilds a state saved by serializeDkgState, checking that its parts belong together. */
export function parseDkgState(input: unknown): DkgState {
  const parsed = serializedDkgStateSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const saved = parsed.data;
  const params = parseFrostSetupParams(saved.params);
  const n = params.participants.length;
  if (saved.myIndex >= n) throw invalid(`myIndex ${saved.myIndex} is not a participant of a ${n}-party setup`);
  const paramsHash = setupParamsHash(params);
  try {
    const own = verifyDkgMessage(DKG_MESSAGE_TYPES.round1, saved.round1Message, params, paramsHash, 'dkg state.round1Message');
    if (own.sender !== saved.myIndex) throw invalid(`round1Message is ${participantLabel(params, own.sender)}'s, not participant ${saved.myIndex + 1}'s`);
  } catch (error) {
    if (error instanceof ConclaveError && error.code !== 'FROST_DKG_STATE_INVALID') throw invalid(error.message);
    throw error;
  }
  const mine = saved.round1Message.body.package;
  let coefficients: bigint[];
  try {
    coefficients = saved.secret.coefficients.map((hex) => Fn.fromBytes(hexToBytes(hex)));
  } catch {
    throw invalid('secret.coefficients: not scalars below the group order');
  }
  if (coefficients.length !== params.threshold) throw invalid(`expected ${params.threshold} coefficients, got ${coefficients.length}`);
  // The commitments must be the coefficients times G: a state spliced from two runs would
  // otherwise hand out shares that match no published commitment.
  if (coefficients.some((c, k) => c === 0n || bytesToHex(Point.BASE.multiply(c).toBytes(true)) !== mine.commitment[k])
    || mine.commitment.length !== coefficients.length) {
    throw invalid('the secret polynomial does not match this participant\'s round-1 commitments');
  }
  const dkg: DKG_Secret = {
    identifier: BigInt(saved.myIndex + 1),
    coefficients,
    commitment: mine.commitment.map((c) => hexToBytes(c)),
    signers: { min: params.threshold, max: n },
    step: saved.step === 'round1' ? 1 : 2,
  };
  if (saved.step === 'round2') {
    if (saved.round1Messages?.length !== n || saved.round2Messages?.length !== n - 1) {
      throw invalid(`after round 2 it must hold ${n} round-1 and ${n - 1} round-2 messages`);
    }
    if (saved.round1Messages[saved.myIndex].sig !== saved.round1Message.sig) throw invalid('round1Messages does not hold this participant\'s own round-1 message');
    // noble's round 3 compares its input with the round-1 set it authenticated in round 2.
    dkg.round1Cache = saved.round1Messages.filter((_, i) => i !== saved.myIndex).map((m) => round1PackageToNoble(m.body.package));
  }
  return {
    v: 1,
    step: saved.step,
    params,
    paramsHash,
    myIndex: saved.myIndex,
    round1Message: saved.round1Message as Round1Message,
    ...(saved.round1Messages === undefined ? {} : { round1Messages: saved.round1Messages as Round1Message[] }),
    ...(saved.round2Messages === undefined ? {} : { round2Messages: saved.round2Messages as Round2Message[] }),
    secret: new DkgSecret(dkg),
  };
}

/** Zeroes the secret polynomial; the state cannot be used afterwards. */
export function wipeDkgState(state: DkgState): void {
  state.secret.wipe();
}
