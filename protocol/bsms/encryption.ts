/**
 * BIP129 "Encryption": "Key Derivation" and "Encryption Scheme".
 *
 *   ENCRYPTION_KEY = PBKDF2(PRF = SHA512, Password = "No SPOF", Salt = TOKEN bytes, c = 2048, dkLen = 256 bits)
 *   HMAC_KEY       = SHA256(ENCRYPTION_KEY)
 *   MAC            = HMAC-SHA256(HMAC_KEY, hex-encoded TOKEN || Data)
 *   IV             = first 16 bytes of MAC
 *   Ciphertext     = AES-256-CTR(ENCRYPTION_KEY, IV, Data)      sent as hex(MAC || Ciphertext)
 *
 * The salt is the token's bytes, while the MAC covers the token's hex text (as the reference
 * implementations and the vectors do). This is Encrypt-and-MAC: decryption MUST verify the MAC
 * over the decrypted plaintext before anything reads it, and does so in constant time.
 * The IV depends on the plaintext, so encryption is deterministic for a given token and record.
 */
import { ctr } from '@noble/ciphers/aes.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ConclaveError } from '../errors';
import { tokenMode } from './token';

const PASSWORD = 'No SPOF';
const PBKDF2_ITERATIONS = 2048;
const KEY_BYTES = 32;
const MAC_BYTES = 32;
const IV_BYTES = 16;
/** Largest record accepted: a 15-key descriptor record is about 2.5 KB. */
export const MAX_RECORD_BYTES = 16 * 1024;

export interface BsmsKeys {
  /** DKey: the AES-256 key. */
  readonly encryptionKey: Uint8Array;
  /** SHA256(ENCRYPTION_KEY): the HMAC key. */
  readonly hmacKey: Uint8Array;
}

function encryptedToken(token: string): string {
  if (tokenMode(token) === 'NO_ENCRYPTION') {
    throw new ConclaveError('BSMS_TOKEN_INVALID', 'bsms token: 00 means no encryption; there is no key to derive');
  }
  return token;
}

/** ENCRYPTION_KEY and HMAC_KEY of a STANDARD or EXTENDED token (canonical hex). */
export function deriveBsmsKeys(token: string): BsmsKeys {
  const salt = hexToBytes(encryptedToken(token));
  const encryptionKey = pbkdf2(sha512, utf8ToBytes(PASSWORD), salt, { c: PBKDF2_ITERATIONS, dkLen: KEY_BYTES });
  return { encryptionKey, hmacKey: sha256(encryptionKey) };
}

function mac(keys: BsmsKeys, token: string, plaintext: Uint8Array): Uint8Array {
  return hmac(sha256, keys.hmacKey, concatBytes(utf8ToBytes(token), plaintext));
}

/** hex(MAC || Ciphertext) of a record (its exact text, as sent) under a STANDARD or EXTENDED token. */
export function encryptRecord(token: string, record: string): string {
  const keys = deriveBsmsKeys(token);
  const plaintext = utf8ToBytes(record);
  if (plaintext.length === 0 || plaintext.length > MAX_RECORD_BYTES) {
    throw new ConclaveError('BSMS_RECORD_INVALID', `bsms record: must be 1..${MAX_RECORD_BYTES} bytes, got ${plaintext.length}`);
  }
  const tag = mac(keys, token, plaintext);
  const ciphertext = ctr(keys.encryptionKey, tag.slice(0, IV_BYTES)).encrypt(plaintext);
  return bytesToHex(concatBytes(tag, ciphertext));
}

/**
 * The record inside MAC || Ciphertext (raw bytes, as some hardware signers write `.dat`
 * files). Throws BSMS_DECRYPT when the MAC does not verify: a wrong token and altered data
 * look the same, and nothing of the unauthenticated plaintext is revealed.
 */
export function decryptRecordBytes(token: string, data: Uint8Array): string {
  const keys = deriveBsmsKeys(token);
  if (data.length <= MAC_BYTES || data.length > MAC_BYTES + MAX_RECORD_BYTES) {
    throw new ConclaveError('BSMS_RECORD_INVALID',
      `bsms encrypted record: must be a 32-byte MAC and 1..${MAX_RECORD_BYTES} bytes of ciphertext, got ${data.length} bytes in all`);
  }
  const tag = data.slice(0, MAC_BYTES);
  const plaintext = ctr(keys.encryptionKey, tag.slice(0, IV_BYTES)).decrypt(data.slice(MAC_BYTES));
  if (!equalBytes(mac(keys, token, plaintext), tag)) {
    throw new ConclaveError('BSMS_DECRYPT',
      'bsms encrypted record: MAC does not verify; the token is not this session\'s, or the record was altered in transit');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
  } catch {
    throw new ConclaveError('BSMS_RECORD_INVALID', 'bsms encrypted record: the authenticated plaintext is not UTF-8 text');
  }
}

/** The record inside hex(MAC || Ciphertext); see decryptRecordBytes. */
export function decryptRecord(token: string, hex: string): string {
  const text = hex.trim();
  if (!/^[0-9a-fA-F]*$/.test(text) || text.length % 2 !== 0) {
    throw new ConclaveError('BSMS_RECORD_INVALID', 'bsms encrypted record: must be hex (MAC || ciphertext)');
  }
  if (text.length > 2 * (MAC_BYTES + MAX_RECORD_BYTES)) {
    throw new ConclaveError('BSMS_RECORD_INVALID', `bsms encrypted record: longer than ${MAX_RECORD_BYTES} bytes of ciphertext`);
  }
  return decryptRecordBytes(token, hexToBytes(text.toLowerCase()));
}

/** What a party sends: the record itself with token `00`, else hex(MAC || Ciphertext). */
export function sealRecord(token: string, record: string): string {
  return tokenMode(token) === 'NO_ENCRYPTION' ? record : encryptRecord(token, record);
}

/** The record from what a party sent under the session's token (the inverse of sealRecord). */
export function openRecord(token: string, data: string): string {
  if (tokenMode(token) === 'NO_ENCRYPTION') {
    if (new TextEncoder().encode(data).length > MAX_RECORD_BYTES) {
      throw new ConclaveError('BSMS_RECORD_INVALID', `bsms record: longer than ${MAX_RECORD_BYTES} bytes`);
    }
    return data;
  }
  return decryptRecord(token, data);
}
