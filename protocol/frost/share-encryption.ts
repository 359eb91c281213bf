/**
 * End-to-end encryption of DKG round-2 shares to the recipient's identity key, so the
 * coordinator that relays them learns nothing (DESIGN.md, "Two kinds of vault").
 *
 *   e              = fresh ephemeral secret key; E = e*G (compressed, sent along)
 *   shared         = x(ECDH(e, lift_x(recipientKey)))         (BIP340 x-only key, even Y)
 *   context        = RFC 8785 JSON of {setupId, paramsHash, sender, recipient, recipientKey, ephemeralKey}
 *   key            = HKDF-SHA256(ikm = shared, salt = TaggedHash("Conclave/frost-dkg/share-salt", setupId),
 *                                info = "Conclave/frost-dkg/share-key/v1" || context, 32 bytes)
 *   ciphertext     = XChaCha20-Poly1305(key, nonce = 24 random bytes, aad = context, share)
 *
 * Only the x coordinate of the shared point is used: the recipient's real key may have odd Y
 * (x-only keys drop the sign), and d*(-E) and d*E share their x. The ephemeral key means the
 * sender keeps nothing that decrypts the share later; the sender's BIP340 signature on the
 * sealed message (dkg-messages.ts) is what authenticates it. The context in the AAD and the
 * key binds every ciphertext to one setup, one sender and one recipient.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalBytes } from '../canonical-json';
import { ConclaveError } from '../errors';
import { taggedHash } from '../hashing';
import { liftXOnly } from './dkg-params';

export const SHARE_BYTES = 32;
export const SHARE_NONCE_BYTES = 24;
const TAG_BYTES = 16;
export const SEALED_SHARE_BYTES = SHARE_BYTES + TAG_BYTES;
const INFO_PREFIX = utf8ToBytes('Conclave/frost-dkg/share-key/v1');

/** Who a share is from and for: everything the key and the AAD bind. */
export interface ShareContext {
  readonly setupId: string;
  readonly paramsHash: string;
  /** FROST identifiers (32-byte hex) of sender and recipient. */
  readonly sender: string;
  readonly recipient: string;
  /** The recipient's x-only identity key. */
  readonly recipientKey: string;
}

export interface SealedShare {
  /** Compressed ephemeral public key E. */
  readonly ephemeralKey: string;
  readonly nonce: string;
  /** XChaCha20-Poly1305 output: encrypted share || 16-byte tag. */
  readonly ciphertext: string;
}

function contextBytes(ctx: ShareContext, ephemeralKey: string): Uint8Array {
  const { setupId, paramsHash, sender, recipient, recipientKey } = ctx;
  return canonicalBytes({ setupId, paramsHash, sender, recipient, recipientKey, ephemeralKey });
}

function shareKey(sharedX: Uint8Array, ctx: ShareContext, context: Uint8Array): Uint8Array {
  const salt = taggedHash('Conclave/frost-dkg/share-salt', hexToBytes(ctx.setupId));
  return hkdf(sha256, sharedX, salt, concatBytes(INFO_PREFIX, context), 32);
}

/** Encrypts one 32-byte share for `ctx.recipientKey`. */
export function sealShare(ctx: ShareContext, share: Uint8Array, randomBytes: (length: number) => Uint8Array): SealedShare {
  if (share.length !== SHARE_BYTES) throw new RangeError(`share: expected ${SHARE_BYTES} bytes, got ${share.length}`);
  const ephemeralSecret = secp256k1.utils.randomSecretKey(randomBytes(secp256k1.lengths.seed!));
  const ephemeralKey = bytesToHex(secp256k1.getPublicKey(ephemeralSecret, true));
  const shared = secp256k1.getSharedSecret(ephemeralSecret, liftXOnly(ctx.recipientKey), true);
  const context = contextBytes(ctx, ephemeralKey);
  const key = shareKey(shared.subarray(1), ctx, context);
  const nonce = randomBytes(SHARE_NONCE_BYTES);
  const ciphertext = xchacha20poly1305(key, nonce, context).encrypt(share);
  ephemeralSecret.fill(0);
  shared.fill(0);
  key.fill(0);
  return { ephemeralKey, nonce: bytesToHex(nonce), ciphertext: bytesToHex(ciphertext) };
}

/**
 * Decrypts a share sealed for this recipient. Throws FROST_DKG_DECRYPT naming `senderLabel`
 * when it does not authenticate: a wrong recipient key, another setup or sender, and altered
 * bytes all look the same, and nothing of an unauthenticated plaintext is returned.
 */
export function openShare(ctx: ShareContext, sealed: SealedShare, recipientSecret: Uint8Array, senderLabel: string): Uint8Array {
  const refuse = (why: string) =>
    new ConclaveError('FROST_DKG_DECRYPT', `round2 share from ${senderLabel}: ${why}`, { sender: ctx.sender });
  const ciphertext = hexToBytes(sealed.ciphertext);
  const nonce = hexToBytes(sealed.nonce);
  if (ciphertext.length !== SEALED_SHARE_BYTES || nonce.length !== SHARE_NONCE_BYTES) {
    throw refuse(`expected a ${SHARE_NONCE_BYTES}-byte nonce and ${SEALED_SHARE_BYTES} bytes of ciphertext`);
  }
  let shared: Uint8Array;
  try {
    shared = secp256k1.getSharedSecret(recipientSecret, hexToBytes(sealed.ephemeralKey), true);
  } catch {
    throw refuse('the ephemeral key is not a point on secp256k1');
  }
  const context = contextBytes(ctx, sealed.ephemeralKey);
  const key = shareKey(shared.subarray(1), ctx, context);
  shared.fill(0);
  try {
    return xchacha20poly1305(key, nonce, context).decrypt(ciphertext);
  } catch {
    throw refuse('does not decrypt with this identity key for this setup and sender (wrong recipient, or altered in transit)');
  } finally {
    key.fill(0);
  }
}
