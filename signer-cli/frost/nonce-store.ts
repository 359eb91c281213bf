/**
 * The signer's FROST signing nonces at rest (RFC 9591 section 5.1: nonces MUST NOT be reused;
 * DESIGN.md invariant 4). noble zeroes a nonce object once it signed, but a byte copy reloaded
 * from disk would sign again, so the rule "a nonce pair signs at most once, also across
 * crashes" is kept here. One file per commitment, sealed like the share (sealed-file.ts,
 * purpose `frost-nonces`, subject the commitment id, bound to this signer's identity key):
 *
 *   frost/nonces/<commitmentId>.nonce   `fresh`: withdrawal, vault, intent hash and unsigned
 *                                       txid it was made for, the public commitments and the
 *                                       SECRET nonces (encodeNonces), one pair per input;
 *                                       `spent`: the same public facts, no secret, and why.
 *
 * Rules (every write is atomic and durable: temporary file fsynced, renamed, directory fsynced):
 * - `create` returns only once the fresh record is on disk: the commit statement is sent after.
 * - `take` replaces the fresh record by its spent record on disk and only then returns the
 *   nonces, under a lock file shared by every process on this home: a share made with them can
 *   leave the machine only afterwards, and two processes never both take one pair.
 * - `take` of a spent, discarded or unknown commitment refuses with FROST_NONCE_USED. After a
 *   crash at any point the store holds either the fresh record or the spent one, so a nonce
 *   pair can never sign a second time; at worst a session goes without this signer's share.
 * - `discard` spends a fresh record without using it (its session ended, or the transaction
 *   was replaced), so nothing can ever sign with it later.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { hash256Schema, idSchema, txidSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { COMMITMENT_ID_BYTES, MAX_FROST_INPUTS, type Nonces, decodeNonces, encodeNonces, hexBytes } from '../../protocol/frost';
import { ensurePrivateDir } from '../files';
import { readSealedJson, type SealingKey, writeSealedJson } from '../keystore/sealed-file';
import { FileLock } from '../state/file-lock';
import { frostDir } from './frost-files';

export const NONCES_DIR = 'nonces';
const PURPOSE = 'frost-nonces';
const FILE_PATTERN = /^([0-9a-f]{32})\.nonce$/;
const LOCK_TIMEOUT_MS = 10_000;

const commitmentSchema = z.object({ hiding: hexBytes(33), binding: hexBytes(33) }).strict();

/** A nonce file's content. `nonces` is SECRET and present only while the record is fresh. */
const nonceRecordSchema = z.object({
  v: z.literal(1),
  kind: z.literal('conclave.frost-nonces'),
  state: z.enum(['fresh', 'spent']),
  withdrawalId: idSchema,
  vaultId: idSchema,
  intentHash: hash256Schema,
  unsignedTxid: txidSchema,
  commitmentId: hexBytes(COMMITMENT_ID_BYTES),
  /** Public, per input in input order: what the commit statement carries. */
  commitments: z.array(commitmentSchema).min(1).max(MAX_FROST_INPUTS),
  /** SECRET, per input: encodeNonces as hex (version byte, hiding, binding). Null once spent. */
  nonces: z.array(hexBytes(65)).nullable(),
  createdAt: z.iso.datetime(),
  /** Why the record is spent: its nonces signed in `sessionId`, or were discarded unused. */
  spent: z.object({ at: z.iso.datetime(), reason: z.enum(['signed', 'discarded']), sessionId: idSchema.nullable() }).strict().nullable(),
}).strict().refine(
  (r) => (r.state === 'fresh' ? r.nonces !== null && r.nonces.length === r.commitments.length && r.spent === null : r.nonces === null && r.spent !== null),
  { message: 'a fresh record holds one nonce pair per input and no spent facts; a spent record holds no nonces' },
);
type NonceRecord = z.infer<typeof nonceRecordSchema>;

/** What callers see of a record: everything but the secret nonces. */
export type StoredCommitment = Omit<NonceRecord, 'nonces' | 'v' | 'kind'>;

export interface NewCommitment {
  withdrawalId: string;
  vaultId: string;
  intentHash: string;
  unsignedTxid: string;
  commitmentId: string;
  commitments: ReadonlyArray<{ hiding: string; binding: string }>;
  /** One pair per input, as commitNonces made them; encoded here, the caller wipes its copies. */
  nonces: readonly Nonces[];
}

export function nonceDir(home: string): string {
  return join(frostDir(home), NONCES_DIR);
}

export function noncePath(home: string, commitmentId: string): string {
  return join(nonceDir(home), `${commitmentId}.nonce`);
}

export class NonceStore {
  private readonly lock: FileLock;

  /** `sealing` MUST be opened with the keystore passphrase (withFrostSecrets); `listen` keeps one for its session. */
  constructor(readonly home: string, readonly identityKey: string, private readonly sealing: SealingKey, lockTimeoutMs = LOCK_TIMEOUT_MS) {
    this.lock = new FileLock(join(frostDir(home), 'nonces.lock'), lockTimeoutMs);
  }

  /** Stores fresh nonces durably; returns once they are on disk. Refuses an id already used here. */
  create(input: NewCommitment, now: Date): StoredCommitment {
    const where = `frost nonces ${input.commitmentId}`;
    if (input.nonces.length !== input.commitments.length) {
      throw new ConclaveError('VALIDATION_FAILED', `${where}: ${input.nonces.length} nonce pairs for ${input.commitments.length} commitments`);
    }
    const record = nonceRecordSchema.parse({
      v: 1, kind: 'conclave.frost-nonces', state: 'fresh',
      withdrawalId: input.withdrawalId, vaultId: input.vaultId, intentHash: input.intentHash, unsignedTxid: input.unsignedTxid,
      commitmentId: input.commitmentId, commitments: input.commitments.map((c) => ({ hiding: c.hiding, binding: c.binding })),
      nonces: input.nonces.map((n) => bytesToHex(encodeNonces(n))), createdAt: now.toISOString(), spent: null,
    } satisfies NonceRecord);
    return this.locked(() => {
      if (existsSync(noncePath(this.home, input.commitmentId))) {
        throw new ConclaveError('VALIDATION_FAILED', `${where}: a commitment with this id exists already; never reuse an id`);
      }
      this.write(record);
      return publicPart(record);
    });
  }

  get(commitmentId: string): StoredCommitment | null {
    const record = this.read(commitmentId);
    return record === null ? null : publicPart(record);
  }

  /** Every record (of one withdrawal, when given), oldest first. */
  list(withdrawalId?: string): StoredCommitment[] {
    const dir = nonceDir(this.home);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((name) => FILE_PATTERN.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map((id) => this.read(id)!)
      .filter((r) => withdrawalId === undefined || r.withdrawalId === withdrawalId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.commitmentId.localeCompare(b.commitmentId))
      .map(publicPart);
  }

  /**
   * The nonces of a fresh commitment, for exactly one signing in `sessionId`: the record is
   * replaced by its spent record durably BEFORE they are returned. FROST_NONCE_USED when the
   * commitment is spent, discarded or unknown here.
   */
  take(commitmentId: string, sessionId: string, now: Date): Nonces[] {
    return this.locked(() => {
      const record = this.read(commitmentId);
      if (record === null) {
        throw new ConclaveError('FROST_NONCE_USED', `frost nonces ${commitmentId}: none stored by this signer (never made here, or removed); nothing is signed with them`, { commitmentId });
      }
      if (record.state !== 'fresh' || record.nonces === null) throw usedError(record);
      const nonces = record.nonces.map((hex) => decodeNonces(hexToBytes(hex)));
      this.write({ ...record, state: 'spent', nonces: null, spent: { at: now.toISOString(), reason: 'signed', sessionId } });
      return nonces;
    });
  }

  /** Spends a fresh commitment unused (its session ended, or its transaction was replaced); no-op otherwise. */
  discard(commitmentId: string, now: Date): void {
    this.locked(() => {
      const record = this.read(commitmentId);
      if (record === null || record.state !== 'fresh') return;
      this.write({ ...record, state: 'spent', nonces: null, spent: { at: now.toISOString(), reason: 'discarded', sessionId: null } });
    });
  }

  private locked<T>(fn: () => T): T {
    ensurePrivateDir(nonceDir(this.home));
    return this.lock.withLock(fn);
  }

  private write(record: NonceRecord): void {
    const checked = nonceRecordSchema.parse(record);
    writeSealedJson(noncePath(this.home, record.commitmentId), this.sealing, this.label(record.commitmentId), checked);
  }

  private read(commitmentId: string): NonceRecord | null {
    const path = noncePath(this.home, commitmentId);
    const raw = readSealedJson(path, this.sealing, this.label(commitmentId));
    if (raw === null) return null;
    const parsed = nonceRecordSchema.safeParse(raw);
    if (!parsed.success || parsed.data.commitmentId !== commitmentId) {
      throw new ConclaveError('KEYSTORE_CORRUPT', `${path}: not a FROST nonce record for commitment ${commitmentId}`);
    }
    return parsed.data;
  }

  private label(commitmentId: string) {
    return { purpose: PURPOSE, subject: commitmentId, identityKey: this.identityKey };
  }
}

function publicPart(record: NonceRecord): StoredCommitment {
  const { v: _v, kind: _kind, nonces: _nonces, ...rest } = record;
  return { ...rest, commitments: rest.commitments.map((c) => ({ ...c })), spent: rest.spent && { ...rest.spent } };
}

function usedError(record: NonceRecord): ConclaveError {
  const how = record.spent?.reason === 'signed' ? `signed in session ${record.spent.sessionId} at ${record.spent.at}` : `discarded unused at ${record.spent?.at}`;
  return new ConclaveError('FROST_NONCE_USED', `frost nonces ${record.commitmentId}: already spent (${how}); a nonce pair signs at most once`, {
    commitmentId: record.commitmentId, sessionId: record.spent?.sessionId ?? null,
  });
}
