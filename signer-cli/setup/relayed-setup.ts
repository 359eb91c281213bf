/**
 * A BSMS setup as the coordinator relays it, read by a signer that trusts nothing the
 * coordinator says (DESIGN.md, trust model). Every field that matters is taken from the signed
 * envelopes the coordinator stores, re-verified here: M, N, mode and expiry as the opener signed
 * them in setup.open; each key record with the member who sent it (or for whom the opener
 * relayed it); the descriptor record(s) as the same opener signed them. The records themselves
 * are then authenticated by the session token (BIP129 MAC), which the coordinator never sees.
 */
import { z } from 'zod';
import {
  bsmsModeSchema, identityKeySchema, MESSAGE_TYPES, type SetupDescriptorRecord, type SetupOpen,
  setupDescriptorRecordSchema, setupKeyRecordSchema, setupOpenSchema,
} from '../../protocol/api';
import { verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import type { CoordinatorClient } from '../coordinator/client';

export const setupViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  network: z.string(),
  threshold: z.number().int(),
  keyholders: z.number().int(),
  mode: bsmsModeSchema,
  expiresAt: z.string(),
  openedBy: identityKeySchema,
  createdAt: z.string(),
  status: z.enum(['collecting', 'ready', 'complete', 'expired']),
  openEnvelope: z.unknown(),
  keyRecords: z.array(z.object({
    position: z.number().int(),
    member: identityKeySchema,
    submittedBy: identityKeySchema,
    record: z.string(),
    envelope: z.unknown(),
    createdAt: z.string(),
  })),
  descriptorRecord: z.object({ envelope: z.unknown(), createdAt: z.string() }).nullable(),
});
export type SetupViewParsed = z.infer<typeof setupViewSchema>;

export interface RelayedKeyRecord {
  /** Identity key of the member whose key the record holds. */
  member: string;
  /** Identity key that signed the envelope (the member, or the opener relaying an imported record). */
  submittedBy: string;
  /** Sealed record as sent: hex(MAC || ciphertext), or the record text with NO_ENCRYPTION. */
  sealed: string;
}

export interface RelayedSetup {
  id: string;
  /** Identity key that signed setup.open. */
  opener: string;
  /** The opener's signed statement: name, network, M, N, mode, expiry. */
  open: SetupOpen;
  status: SetupViewParsed['status'];
  /** In the coordinator's order (arrival), each verified. */
  keyRecords: RelayedKeyRecord[];
  /** The opener's signed descriptor record body, or null. */
  descriptor: SetupDescriptorRecord | null;
}

function relayError(setupId: string, what: string): ConclaveError {
  return new ConclaveError('COORDINATOR_ERROR', `coordinator: setup ${setupId}: ${what}`);
}

/** Evidence fixed in time: the signature is checked, the (short) validity window is not. */
function verified(input: unknown, type: string, setupId: string, where: string): { signer: string; body: unknown } {
  try {
    const envelope = verifyEnvelope(input, { now: new Date(0), expectedType: type, checkTime: false });
    return { signer: envelope.signer, body: envelope.body };
  } catch (error) {
    throw relayError(setupId, `${where}: the stored envelope does not verify (${(error as Error).message})`);
  }
}

/** Fetches a setup and verifies everything in it that the coordinator relays. */
export async function fetchSetup(client: CoordinatorClient, setupId: string): Promise<RelayedSetup> {
  const view = await client.get(`/api/v1/setups/${setupId}`, setupViewSchema);
  if (view.id !== setupId) throw relayError(setupId, `answered with setup ${view.id}`);

  const opened = verified(view.openEnvelope, MESSAGE_TYPES.setupOpen, setupId, 'openEnvelope');
  const open = setupOpenSchema.safeParse(opened.body);
  if (!open.success) throw relayError(setupId, 'openEnvelope: its body is not a setup.open statement');
  const shown = { name: view.name, network: view.network, threshold: view.threshold, keyholders: view.keyholders, mode: view.mode };
  const signed = { name: open.data.name, network: open.data.network, threshold: open.data.threshold, keyholders: open.data.keyholders, mode: open.data.mode };
  if (opened.signer !== view.openedBy || JSON.stringify(shown) !== JSON.stringify(signed) || Date.parse(view.expiresAt) !== Date.parse(open.data.expiresAt)) {
    throw relayError(setupId, 'shows other setup parameters than the opener signed');
  }

  const members = new Set<string>();
  const keyRecords = view.keyRecords.map((r, i): RelayedKeyRecord => {
    const where = `keyRecords[${i}]`;
    const env = verified(r.envelope, MESSAGE_TYPES.setupKeyRecord, setupId, where);
    const body = setupKeyRecordSchema.safeParse(env.body);
    if (!body.success || body.data.setupId !== setupId) throw relayError(setupId, `${where}: the envelope is not a key record for this setup`);
    const member = body.data.member ?? env.signer;
    // Only the opener relays a record for someone else (`setup import-key`).
    if (member !== env.signer && env.signer !== opened.signer) throw relayError(setupId, `${where}: relayed for ${member} by someone who is not the opener`);
    if (member !== r.member || env.signer !== r.submittedBy || body.data.record !== r.record) throw relayError(setupId, `${where}: differs from the envelope that carried it`);
    if (members.has(member)) throw relayError(setupId, `${where}: a second key record for member ${member}`);
    members.add(member);
    return { member, submittedBy: env.signer, sealed: body.data.record };
  });

  let descriptor: SetupDescriptorRecord | null = null;
  if (view.descriptorRecord !== null) {
    const env = verified(view.descriptorRecord.envelope, MESSAGE_TYPES.setupDescriptorRecord, setupId, 'descriptorRecord');
    const body = setupDescriptorRecordSchema.safeParse(env.body);
    if (!body.success || body.data.setupId !== setupId) throw relayError(setupId, 'descriptorRecord: the envelope is not a descriptor record for this setup');
    if (env.signer !== opened.signer) throw relayError(setupId, 'descriptorRecord: not signed by the opener');
    descriptor = body.data;
  }
  return { id: setupId, opener: opened.signer, open: open.data, status: view.status, keyRecords, descriptor };
}
