/**
 * The extended public keys of vault descriptors, shared by both vault kinds: decoding one for a
 * given network (BIP32 serialization, version bytes per network), and cached unhardened child
 * derivation at (change, index) below it (BIP32 CKDpub), which every address check repeats.
 */
import { HDKey } from '@scure/bip32';
import { createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { ConclaveError } from '../errors';
import type { NetworkParams } from '../network';
import { EXTENDED_KEY_VERSIONS } from './key-expression';

/** Largest unhardened child number (BIP32). */
export const MAX_INDEX = 0x7fffffff;
const base58check = createBase58check(sha256);

/** KEY_INVALID naming the key: `where` is e.g. "descriptor keys[1]" or "descriptor group key". */
export function keyError(where: string, message: string): never {
  throw new ConclaveError('KEY_INVALID', `${where}: ${message}`);
}

/** Decodes an extended public key for `params`, with an error that says which network it is for. */
export function decodeVaultXpub(xpub: string, where: string, params: NetworkParams): HDKey {
  let version: number;
  try {
    const payload = base58check.decode(xpub);
    version = new DataView(payload.buffer, payload.byteOffset).getUint32(0, false);
  } catch {
    keyError(where, 'xpub is not valid base58check');
  }
  const kind = (Object.keys(EXTENDED_KEY_VERSIONS) as (keyof typeof EXTENDED_KEY_VERSIONS)[])
    .find((k) => EXTENDED_KEY_VERSIONS[k].version === version);
  if (kind === 'xprv' || kind === 'tprv') keyError(where, 'is a private extended key; a vault descriptor holds only public keys');
  if (version !== params.bip32.public) {
    const article = (k: string): string => `${k.startsWith('x') ? 'an' : 'a'} ${k}`;
    keyError(where, `is ${kind ? article(kind) : 'not an xpub or tpub'}, but ${params.name} needs ${article(params.coinType === 0 ? 'xpub' : 'tpub')}`);
  }
  try {
    return HDKey.fromExtendedKey(xpub, params.bip32);
  } catch (e) {
    keyError(where, `xpub is not valid (${(e as Error).message})`);
  }
}

/** Refuses a position outside the two chains and the unhardened index range. */
export function checkPosition(change: 0 | 1, index: number): void {
  if (change !== 0 && change !== 1) throw new ConclaveError('VALIDATION_FAILED', `change must be 0 or 1, got ${String(change)}`);
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX) {
    throw new ConclaveError('VALIDATION_FAILED', `index must be an integer in 0..${MAX_INDEX}, got ${index}`);
  }
}

// Chain keys (xpub / change) by network version, change and xpub: addresses are derived for
// every deposit scan and PSBT check, and each chain key costs a base58 decode, a point
// decompression and a child derivation. Bounded so that a long-running coordinator stays small.
const CHAIN_CACHE_LIMIT = 4096;
const chainCache = new Map<string, HDKey>();

function chainKey(xpub: string, change: 0 | 1, where: string, params: NetworkParams): HDKey {
  const cacheKey = `${params.bip32.public}:${change}:${xpub}`;
  let node = chainCache.get(cacheKey);
  if (!node) {
    node = decodeVaultXpub(xpub, where, params).deriveChild(change);
    if (chainCache.size >= CHAIN_CACHE_LIMIT) chainCache.delete(chainCache.keys().next().value as string);
    chainCache.set(cacheKey, node);
  }
  return node;
}

// Child public keys by chain and index: deriving one costs a point multiplication and a
// decompression in pure JS (about 1 ms), and the same few indexes are derived for every PSBT
// built, inspected and verified. Bounded like the chain cache.
const CHILD_CACHE_LIMIT = 16384;
const childCache = new Map<string, Uint8Array>();

/** The compressed (33-byte) public key at `xpub/change/index`; the caller checks the position. */
export function childPublicKey(xpub: string, change: 0 | 1, index: number, where: string, params: NetworkParams): Uint8Array {
  const cacheKey = `${params.bip32.public}:${change}:${index}:${xpub}`;
  let pubkey = childCache.get(cacheKey);
  if (!pubkey) {
    pubkey = chainKey(xpub, change, where, params).deriveChild(index).publicKey as Uint8Array;
    if (childCache.size >= CHILD_CACHE_LIMIT) childCache.delete(childCache.keys().next().value as string);
    childCache.set(cacheKey, pubkey);
  }
  return pubkey.slice();
}
