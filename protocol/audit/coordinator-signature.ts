/**
 * The coordinator's signature on the audit log (DESIGN.md invariant 6, issue 3 point 4): a
 * BIP340 Schnorr signature by the coordinator's own identity key over a tagged hash of
 * `{seq, hash}` of an audit event. The event hash already commits to everything before it, so
 * a signature on the head vouches for the whole history up to it, and `seq` makes a signed
 * head a statement that stands alone: two signed heads with one seq and two hashes prove that
 * the coordinator equivocated. The tag is its own, so no other Conclave signature can be
 * passed off as one of these.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { canonicalBytes } from '../canonical-json';
import { taggedHash } from '../hashing';

export const COORDINATOR_SIGNATURE_TAG = 'Conclave/audit-head';

export interface AuditHead { seq: number; hash: string }

export function auditHeadDigest(head: AuditHead): Uint8Array {
  return taggedHash(COORDINATOR_SIGNATURE_TAG, canonicalBytes({ seq: head.seq, hash: head.hash }));
}

/** `auxRandom` is BIP340's 32 bytes of auxiliary randomness, injected to keep this module pure. */
export function signAuditHead(head: AuditHead, secretKey: Uint8Array, auxRandom: Uint8Array): string {
  return bytesToHex(schnorr.sign(auditHeadDigest(head), secretKey, auxRandom));
}

/** False for anything that is not a valid signature by `coordinatorKey` (x-only hex) on this head. */
export function verifyAuditHeadSignature(head: AuditHead, signature: string | null | undefined, coordinatorKey: string): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{128}$/.test(signature) || !/^[0-9a-f]{64}$/.test(coordinatorKey)) return false;
  if (!Number.isSafeInteger(head.seq) || !/^[0-9a-f]{64}$/.test(head.hash)) return false;
  try {
    return schnorr.verify(hexToBytes(signature), auditHeadDigest(head), hexToBytes(coordinatorKey));
  } catch {
    return false;
  }
}
