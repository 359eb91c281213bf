/**
 * Secrets that live beside the keystore in files of their own (a FROST DKG state between
 * rounds, a FROST key share), sealed under the keystore passphrase with the keystore's own
 * construction (keystore-format.ts):
 *
 *   key        = scrypt(NFKC(passphrase), salt, N, r, p, dkLen = 32)   N, r, p as the keystore's
 *   ciphertext = XChaCha20-Poly1305(key, nonce, plaintext, ad = RFC 8785 canonical header)
 *
 * The header says what the file holds (`purpose`), for what (`subject`, e.g. a setup id) and
 * whose it is (`identityKey`); being the AEAD's associated data, a file moved into another's
 * place, or with any clear field changed, fails to open instead of being read as something else.
 *
 * scrypt is deliberately slow, and a DKG writes several files, so a `SealingKey` derives the key
 * of a salt once per command and reuses it for every file it writes (each with a fresh random
 * 24-byte nonce, which XChaCha20 makes safe to draw at random). `wipe()` zeroes the keys.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { existsSync, readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';
import { identityKeySchema } from '../../protocol/api';
import { canonicalBytes } from '../../protocol/canonical-json';
import { ConclaveError } from '../../protocol/errors';
import { writeFileAtomic } from '../files';
import { deriveKey, kdfSchema, type ScryptParams } from './keystore-format';

export const SEALED_FORMAT = 'conclave-sealed';
export const SEALED_VERSION = 1;
/** Bounds what a file may hold: a 15-party DKG state or share record is some tens of kB. */
const MAX_SEALED_BYTES = 1 << 20;

export const sealedHeaderSchema = z.object({
  format: z.literal(SEALED_FORMAT),
  version: z.literal(SEALED_VERSION),
  purpose: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
  subject: z.string().regex(/^[0-9A-Za-z-]{1,64}$/),
  identityKey: identityKeySchema,
  kdf: kdfSchema,
  cipher: z.object({ name: z.literal('xchacha20poly1305'), nonce: z.string().regex(/^[0-9a-f]{48}$/) }).strict(),
}).strict();
export type SealedHeader = z.infer<typeof sealedHeaderSchema>;

const sealedFileSchema = sealedHeaderSchema.extend({ ciphertext: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/) }).strict();
export type SealedFile = z.infer<typeof sealedFileSchema>;

/** What a sealed file must be: its purpose, subject and owner are checked before decryption. */
export interface SealedLabel { purpose: string; subject: string; identityKey: string }

export class SealingKey {
  #passphrase: string;
  readonly #kdf: ScryptParams;
  readonly #randomBytes: (length: number) => Uint8Array;
  /** Derived keys by salt; the most recent one seals new files. */
  readonly #keys = new Map<string, { kdf: SealedHeader['kdf']; key: Uint8Array }>();
  #sealWith: string | undefined;
  #wiped = false;

  /** `passphrase` MUST be the keystore's (the caller unlocks the keystore with it first). */
  constructor(passphrase: string, kdf: ScryptParams, randomBytes: (length: number) => Uint8Array) {
    this.#passphrase = passphrase;
    this.#kdf = kdf;
    this.#randomBytes = randomBytes;
  }

  private keyFor(kdf: SealedHeader['kdf']): Uint8Array {
    const cached = this.#keys.get(kdf.salt);
    if (cached !== undefined && cached.kdf.N === kdf.N && cached.kdf.r === kdf.r && cached.kdf.p === kdf.p) return cached.key;
    if (this.#wiped) throw new ConclaveError('INTERNAL', 'sealing key: used after wipe()');
    const key = deriveKey(this.#passphrase, kdf);
    this.#keys.set(kdf.salt, { kdf, key });
    return key;
  }

  seal(label: SealedLabel, plaintext: Uint8Array): SealedFile {
    let kdf = this.#sealWith === undefined ? undefined : this.#keys.get(this.#sealWith)?.kdf;
    if (kdf === undefined) {
      kdf = { name: 'scrypt', ...this.#kdf, salt: bytesToHex(this.#randomBytes(32)) };
      this.#sealWith = kdf.salt;
    }
    const header: SealedHeader = {
      format: SEALED_FORMAT, version: SEALED_VERSION, ...label, kdf,
      cipher: { name: 'xchacha20poly1305', nonce: bytesToHex(this.#randomBytes(24)) },
    };
    const checked = sealedHeaderSchema.parse(header);
    const ciphertext = xchacha20poly1305(this.keyFor(kdf), hexToBytes(checked.cipher.nonce), canonicalBytes(checked)).encrypt(plaintext);
    return { ...checked, ciphertext: Buffer.from(ciphertext).toString('base64') };
  }

  /** Throws KEYSTORE_PASSPHRASE when the passphrase is wrong or any byte of the file was altered. */
  open(file: SealedFile, expected: SealedLabel, where: string): Uint8Array {
    const { ciphertext, ...header } = file;
    if (header.purpose !== expected.purpose || header.subject !== expected.subject || header.identityKey !== expected.identityKey) {
      throw new ConclaveError('KEYSTORE_CORRUPT', `${where}: holds ${header.purpose} ${header.subject} of ${header.identityKey.slice(0, 8)}…, not ${expected.purpose} ${expected.subject} of this signer`);
    }
    const key = this.keyFor(header.kdf);
    try {
      const plaintext = xchacha20poly1305(key, hexToBytes(header.cipher.nonce), canonicalBytes(header))
        .decrypt(Buffer.from(ciphertext, 'base64'));
      // New files are sealed under the key just proven right: no second scrypt in this command.
      this.#sealWith ??= header.kdf.salt;
      return plaintext;
    } catch {
      throw new ConclaveError('KEYSTORE_PASSPHRASE', `${where}: the passphrase is wrong or the file was altered`);
    }
  }

  wipe(): void {
    for (const { key } of this.#keys.values()) key.fill(0);
    this.#keys.clear();
    this.#sealWith = undefined;
    this.#passphrase = '';
    this.#wiped = true;
  }

  toJSON(): string {
    return '[redacted sealing key]';
  }

  [inspect.custom](): string {
    return 'SealingKey [redacted]';
  }
}

/** Writes a sealed JSON value durably (0600, atomic). The plaintext bytes are zeroed afterwards. */
export function writeSealedJson(path: string, sealing: SealingKey, label: SealedLabel, value: unknown): void {
  const plaintext = Buffer.from(JSON.stringify(value), 'utf8');
  try {
    const file = sealing.seal(label, new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length));
    writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  } finally {
    plaintext.fill(0);
  }
}

/** Reads and opens a sealed JSON file; null when there is none. */
export function readSealedJson(path: string, sealing: SealingKey, label: SealedLabel): unknown {
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    if (text.length > MAX_SEALED_BYTES * 2) throw new Error('too large');
    raw = JSON.parse(text);
  } catch {
    throw new ConclaveError('KEYSTORE_CORRUPT', `${path}: not a sealed file (invalid JSON)`);
  }
  const parsed = sealedFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConclaveError('KEYSTORE_CORRUPT', `${path}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const plaintext = sealing.open(parsed.data, label, path);
  try {
    return JSON.parse(Buffer.from(plaintext).toString('utf8'));
  } catch {
    throw new ConclaveError('KEYSTORE_CORRUPT', `${path}: the decrypted content is not JSON`);
  } finally {
    plaintext.fill(0);
  }
}
