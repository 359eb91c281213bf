/**
 * The keystore file format, version 1: secrets encrypted at rest with a passphrase-derived key.
 *
 *   key        = scrypt(NFKC(passphrase), salt, N, r, p, dkLen = 32)
 *   ciphertext = XChaCha20-Poly1305(key, nonce, plaintext, ad = RFC 8785 canonical header)
 *   plaintext  = 0x01 || len(entropy) || BIP39 entropy || identity secret key (32 bytes)
 *
 * The header (everything but the ciphertext: format version, KDF parameters and salt, network,
 * and the public identity and account keys) is the AEAD's associated data, so altering any
 * clear field, or the ciphertext, makes decryption fail. Storing the BIP39 entropy instead of
 * the words keeps the plaintext in byte arrays that can be wiped; the words follow from it.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { identityKeySchema, keyOriginSchema, networkSchema } from '../../protocol/api';
import { canonicalBytes } from '../../protocol/canonical-json';
import { ConclaveError } from '../../protocol/errors';

export const KEYSTORE_FORMAT = 'conclave-keystore';
export const KEYSTORE_VERSION = 1;
const PLAINTEXT_VERSION = 0x01;
const IDENTITY_SECRET_BYTES = 32;

export interface ScryptParams { N: number; r: number; p: number }

/** Production cost: 128 MiB and about a second here, per scrypt's interactive-login guidance scaled up. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };
/** For tests only (CONCLAVE_TEST_FAST_KDF=1): cheap enough to create many keystores per run. */
export const TEST_SCRYPT: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));

export const kdfSchema = z.object({
  name: z.literal('scrypt'),
  // Bounded so that a doctored file cannot make unlocking allocate gigabytes.
  N: z.number().int().min(2 ** 10).max(2 ** 18).refine((n) => (n & (n - 1)) === 0, 'N must be a power of two'),
  r: z.number().int().min(1).max(16),
  p: z.number().int().min(1).max(4),
  salt: hex(32),
}).strict();

const headerSchema = z.object({
  format: z.literal(KEYSTORE_FORMAT),
  version: z.literal(KEYSTORE_VERSION),
  network: networkSchema,
  createdAt: z.iso.datetime(),
  identityKey: identityKeySchema,
  accountKey: keyOriginSchema,
  kdf: kdfSchema,
  cipher: z.object({ name: z.literal('xchacha20poly1305'), nonce: hex(24) }).strict(),
}).strict();
export type KeystoreHeader = z.infer<typeof headerSchema>;

export const keystoreFileSchema = headerSchema.extend({
  ciphertext: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/),
}).strict();
export type KeystoreFile = z.infer<typeof keystoreFileSchema>;

export type KeystorePublic = Pick<KeystoreHeader, 'network' | 'createdAt' | 'identityKey' | 'accountKey'>;

export interface KeystoreSecrets {
  /** BIP39 entropy (16 to 32 bytes). */
  entropy: Uint8Array;
  /** BIP340 identity secret key. */
  identitySecret: Uint8Array;
}

export function parseKeystoreFile(raw: unknown, where: string): KeystoreFile {
  const parsed = keystoreFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConclaveError('KEYSTORE_CORRUPT', `${where}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** The passphrase key of a keystore-format file; also seals the files beside it (sealed-file.ts). */
export function deriveKey(passphrase: string, kdf: KeystoreHeader['kdf']): Uint8Array {
  const password = utf8ToBytes(passphrase.normalize('NFKC'));
  try {
    return scrypt(password, hexToBytes(kdf.salt), { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: 32, maxmem: 2 ** 29 });
  } finally {
    password.fill(0);
  }
}

function headerOf(file: KeystoreFile): KeystoreHeader {
  const { ciphertext: _ciphertext, ...header } = file;
  return header;
}

export function encryptKeystore(
  pub: KeystorePublic,
  secrets: KeystoreSecrets,
  passphrase: string,
  options: { kdf: ScryptParams; randomBytes: (length: number) => Uint8Array },
): KeystoreFile {
  const header: KeystoreHeader = {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    network: pub.network,
    createdAt: pub.createdAt,
    identityKey: pub.identityKey,
    accountKey: pub.accountKey,
    kdf: { name: 'scrypt', ...options.kdf, salt: bytesToHex(options.randomBytes(32)) },
    cipher: { name: 'xchacha20poly1305', nonce: bytesToHex(options.randomBytes(24)) },
  };
  const plaintext = encodeSecrets(secrets);
  const key = deriveKey(passphrase, header.kdf);
  try {
    const ciphertext = xchacha20poly1305(key, hexToBytes(header.cipher.nonce), canonicalBytes(header)).encrypt(plaintext);
    return { ...header, ciphertext: Buffer.from(ciphertext).toString('base64') };
  } finally {
    key.fill(0);
    plaintext.fill(0);
  }
}

/** Throws KEYSTORE_PASSPHRASE when the passphrase is wrong or any byte of the file was altered. */
export function decryptKeystore(file: KeystoreFile, passphrase: string): KeystoreSecrets {
  const header = headerOf(file);
  const key = deriveKey(passphrase, header.kdf);
  let plaintext: Uint8Array;
  try {
    plaintext = xchacha20poly1305(key, hexToBytes(header.cipher.nonce), canonicalBytes(header))
      .decrypt(Buffer.from(file.ciphertext, 'base64'));
  } catch {
    throw new ConclaveError('KEYSTORE_PASSPHRASE', 'keystore: the passphrase is wrong or the file was altered');
  } finally {
    key.fill(0);
  }
  try {
    return decodeSecrets(plaintext);
  } finally {
    plaintext.fill(0);
  }
}

function encodeSecrets({ entropy, identitySecret }: KeystoreSecrets): Uint8Array {
  const out = new Uint8Array(2 + entropy.length + identitySecret.length);
  out[0] = PLAINTEXT_VERSION;
  out[1] = entropy.length;
  out.set(entropy, 2);
  out.set(identitySecret, 2 + entropy.length);
  return out;
}

function decodeSecrets(plaintext: Uint8Array): KeystoreSecrets {
  const entropyLength = plaintext[1] ?? 0;
  const valid = plaintext[0] === PLAINTEXT_VERSION && [16, 20, 24, 28, 32].includes(entropyLength)
    && plaintext.length === 2 + entropyLength + IDENTITY_SECRET_BYTES;
  if (!valid) throw new ConclaveError('KEYSTORE_CORRUPT', 'keystore: decrypted secrets have an unknown layout');
  return {
    entropy: plaintext.slice(2, 2 + entropyLength),
    identitySecret: plaintext.slice(2 + entropyLength),
  };
}
