/**
 * BIP129 "File Extensions": "All descriptor and key records should have a .bsms file
 * extension. Encrypted data should have a .dat extension." A `.bsms` file is the record text
 * exactly as BIP129 prints it; a `.dat` file holds hex(MAC || ciphertext) (BIP129 "Round 1":
 * "encodes the MAC and the ciphertext into hexadecimal format").
 *
 * Reading is lenient about what other wallets write: surrounding whitespace, CRLF, and `.dat`
 * files holding raw MAC || ciphertext bytes instead of hex (Coldcard writes them so). It is
 * strict about the session: a plaintext record is refused when the session encrypts (it is not
 * authenticated, so a relay could have written it), and an encrypted one without a token.
 *
 * Pure: strings or bytes in, strings out. Callers do the file I/O.
 */
import { ConclaveError } from '../errors';
import { decryptRecord, decryptRecordBytes, MAX_RECORD_BYTES, sealRecord } from './encryption';
import { BSMS_VERSION } from './record-text';
import { tokenMode } from './token';

export type BsmsFileExtension = '.bsms' | '.dat';
export type BsmsRecordKind = 'key' | 'descriptor';

export interface BsmsFile {
  readonly extension: BsmsFileExtension;
  /** The file's whole content. */
  readonly text: string;
}

export interface ReadBsmsFile {
  readonly kind: BsmsRecordKind;
  readonly encrypted: boolean;
  /** The plaintext record, to parse with parseKeyRecord or checkDescriptorRecord. */
  readonly record: string;
}

/** The file for a record: `.bsms` with the record text, or `.dat` with hex when the token encrypts. */
export function writeBsmsFile(record: string, token: string): BsmsFile {
  const encrypted = tokenMode(token) !== 'NO_ENCRYPTION';
  return { extension: encrypted ? '.dat' : '.bsms', text: sealRecord(token, record) };
}

/**
 * Which record a plaintext is: a key record's second line is its token (hex), a descriptor
 * record's is a descriptor.
 */
export function recordKind(record: string): BsmsRecordKind {
  const lines = record.replace(/\r\n/g, '\n').split('\n');
  if (lines[0] !== BSMS_VERSION || lines.length < 2) {
    throw new ConclaveError('BSMS_RECORD_INVALID', `bsms file: not a BSMS 1.0 record (the first line must be "${BSMS_VERSION}")`);
  }
  return /^(0x)?[0-9a-fA-F]+$/.test(lines[1].trim()) ? 'key' : 'descriptor';
}

const decoder = new TextDecoder('utf-8', { fatal: false });

/**
 * The record in a `.bsms` or `.dat` file's content, decrypted and authenticated with the
 * session's token when encrypted. Throws BSMS_DECRYPT for a wrong token, altered data or a
 * plaintext record in an encrypted session.
 */
export function readBsmsFile(content: string | Uint8Array, token: string): ReadBsmsFile {
  const mode = tokenMode(token);
  if (content.length > 2 * (MAX_RECORD_BYTES + 64)) {
    throw new ConclaveError('BSMS_RECORD_INVALID', `bsms file: larger than a BSMS record can be (${MAX_RECORD_BYTES} bytes)`);
  }
  let text = typeof content === 'string' ? content : decoder.decode(content);
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const trimmed = text.trim();
  const isPlain = trimmed.startsWith(BSMS_VERSION.split(' ')[0]);
  const isHex = !isPlain && /^[0-9a-fA-F]+$/.test(trimmed);
  if (!isPlain && !isHex && typeof content === 'string') {
    throw new ConclaveError('BSMS_RECORD_INVALID', 'bsms file: neither a BSMS record nor hex-encoded encrypted data');
  }
  if (isPlain) {
    if (mode !== 'NO_ENCRYPTION') {
      throw new ConclaveError('BSMS_DECRYPT', `bsms file: holds a plaintext record, but this session uses ${mode} encryption; an unencrypted record is not authenticated`);
    }
    // Trailing whitespace (an editor's final newline) is not part of the record; leading is not allowed.
    const record = text.replace(/\s+$/, '');
    return { kind: recordKind(record), encrypted: false, record };
  }
  if (mode === 'NO_ENCRYPTION') {
    throw new ConclaveError('BSMS_RECORD_INVALID', 'bsms file: holds encrypted data, but this session has no encryption (token 00); enter the token you were given');
  }
  const record = isHex ? decryptRecord(token, trimmed) : decryptRecordBytes(token, content as Uint8Array);
  return { kind: recordKind(record), encrypted: true, record };
}
