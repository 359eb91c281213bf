/**
 * The "legacy" Bitcoin signed-message format that BIP129 accepts for a key record's SIG
 * (BIP129 "Round 1": "The signature should follow BIP-0322, legacy format accepted"): Bitcoin
 * Core's `signmessage`, with the header byte conventions of BIP137.
 *
 *   hash      = SHA256d(varint(24) || "Bitcoin Signed Message:\n" || varint(len(msg)) || msg)
 *   signature = base64(header || r || s), 65 bytes, header = 27 + recid (+4 compressed key,
 *               +8 P2SH-P2WPKH, +12 P2WPKH per BIP137)
 *
 * Verification recovers the public key from (hash, signature) and compares it with the
 * expected key. The header's address-type hint does not matter here: BIP129 binds the
 * signature to a public key, not an address.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { ConclaveError } from '../errors';

const MESSAGE_MAGIC = utf8ToBytes('Bitcoin Signed Message:\n');
const SIGNATURE_BYTES = 65;
const HEADER_MIN = 27; // uncompressed P2PKH
const HEADER_MAX = 42; // BIP137 P2WPKH
const HEADER_COMPRESSED = 31;

/** Bitcoin's CompactSize length prefix. */
function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  return Uint8Array.of(0xfe, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
}

/** The digest Bitcoin Core signs for `signmessage`. */
export function bitcoinMessageHash(message: string): Uint8Array {
  const msg = utf8ToBytes(message);
  return sha256(sha256(concatBytes(compactSize(MESSAGE_MAGIC.length), MESSAGE_MAGIC, compactSize(msg.length), msg)));
}

/**
 * Signs like `signmessage` with a compressed key: RFC6979 deterministic nonce, low S,
 * header 31 + recid. Returns base64 of the 65 bytes.
 */
export function signMessage(message: string, privateKey: Uint8Array): string {
  if (!secp256k1.utils.isValidSecretKey(privateKey)) throw new ConclaveError('KEY_INVALID', 'signing key: not a valid secp256k1 private key');
  // noble's 'recovered' format is recid || r || s.
  const sig = secp256k1.sign(bitcoinMessageHash(message), privateKey, { prehash: false, format: 'recovered' });
  const out = sig.slice();
  out[0] = HEADER_COMPRESSED + sig[0];
  return base64.encode(out);
}

function refuse(where: string, message: string): never {
  throw new ConclaveError('BSMS_SIGNATURE_INVALID', `${where}: ${message}`);
}

/**
 * The compressed public key (33 bytes) that made `signature` over `message`.
 * Throws BSMS_SIGNATURE_INVALID when the signature is not a 65-byte legacy signature or no
 * key can be recovered from it.
 */
export function recoverMessageSigner(message: string, signature: string, where = 'signature'): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = base64.decode(signature);
  } catch {
    refuse(where, 'not base64');
  }
  if (bytes.length !== SIGNATURE_BYTES) {
    refuse(where, `a legacy signature is ${SIGNATURE_BYTES} bytes, got ${bytes.length} (BIP322 full or simple signatures are not supported)`);
  }
  const header = bytes[0];
  if (header < HEADER_MIN || header > HEADER_MAX) refuse(where, `header byte ${header} is outside ${HEADER_MIN}..${HEADER_MAX}`);
  const recovered = concatBytes(Uint8Array.of((header - HEADER_MIN) & 3), bytes.slice(1));
  try {
    return secp256k1.recoverPublicKey(recovered, bitcoinMessageHash(message), { prehash: false });
  } catch {
    refuse(where, 'no public key can be recovered from it');
  }
}
