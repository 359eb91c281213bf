/**
 * BIP129 "Encryption", "The Token": the shared secret of a BSMS setup session, in one of
 * three modes. NO_ENCRYPTION uses the token `00`; STANDARD a 64-bit nonce; EXTENDED a 128-bit
 * nonce (one per Signer, usually). The canonical form, written on a key record's second line
 * and hashed into every MAC, is lowercase hex; BIP129 also lets people exchange it as a
 * decimal number (recommended) or, in STANDARD mode only, as six BIP39 words.
 *
 * Randomness is injected (DESIGN.md: protocol/ is pure).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { ConclaveError } from '../errors';

export const BSMS_MODES = ['NO_ENCRYPTION', 'STANDARD', 'EXTENDED'] as const;
export type BsmsMode = (typeof BSMS_MODES)[number];
export type BsmsEncryptedMode = Exclude<BsmsMode, 'NO_ENCRYPTION'>;

/** BIP129: "If encryption is disabled, the TOKEN is set to 0x00". */
export const NO_ENCRYPTION_TOKEN = '00';
/** Token sizes in bytes: a 64-bit nonce (STANDARD) and a 128-bit nonce (EXTENDED). */
export const TOKEN_BYTES: Readonly<Record<BsmsEncryptedMode, number>> = { STANDARD: 8, EXTENDED: 16 };

const MNEMONIC_WORDS = 6; // 64 bits of entropy + 2 checksum bits = 6 words of 11 bits

function invalid(message: string): never {
  throw new ConclaveError('BSMS_TOKEN_INVALID', `bsms token: ${message}`);
}

function modeOfLength(bytes: number): BsmsMode | undefined {
  if (bytes === 1) return 'NO_ENCRYPTION';
  return (Object.keys(TOKEN_BYTES) as BsmsEncryptedMode[]).find((m) => TOKEN_BYTES[m] === bytes);
}

/**
 * A fresh token for `mode`: `00` for NO_ENCRYPTION, else 8 or 16 bytes from `randomBytes`
 * (which MUST be a CSPRNG: the token is the only secret protecting the setup), as hex.
 */
export function generateToken(mode: BsmsMode, randomBytes: (length: number) => Uint8Array): string {
  if (mode === 'NO_ENCRYPTION') return NO_ENCRYPTION_TOKEN;
  const length = TOKEN_BYTES[mode];
  if (length === undefined) throw new ConclaveError('VALIDATION_FAILED', `bsms mode: must be one of ${BSMS_MODES.join(', ')}`);
  const bytes = randomBytes(length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw new RangeError(`randomBytes(${length}) returned ${bytes instanceof Uint8Array ? bytes.length : typeof bytes} bytes`);
  }
  // An all-zero nonce is what a broken or stubbed generator returns; it would also read as
  // "no encryption" to a person comparing tokens at a glance.
  if (bytes.every((b) => b === 0)) throw new RangeError('randomBytes returned only zero bytes; the random source is broken');
  return bytesToHex(bytes);
}

/**
 * Reads a hex token as typed or printed (`0x` prefix, upper case and surrounding spaces
 * allowed) and returns its canonical lowercase form with its mode.
 */
export function parseToken(text: string): { token: string; mode: BsmsMode } {
  if (typeof text !== 'string') invalid('must be a string');
  let hex = text.trim();
  if (/^0x/i.test(hex)) hex = hex.slice(2);
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) invalid('must be hex: 00, 16 or 32 hex characters');
  const mode = modeOfLength(hex.length / 2);
  if (!mode) invalid(`must be 00 (no encryption), 16 hex characters (STANDARD) or 32 (EXTENDED), got ${hex.length}`);
  hex = hex.toLowerCase();
  if (mode === 'NO_ENCRYPTION' && hex !== NO_ENCRYPTION_TOKEN) invalid('a one-byte token must be 00 (no encryption)');
  return { token: hex, mode };
}

/** The mode of a token in canonical form (lowercase hex, as on a key record); refuses any other form. */
export function tokenMode(token: string): BsmsMode {
  const parsed = parseToken(token);
  if (parsed.token !== token) invalid('must be written in lowercase hex without prefix or spaces');
  return parsed.mode;
}

/** The decimal form BIP129 recommends for people to read out and type. */
export function tokenToDecimal(token: string): string {
  tokenMode(token);
  return BigInt(`0x${token}`).toString(10);
}

/** The token from its decimal form; the number MUST NOT exceed the nonce size of `mode`. */
export function tokenFromDecimal(decimal: string, mode: BsmsEncryptedMode): string {
  const text = decimal.trim();
  if (!/^[0-9]{1,40}$/.test(text)) invalid('decimal form must be digits only');
  const bytes = TOKEN_BYTES[mode];
  if (bytes === undefined) invalid('decimal form needs mode STANDARD or EXTENDED');
  const value = BigInt(text);
  if (value >= 1n << BigInt(bytes * 8)) invalid(`decimal form exceeds the largest ${bytes * 8}-bit ${mode} token`);
  if (value === 0n) invalid('decimal form 0 is not a token');
  return value.toString(16).padStart(bytes * 2, '0');
}

function mnemonicChecksumBits(entropy: bigint): bigint {
  const bytes = Uint8Array.from(entropy.toString(16).padStart(16, '0').match(/../g) ?? [], (h) => parseInt(h, 16));
  return BigInt(sha256(bytes)[0] >> 6); // BIP39: ENT/32 = 2 checksum bits
}

/**
 * The six-word BIP39 form of a STANDARD token (BIP129: not for EXTENDED tokens, where it
 * could be mistaken for a seed).
 */
export function tokenToMnemonic(token: string): string {
  if (tokenMode(token) !== 'STANDARD') invalid('only a STANDARD (8-byte) token has a mnemonic form');
  const entropy = BigInt(`0x${token}`);
  let bits = (entropy << 2n) | mnemonicChecksumBits(entropy);
  const words: string[] = [];
  for (let i = 0; i < MNEMONIC_WORDS; i++) {
    words.unshift(wordlist[Number(bits & 2047n)]);
    bits >>= 11n;
  }
  return words.join(' ');
}

/** The STANDARD token from its six BIP39 words, checking the BIP39 checksum. */
export function tokenFromMnemonic(mnemonic: string): string {
  const words = mnemonic.trim().toLowerCase().split(/\s+/);
  if (words.length !== MNEMONIC_WORDS) invalid(`mnemonic form has ${MNEMONIC_WORDS} words, got ${words.length}`);
  let bits = 0n;
  words.forEach((w, i) => {
    const index = wordlist.indexOf(w);
    if (index < 0) invalid(`mnemonic word ${i + 1} is not in the BIP39 English word list`);
    bits = (bits << 11n) | BigInt(index);
  });
  const entropy = bits >> 2n;
  if ((bits & 3n) !== mnemonicChecksumBits(entropy)) invalid('mnemonic checksum does not match; a word is wrong or out of order');
  return entropy.toString(16).padStart(TOKEN_BYTES.STANDARD * 2, '0');
}
