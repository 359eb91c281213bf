/**
 * BIP380 descriptor checksums: an 8-character BCH code over the descriptor text, written
 * after a '#'. It catches typos and truncation when descriptors are copied between wallets;
 * it is not a security check (anyone can recompute it).
 *
 * Error codes: whatever follows the '#' (missing, wrong length, wrong value, a second '#')
 * is DESCRIPTOR_CHECKSUM; a payload with characters outside the descriptor character set is
 * DESCRIPTOR_INVALID, because no checksum can be computed for it at all.
 */
import { ConclaveError } from '../errors';

// BIP380: the position of a character in this set feeds the checksum; every descriptor
// character MUST be in it. The three 32-character groups are the "class" of each character.
const INPUT_CHARSET =
  '0123456789()[],\'/*abcdefgh@:$%{}' +
  'IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~' +
  'ijklmnopqrstuvwxyzABCDEFGH`#"\\ ';
const CHECKSUM_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const CHECKSUM_LENGTH = 8;

// The generator of the BCH code from BIP380, over GF(32) with 40-bit state; BigInt because
// JavaScript bitwise operators are 32-bit.
const GENERATOR = [0xf5dee51989n, 0xa9fdca3312n, 0x1bab10e32dn, 0x3706b1677an, 0x644d626ffdn];

function polymod(c: bigint, value: number): bigint {
  const c0 = c >> 35n;
  let next = ((c & 0x7ffffffffn) << 5n) ^ BigInt(value);
  for (let i = 0; i < GENERATOR.length; i++) {
    if ((c0 >> BigInt(i)) & 1n) next ^= GENERATOR[i];
  }
  return next;
}

/** The 8-character BIP380 checksum of a descriptor body (the text before any '#'). */
export function descriptorChecksum(body: string): string {
  let c = 1n;
  let cls = 0;
  let clsCount = 0;
  for (let i = 0; i < body.length; i++) {
    const pos = INPUT_CHARSET.indexOf(body[i]);
    if (pos === -1) {
      throw new ConclaveError('DESCRIPTOR_INVALID',
        `descriptor: character ${JSON.stringify(body[i])} at position ${i} is not allowed in descriptors (BIP380 character set)`);
    }
    // Each character contributes its position within its group, and every three characters
    // contribute their groups together, so case changes and group swaps are detected.
    c = polymod(c, pos & 31);
    cls = cls * 3 + (pos >> 5);
    if (++clsCount === 3) {
      c = polymod(c, cls);
      cls = 0;
      clsCount = 0;
    }
  }
  if (clsCount > 0) c = polymod(c, cls);
  for (let j = 0; j < CHECKSUM_LENGTH; j++) c = polymod(c, 0);
  c ^= 1n;
  let out = '';
  for (let j = 0; j < CHECKSUM_LENGTH; j++) {
    out += CHECKSUM_CHARSET[Number((c >> BigInt(5 * (7 - j))) & 31n)];
  }
  return out;
}

/** `body#checksum`. The body MUST NOT already carry a checksum. */
export function addChecksum(body: string): string {
  if (body.includes('#')) {
    throw new ConclaveError('DESCRIPTOR_CHECKSUM', "descriptor: already has a '#' checksum; strip it before adding one");
  }
  return `${body}#${descriptorChecksum(body)}`;
}

export interface StrippedDescriptor {
  /** The descriptor text without the checksum. */
  body: string;
  /** The checksum that was present and verified, if any. */
  checksum?: string;
}

/**
 * Verifies the checksum, if present, and returns the body without it. With
 * `requireChecksum`, a descriptor without one is refused (as Bitcoin Core does for anything
 * it imports or derives from): a watch-only wallet built from a mistyped descriptor would
 * silently watch the wrong addresses.
 */
export function stripChecksum(text: string, opts: { requireChecksum?: boolean } = {}): StrippedDescriptor {
  const parts = text.split('#');
  if (parts.length > 2) {
    throw new ConclaveError('DESCRIPTOR_CHECKSUM', `descriptor: ${parts.length - 1} '#' symbols; at most one, before the checksum`);
  }
  const [body, checksum] = parts;
  if (checksum === undefined) {
    if (opts.requireChecksum) {
      throw new ConclaveError('DESCRIPTOR_CHECKSUM', "descriptor: missing checksum; append '#' and the 8-character BIP380 checksum");
    }
    descriptorChecksum(body); // still refuse characters outside the descriptor set
    return { body };
  }
  if (checksum.length !== CHECKSUM_LENGTH) {
    throw new ConclaveError('DESCRIPTOR_CHECKSUM',
      `descriptor: checksum must be ${CHECKSUM_LENGTH} characters, got ${checksum.length}`);
  }
  const computed = descriptorChecksum(body);
  if (checksum !== computed) {
    throw new ConclaveError('DESCRIPTOR_CHECKSUM',
      `descriptor: checksum '${checksum}' does not match the computed checksum '${computed}'; the descriptor was altered or mistyped`,
      { provided: checksum, computed });
  }
  return { body, checksum };
}
