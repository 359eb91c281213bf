/**
 * BIP340 tagged hashes: sha256(sha256(tag) || sha256(tag) || msg). Every Conclave digest
 * uses a tag of its own, so a signature for one purpose never verifies for another.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

export function taggedHash(tag: string, ...messages: Uint8Array[]): Uint8Array {
  const tagHash = sha256(utf8ToBytes(tag));
  return sha256(concatBytes(tagHash, tagHash, ...messages));
}

export function taggedHashHex(tag: string, ...messages: Uint8Array[]): string {
  return bytesToHex(taggedHash(tag, ...messages));
}
