/**
 * A FROST key generation as the coordinator relays it (protocol/frost/setup-api.ts, the wire
 * contract), read by a signer that trusts nothing the coordinator says (DESIGN.md, trust
 * model). The params are taken from the opener's signed `frost.setup.open` statement and the
 * view must agree with it; the DKG messages in the view are checked by protocol/frost itself
 * (dkgRound2, finishDkg, verifyCertificate) when they are used, so here they are only counted.
 */
import { z } from 'zod';
import { hash256Schema, idSchema, identityKeySchema, networkSchema } from '../../protocol/api';
import { canonicalJson } from '../../protocol/canonical-json';
import { verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import {
  confirmationMessageSchema, FROST_SETUP_OPEN, FROST_SETUP_STATES, frostSetupOpenSchema, parseFrostSetupParams, participantIndexOfKey,
  round1MessageSchema, setupParamsHash,
  type ConfirmationMessage, type FrostSetupOpen, type FrostSetupParams, type FrostSetupState, type Round1Message, type Round2Message,
} from '../../protocol/frost';
import { vaultPolicySchema } from '../../protocol/policy';
import type { CoordinatorClient } from '../coordinator/client';

export const frostSetupViewSchema = z.object({
  setupId: z.string(),
  state: z.enum(FROST_SETUP_STATES),
  params: z.unknown(),
  paramsHash: z.string(),
  openEnvelope: z.unknown(),
  expiresAt: z.string(),
  round1: z.array(z.unknown()).max(64),
  round2Senders: z.array(identityKeySchema).max(64),
  confirmations: z.array(z.unknown()).max(64),
  certificate: z.unknown(),
  vaultId: idSchema.nullable(),
  abort: z.object({ code: z.string().max(100), message: z.string().max(2000) }).nullable(),
  createdAt: z.string(),
});
export type FrostSetupViewParsed = z.infer<typeof frostSetupViewSchema>;

/**
 * The coordinator's vault for a FROST setup, parsed loosely: a `tr-frost` vault view may lack
 * what only script-multisig vaults have (account keys, vault.create evidence). Every field read
 * here is compared with what this signer derived itself.
 */
export const frostVaultViewSchema = z.object({
  id: idSchema,
  kind: z.enum(['wsh-sortedmulti', 'tr-frost']).optional(),
  name: z.string(),
  network: networkSchema,
  threshold: z.number().int(),
  descriptor: z.string(),
  policy: vaultPolicySchema,
  policyHash: hash256Schema,
  members: z.array(z.object({ identityKey: identityKeySchema, name: z.string() })),
  status: z.string().optional(),
});
export type FrostVaultViewParsed = z.infer<typeof frostVaultViewSchema>;

export interface RelayedFrostSetup {
  setupId: string;
  state: FrostSetupState;
  /** As the opener signed them. */
  params: FrostSetupParams;
  paramsHash: string;
  open: FrostSetupOpen;
  /** Identity key that signed frost.setup.open (a participant). */
  opener: string;
  /** The opener's deadline, as signed. */
  expiresAt: string;
  round1: unknown[];
  round2Senders: string[];
  confirmations: unknown[];
  certificate: unknown;
  vaultId: string | null;
  abort: { code: string; message: string } | null;
}

/** The coordinator's side of a FROST DKG, as the signer uses it. The HTTP one is `httpFrostRelay`; tests use a fake. */
export interface FrostRelay {
  /** POSTs the opener's signed frost.setup.open statement for `setupId`. */
  open(setupId: string, envelope: unknown): Promise<RelayedFrostSetup>;
  setup(setupId: string): Promise<RelayedFrostSetup>;
  postRound1(setupId: string, message: Round1Message): Promise<void>;
  postRound2(setupId: string, messages: readonly Round2Message[]): Promise<void>;
  /** Round-2 messages sealed to `recipient` (identity key), unverified. */
  round2For(setupId: string, recipient: string): Promise<unknown[]>;
  postConfirmation(setupId: string, message: ConfirmationMessage): Promise<void>;
  vault(vaultId: string): Promise<FrostVaultViewParsed>;
}

function relayError(setupId: string, what: string): ConclaveError {
  return new ConclaveError('COORDINATOR_ERROR', `coordinator: frost setup ${setupId}: ${what}`);
}

/** Checks a view against the opener's signed statement; throws COORDINATOR_ERROR when they disagree. */
export function readFrostSetupView(view: FrostSetupViewParsed, setupId: string): RelayedFrostSetup {
  const id = setupId;
  if (view.setupId !== id) throw relayError(id, `answered with setup ${view.setupId}`);
  let signer: string;
  let open: FrostSetupOpen;
  try {
    // Stored evidence: the signature and content count, not the envelope's short validity window.
    const envelope = verifyEnvelope(view.openEnvelope, { now: new Date(0), expectedType: FROST_SETUP_OPEN, checkTime: false });
    signer = envelope.signer;
    open = frostSetupOpenSchema.parse(envelope.body);
  } catch (error) {
    throw relayError(id, `openEnvelope: not a valid frost.setup.open statement (${(error as Error).message.slice(0, 200)})`);
  }
  let params: FrostSetupParams;
  try {
    params = parseFrostSetupParams(open.params);
  } catch (error) {
    throw relayError(id, `the opener signed invalid params (${(error as Error).message})`);
  }
  const paramsHash = setupParamsHash(params);
  if (params.setupId !== id) throw relayError(id, `the opener's statement is for setup ${params.setupId}`);
  if (canonicalJson(view.params) !== canonicalJson(params) || view.paramsHash !== paramsHash || Date.parse(view.expiresAt) !== Date.parse(open.expiresAt)) {
    throw relayError(id, 'shows other params or another deadline than the opener signed');
  }
  if (participantIndexOfKey(params, signer) < 0) throw relayError(id, 'was opened by someone who is not one of its participants');
  return {
    setupId: id, state: view.state, params, paramsHash, open, opener: signer, expiresAt: open.expiresAt,
    round1: view.round1, round2Senders: view.round2Senders, confirmations: view.confirmations, certificate: view.certificate ?? null,
    vaultId: view.vaultId, abort: view.abort,
  };
}

/** Participants (0-based) whose round-1 message is in the view; a message of another shape or sender is not counted. */
export function round1Senders(setup: RelayedFrostSetup): Set<number> {
  return sendersOf(setup, setup.round1, round1MessageSchema);
}

/** Participants whose confirmation is in the view. */
export function confirmationSenders(setup: RelayedFrostSetup): Set<number> {
  return sendersOf(setup, setup.confirmations, confirmationMessageSchema);
}

function sendersOf(setup: RelayedFrostSetup, messages: readonly unknown[], schema: z.ZodType<{ signer: string; body: { setupId: string } }>): Set<number> {
  const senders = new Set<number>();
  for (const m of messages) {
    const parsed = schema.safeParse(m);
    if (!parsed.success || parsed.data.body.setupId !== setup.setupId) continue;
    const i = participantIndexOfKey(setup.params, parsed.data.signer);
    if (i >= 0) senders.add(i);
  }
  return senders;
}

/** The messages in `messages` signed by `identityKey` (unverified). */
export function messagesBy(messages: readonly unknown[], identityKey: string): Array<{ signer: string; sig: string }> {
  return messages.filter((m): m is { signer: string; sig: string } =>
    typeof m === 'object' && m !== null && (m as { signer?: unknown }).signer === identityKey && typeof (m as { sig?: unknown }).sig === 'string');
}

const ignored = z.unknown();

/** The relay over the coordinator's REST routes (protocol/frost/setup-api.ts). */
export function httpFrostRelay(client: CoordinatorClient): FrostRelay {
  const base = '/api/v1/frost-setups';
  return {
    async open(setupId, envelope) {
      const { data } = await client.post(base, envelope, frostSetupViewSchema);
      return readFrostSetupView(data, setupId);
    },
    async setup(setupId) {
      return readFrostSetupView(await client.get(`${base}/${setupId}`, frostSetupViewSchema), setupId);
    },
    async postRound1(setupId, message) {
      await client.post(`${base}/${setupId}/round1`, message, ignored);
    },
    async postRound2(setupId, messages) {
      await client.post(`${base}/${setupId}/round2`, { messages }, ignored);
    },
    async round2For(setupId, recipient) {
      return client.get(`${base}/${setupId}/round2/${recipient}`, z.array(z.unknown()).max(64));
    },
    async postConfirmation(setupId, message) {
      await client.post(`${base}/${setupId}/confirm`, message, ignored);
    },
    async vault(vaultId) {
      return client.get(`/api/v1/vaults/${vaultId}`, frostVaultViewSchema);
    },
  };
}
