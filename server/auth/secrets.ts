/**
 * Bearer secrets (sessions and API tokens) are looked up by their SHA-256 only, so neither the
 * database nor its backups hold a credential anyone could present.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { base64urlnopad } from '@scure/base';

export const SESSION_PREFIX = 'cs_';

export function secretHash(secret: string): string {
  return bytesToHex(sha256(utf8ToBytes(secret)));
}

export function newSessionSecret(random: (length: number) => Uint8Array): string {
  return `${SESSION_PREFIX}${base64urlnopad.encode(random(32))}`;
}
