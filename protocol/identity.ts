/**
 * Identity-key fingerprints that keyholders read to each other out of band (DESIGN.md, root
 * of trust), like messengers' safety numbers: 20 bytes of a tagged hash of the x-only key,
 * shown as ten groups of four hex digits.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ConclaveError } from './errors';
import { taggedHash } from './hashing';

export function identityFingerprint(identityKeyHex: string): string {
  if (!/^[0-9a-f]{64}$/.test(identityKeyHex)) {
    throw new ConclaveError('KEY_INVALID', 'identityKey: expected a 32-byte x-only key in lowercase hex');
  }
  const digest = bytesToHex(taggedHash('Conclave/identity-fingerprint', hexToBytes(identityKeyHex)).slice(0, 20));
  return digest.toUpperCase().match(/.{4}/g)!.join(' ');
}
