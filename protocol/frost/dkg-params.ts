/**
 * The parameters of one FROST distributed key generation (DESIGN.md, "Two kinds of vault"):
 * a random setup id, the network, the threshold t and the n participants' identity keys in a
 * fixed order. Participant i (0-based) is FROST identifier i+1 (`Identifier.fromNumber`), so
 * every party derives the same identifiers from the same params. `setupParamsHash` is a
 * tagged hash of the RFC 8785 form; every DKG message is bound to it and to the setup id,
 * so a message from another setup, or from a setup with other members, never verifies here.
 *
 * The params are proposed through the coordinator, so each keyholder MUST compare the
 * participant keys with their pinned identity keys (fingerprints checked out of band)
 * before starting a DKG on them.
 */
import { secp256k1, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { identityKeySchema, networkSchema } from '../api';
import { vaultPolicySchema } from '../policy';
import { canonicalBytes } from '../canonical-json';
import { ConclaveError } from '../errors';
import { taggedHashHex } from '../hashing';

/** Two at least: with one, a single keyholder could spend alone (DESIGN.md, invariant 2). */
export const FROST_MIN_THRESHOLD = 2;
/** The most participants a setup may have, as for script multisig vaults. */
export const FROST_MAX_PARTICIPANTS = 15;
export const SETUP_ID_BYTES = 16;

export const hexBytes = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes of lowercase hex`);

// No trimming: params are hashed as received, so a parse must not change them.
const name = z.string().min(1).max(80).refine((s) => !s.includes('\u0000'), 'must not contain NUL (U+0000)');

export const frostParticipantSchema = z.object({
  /** x-only BIP340 identity key (protocol/identity.ts). */
  identityKey: identityKeySchema,
  /** A label for people; it is hashed into the params like everything else. */
  name: name.optional(),
}).strict();

/**
 * The vault the DKG makes, as the participants agree to it: its name and the policy every
 * signer will pin. Being in the params, they are in every message's params hash and in the
 * transcript all n participants sign, so no one can be shown another policy than the others.
 */
export const frostVaultTermsSchema = z.object({
  name,
  policy: vaultPolicySchema,
}).strict();

export const frostSetupParamsSchema = z.object({
  setupId: hexBytes(SETUP_ID_BYTES),
  network: networkSchema,
  vault: frostVaultTermsSchema,
  threshold: z.number().int().min(FROST_MIN_THRESHOLD).max(FROST_MAX_PARTICIPANTS),
  participants: z.array(frostParticipantSchema).min(FROST_MIN_THRESHOLD).max(FROST_MAX_PARTICIPANTS),
}).strict().superRefine((params, ctx) => {
  if (params.threshold > params.participants.length) {
    ctx.addIssue({ code: 'custom', path: ['threshold'], message: `must be at most the number of participants (${params.participants.length})` });
  }
  const seen = new Map<string, number>();
  params.participants.forEach((p, i) => {
    const first = seen.get(p.identityKey);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['participants', i, 'identityKey'], message: `duplicates participants[${first}]: one person cannot hold two shares` });
    }
    seen.set(p.identityKey, i);
  });
});

export type FrostParticipant = z.infer<typeof frostParticipantSchema>;
export type FrostSetupParams = z.infer<typeof frostSetupParamsSchema>;

function paramsFailure(message: string): ConclaveError {
  return new ConclaveError('FROST_DKG_PARAMS_INVALID', message);
}

/** Lifts an x-only key to the point with even Y (BIP340); throws when x is not on the curve. */
export function liftXOnly(identityKey: string): Uint8Array {
  const compressed = hexToBytes(`02${identityKey}`);
  secp256k1.Point.fromBytes(compressed).assertValidity();
  return compressed;
}

/** Parses and checks setup params: shape, 2 <= t <= n <= 15, distinct keys that are on the curve. */
export function parseFrostSetupParams(input: unknown): FrostSetupParams {
  const parsed = frostSetupParamsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw paramsFailure(`params.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  parsed.data.participants.forEach((p, i) => {
    try {
      liftXOnly(p.identityKey);
    } catch {
      throw paramsFailure(`params.participants.${i}.identityKey: not an x coordinate on secp256k1`);
    }
  });
  return parsed.data;
}

export function setupParamsHash(params: FrostSetupParams): string {
  return taggedHashHex('Conclave/frost-dkg/params', canonicalBytes(params));
}

/** A fresh setup id from injected randomness. */
export function newSetupId(randomBytes: (length: number) => Uint8Array): string {
  return bytesToHex(randomBytes(SETUP_ID_BYTES));
}

/** FROST identifier of participant `index` (0-based): the scalar index+1 as noble serialises it. */
export function participantIdentifier(index: number): string {
  return schnorr_FROST.Identifier.fromNumber(index + 1);
}

/** Index of the participant with this identifier, or -1. */
export function participantIndexOfIdentifier(params: FrostSetupParams, identifier: string): number {
  for (let i = 0; i < params.participants.length; i++) {
    if (participantIdentifier(i) === identifier) return i;
  }
  return -1;
}

/** Index of the participant with this identity key, or -1. */
export function participantIndexOfKey(params: FrostSetupParams, identityKey: string): number {
  return params.participants.findIndex((p) => p.identityKey === identityKey);
}

/**
 * How error messages name a participant: its 1-based number (equal to its FROST identifier),
 * its name if any, and the start of its identity key, e.g. `participant 2 "Bob" (key 1a2b3c4d…)`.
 */
export function participantLabel(params: FrostSetupParams, index: number): string {
  const p = params.participants[index];
  if (p === undefined) return `participant ${index + 1}`;
  const label = p.name === undefined ? '' : ` ${JSON.stringify(p.name)}`;
  return `participant ${index + 1}${label} (key ${p.identityKey.slice(0, 8)}…)`;
}
