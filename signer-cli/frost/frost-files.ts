/**
 * A keyholder's FROST secrets at rest (issue 4, point 2), in `<home>/frost/` (0700), each file
 * sealed under the keystore passphrase (keystore/sealed-file.ts: scrypt + XChaCha20-Poly1305):
 *
 *   frost/<setupId>.dkg    the DKG state between rounds (protocol/frost/dkg-state.ts): this
 *                          signer's SECRET polynomial, its own signed messages to resend after a
 *                          crash. Written before each message leaves; deleted once the share is saved.
 *   frost/<setupId>.share  the result: this signer's SECRET base share, with the public base key
 *                          package, chain code, transcript hash, its own confirmation and, once
 *                          the DKG completes, the certificate (recovery data) and the vault id.
 *
 * Files are named by setup id, not vault id: the share MUST be durable before this signer's
 * confirmation leaves (invariant 9), and the vault only exists once every confirmation is in.
 * The pin in state.json maps the vault to its setup (`frost.setupId`); state.json itself holds
 * only public facts. Nothing here is ever printed: `LoadedFrostShare` redacts itself.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { hash256Schema, idSchema, networkSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import {
  assertBaseKey, assertBaseShare, confirmationMessageSchema, dkgCertificateSchema, hexBytes, parseDkgState, serializeDkgState,
  type DkgCertificate, type DkgState, type FrostBaseKey, type FrostBaseShare,
} from '../../protocol/frost';
import type { NetworkName } from '../../protocol/network';
import type { CliContext } from '../context';
import { ensurePrivateDir, removeFileDurably } from '../files';
import { readKeystoreKdf, unlockKeystore, type UnlockedKeystore } from '../keystore/keystore';
import { readSealedJson, SealingKey, writeSealedJson } from '../keystore/sealed-file';
import { passphraseToUnlock } from '../passphrase';
import type { SignerState } from '../state/state-file';

export const FROST_DIR = 'frost';
const DKG_PURPOSE = 'frost-dkg-state';
const SHARE_PURPOSE = 'frost-share';

const hex33 = hexBytes(33);

/** The share file's content. `signingShare` is SECRET; everything else is public. */
export const frostShareRecordSchema = z.object({
  v: z.literal(1),
  kind: z.literal('conclave.frost-share'),
  setupId: hexBytes(16),
  network: networkSchema,
  vaultName: z.string(),
  paramsHash: hash256Schema,
  transcriptHash: hash256Schema,
  /** 0-based position in the params; the FROST identifier is myIndex + 1. */
  myIndex: z.number().int().min(0).max(14),
  identifier: hexBytes(32),
  /** SECRET: this signer's untweaked base share (protocol/frost/group-key.ts FrostBaseShare). */
  signingShare: hexBytes(32),
  /** The public base key package (FrostBaseKey), hex. */
  key: z.object({
    threshold: z.number().int().min(2).max(15),
    identifiers: z.array(hexBytes(32)).min(2).max(15),
    groupKey: hex33,
    commitments: z.array(hex33).min(2).max(15),
    verifyingShares: z.record(hexBytes(32), hex33),
  }).strict(),
  chainCode: hexBytes(32),
  groupXpub: z.string(),
  descriptor: z.string(),
  firstAddress: z.string(),
  /** This signer's own signed confirmation, resent unchanged after a crash. */
  confirmation: confirmationMessageSchema,
  certificate: dkgCertificateSchema.nullable(),
  vaultId: idSchema.nullable(),
}).strict();
export type FrostShareRecord = z.infer<typeof frostShareRecordSchema>;

export function frostDir(home: string): string {
  return join(home, FROST_DIR);
}

export function dkgStatePath(home: string, setupId: string): string {
  return join(frostDir(home), `${setupId}.dkg`);
}

export function sharePath(home: string, setupId: string): string {
  return join(frostDir(home), `${setupId}.share`);
}

/** The sealed FROST files of one signer, opened with its keystore passphrase. */
export class FrostSecretStore {
  /** `sealing` also seals the nonce store (nonce-store.ts), so a listen session derives its key once. */
  constructor(readonly home: string, readonly identityKey: string, readonly sealing: SealingKey) {}

  hasDkgState(setupId: string): boolean {
    return existsSync(dkgStatePath(this.home, setupId));
  }

  hasShare(setupId: string): boolean {
    return existsSync(sharePath(this.home, setupId));
  }

  /** Durable before return: called before any message computed from `state` leaves the machine. */
  saveDkgState(state: DkgState): void {
    ensurePrivateDir(frostDir(this.home));
    writeSealedJson(dkgStatePath(this.home, state.params.setupId), this.sealing, this.label(DKG_PURPOSE, state.params.setupId), serializeDkgState(state));
  }

  /** The saved state, checked (parseDkgState) and for this signer's identity key; null when there is none. */
  loadDkgState(setupId: string): DkgState | null {
    const path = dkgStatePath(this.home, setupId);
    const raw = readSealedJson(path, this.sealing, this.label(DKG_PURPOSE, setupId));
    if (raw === null) return null;
    const state = parseDkgState(raw);
    if (state.params.setupId !== setupId || state.params.participants[state.myIndex].identityKey !== this.identityKey) {
      throw new ConclaveError('FROST_DKG_STATE_INVALID', `${path}: holds the state of another setup or another keyholder`);
    }
    return state;
  }

  deleteDkgState(setupId: string): void {
    removeFileDurably(dkgStatePath(this.home, setupId));
  }

  saveShare(record: FrostShareRecord): void {
    const checked = frostShareRecordSchema.parse(record);
    ensurePrivateDir(frostDir(this.home));
    writeSealedJson(sharePath(this.home, record.setupId), this.sealing, this.label(SHARE_PURPOSE, record.setupId), checked);
  }

  loadShareRecord(setupId: string): FrostShareRecord | null {
    const path = sharePath(this.home, setupId);
    const raw = readSealedJson(path, this.sealing, this.label(SHARE_PURPOSE, setupId));
    if (raw === null) return null;
    const parsed = frostShareRecordSchema.safeParse(raw);
    if (!parsed.success || parsed.data.setupId !== setupId) {
      throw new ConclaveError('KEYSTORE_CORRUPT', `${path}: not a FROST share record for setup ${setupId}`);
    }
    return parsed.data;
  }

  wipe(): void {
    this.sealing.wipe();
  }

  private label(purpose: string, subject: string) {
    return { purpose, subject, identityKey: this.identityKey };
  }
}

/** The base key package as the share file stores it (hex). */
export function encodeBaseKey(key: FrostBaseKey): FrostShareRecord['key'] {
  const verifyingShares: Record<string, string> = {};
  for (const id of key.identifiers) verifyingShares[id] = bytesToHex(key.verifyingShares[id]);
  return {
    threshold: key.threshold,
    identifiers: [...key.identifiers],
    groupKey: bytesToHex(key.groupKey),
    commitments: key.commitments.map((c) => bytesToHex(c)),
    verifyingShares,
  };
}

function decodeBaseKey(key: FrostShareRecord['key']): FrostBaseKey {
  const verifyingShares: Record<string, Uint8Array> = {};
  for (const [id, v] of Object.entries(key.verifyingShares)) verifyingShares[id] = hexToBytes(v);
  return {
    threshold: key.threshold,
    identifiers: key.identifiers,
    groupKey: hexToBytes(key.groupKey),
    commitments: key.commitments.map((c) => hexToBytes(c)),
    verifyingShares,
  };
}

/**
 * A FROST vault's key as this signer holds it, for signing (protocol/frost/child-key.ts
 * `childSigningKey(key, share, chainCode, change, index)`). `share.signingShare` is SECRET:
 * use it, then `wipe()`.
 */
export class LoadedFrostShare {
  constructor(
    readonly vaultId: string,
    readonly setupId: string,
    readonly network: NetworkName,
    readonly key: FrostBaseKey,
    readonly share: FrostBaseShare,
    readonly chainCode: Uint8Array,
    readonly transcriptHash: string,
    readonly descriptor: string,
    /** The DKG's success certificate (public recovery data). */
    readonly certificate: DkgCertificate,
  ) {}

  wipe(): void {
    this.share.signingShare.fill(0);
  }

  toJSON(): Record<string, unknown> {
    return { vaultId: this.vaultId, setupId: this.setupId, identifier: this.share.identifier, transcriptHash: this.transcriptHash, signingShare: '[redacted]' };
  }

  [inspect.custom](): string {
    return `LoadedFrostShare { vaultId: '${this.vaultId}', identifier: '${this.share.identifier}', signingShare: <redacted> }`;
  }
}

/**
 * The FROST share of a pinned `tr-frost` vault, for the signing code. Checks that the pin and
 * the share file agree (setup, vault, transcript, identifier) and that the share belongs to the
 * key (assertBaseShare). Errors: NOT_PINNED, VAULT_KIND_UNSUPPORTED (a multisig vault),
 * FROST_SHARE_MISSING, KEYSTORE_PASSPHRASE / KEYSTORE_CORRUPT (the file).
 */
export function loadFrostShare(secrets: FrostSecretStore, state: SignerState, vaultId: string): LoadedFrostShare {
  const pinned = state.vaults.find((v) => v.vaultId === vaultId);
  if (pinned === undefined) throw new ConclaveError('NOT_PINNED', `vault ${vaultId}: not pinned by this signer`, { vaultId });
  if (pinned.kind !== 'tr-frost' || pinned.frost === undefined) {
    throw new ConclaveError('VAULT_KIND_UNSUPPORTED', `vault ${vaultId}: a script-multisig vault has no FROST share`);
  }
  const { setupId } = pinned.frost;
  const record = secrets.loadShareRecord(setupId);
  if (record === null) {
    throw new ConclaveError('FROST_SHARE_MISSING', `vault ${vaultId}: ${sharePath(secrets.home, setupId)} is missing`, { vaultId, setupId });
  }
  const mismatch = record.vaultId !== vaultId || record.certificate === null || record.transcriptHash !== pinned.frost.transcriptHash
    || record.identifier !== pinned.frost.identifier || record.descriptor !== pinned.descriptor;
  if (mismatch) {
    throw new ConclaveError('KEYSTORE_CORRUPT', `${sharePath(secrets.home, setupId)}: does not match the pinned vault ${vaultId} (vault, transcript, identifier or descriptor)`);
  }
  const key = decodeBaseKey(record.key);
  const share: FrostBaseShare = { identifier: record.identifier, signingShare: hexToBytes(record.signingShare) };
  try {
    assertBaseKey(key);
    assertBaseShare(key, share);
  } catch (error) {
    share.signingShare.fill(0);
    throw new ConclaveError('KEYSTORE_CORRUPT', `${sharePath(secrets.home, setupId)}: ${(error as Error).message}`);
  }
  return new LoadedFrostShare(vaultId, setupId, record.network, key, share, hexToBytes(record.chainCode), record.transcriptHash, record.descriptor, record.certificate as DkgCertificate);
}

/**
 * Asks for the passphrase once, unlocks the keystore with it (which proves it right), and opens
 * the FROST secret files with the same passphrase; runs `fn` and wipes everything afterwards.
 */
export async function withFrostSecrets<T>(ctx: CliContext, fn: (keystore: UnlockedKeystore, secrets: FrostSecretStore) => Promise<T>): Promise<T> {
  const kdf = readKeystoreKdf(ctx.home); // KEYSTORE_MISSING before asking for a passphrase
  const passphrase = await passphraseToUnlock(ctx.options);
  ctx.out.progress('Unlocking keystore...');
  const keystore = unlockKeystore(ctx.home, passphrase);
  const secrets = new FrostSecretStore(ctx.home, keystore.identityKey, new SealingKey(passphrase, kdf, (n) => new Uint8Array(randomBytes(n))));
  try {
    // Held by the context meanwhile, so a read that needs a REST session signs it in with this keystore.
    return await ctx.holding(keystore, () => fn(keystore, secrets));
  } finally {
    secrets.wipe();
    keystore.wipe();
  }
}
