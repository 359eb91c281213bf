/**
 * The output and inner scripts descriptors stand for: pk/pkh/sh (BIP381), wpkh/wsh (BIP382),
 * multi/sortedmulti (BIP383, keys sorted per BIP67), tr (BIP386 with the BIP341 tweak), and
 * segwit addresses (BIP173 bech32 for v0, BIP350 bech32m for v1).
 * Script bytes come from @scure/btc-signer's encoder, which writes numbers as Bitcoin Core's
 * CScript does (OP_0, OP_1..OP_16, then minimal pushes), so multi(20, ...) matches Core.
 */
import { Script } from '@scure/btc-signer';
import { bech32, bech32m } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { secp256k1, schnorr } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { ConclaveError } from '../errors';
import { taggedHash } from '../hashing';

export function hash160(data: Uint8Array): Uint8Array {
  return ripemd160(sha256(data));
}

/** Byte-wise lexicographic order, shorter first on a common prefix (BIP67 key order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

// pk: <pubkey> OP_CHECKSIG (an x-only key inside tapscript)
export const pkScript = (pubkey: Uint8Array): Uint8Array => Script.encode([pubkey, 'CHECKSIG']);

// pkh: OP_DUP OP_HASH160 <hash160(pubkey)> OP_EQUALVERIFY OP_CHECKSIG
export const pkhScript = (pubkey: Uint8Array): Uint8Array =>
  Script.encode(['DUP', 'HASH160', hash160(pubkey), 'EQUALVERIFY', 'CHECKSIG']);

// wpkh: 0 <hash160(pubkey)>
export const wpkhScript = (pubkey: Uint8Array): Uint8Array => Script.encode([0, hash160(pubkey)]);

// multi: <m> <pubkey>... <n> OP_CHECKMULTISIG; sortedmulti sorts the keys first (BIP67).
export function multisigScript(threshold: number, pubkeys: readonly Uint8Array[], sorted: boolean): Uint8Array {
  const keys = sorted ? [...pubkeys].sort(compareBytes) : [...pubkeys];
  return Script.encode([threshold, ...keys, keys.length, 'CHECKMULTISIG']);
}

// sh: OP_HASH160 <hash160(redeemScript)> OP_EQUAL
export const shScript = (redeemScript: Uint8Array): Uint8Array => Script.encode(['HASH160', hash160(redeemScript), 'EQUAL']);

// wsh: 0 <sha256(witnessScript)>
export const wshScript = (witnessScript: Uint8Array): Uint8Array => Script.encode([0, sha256(witnessScript)]);

// ---- taproot (BIP341) ----

const TAPSCRIPT_LEAF_VERSION = 0xc0;

function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return Uint8Array.of(n);
  if (n <= 0xffff) return Uint8Array.of(0xfd, n & 0xff, n >> 8);
  throw new ConclaveError('DESCRIPTOR_INVALID', `tapscript of ${n} bytes is too large`);
}

/** TapLeaf hash of a tapscript leaf (leaf version 0xc0). */
export function tapLeafHash(script: Uint8Array): Uint8Array {
  return taggedHash('TapLeaf', Uint8Array.of(TAPSCRIPT_LEAF_VERSION), compactSize(script.length), script);
}

/** TapBranch hash: the two children in byte order, so the tree commits to no left/right. */
export function tapBranchHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  return compareBytes(a, b) <= 0 ? taggedHash('TapBranch', a, b) : taggedHash('TapBranch', b, a);
}

/** Output key Q = P + tG with t = TapTweak(P || merkleRoot); no script tree commits to P alone. */
export function taprootOutputKey(internalKey: Uint8Array, merkleRoot?: Uint8Array): Uint8Array {
  const P = schnorr.utils.lift_x(bytesToNumberBE(internalKey));
  const t = bytesToNumberBE(taggedHash('TapTweak', internalKey, merkleRoot ?? new Uint8Array(0)));
  if (t === 0n || t >= secp256k1.Point.Fn.ORDER) {
    throw new ConclaveError('DESCRIPTOR_INVALID', 'taproot tweak is out of range');
  }
  return P.add(secp256k1.Point.BASE.multiply(t)).toBytes(true).slice(1);
}

// tr: OP_1 <x-only output key>
export const trScript = (outputKey: Uint8Array): Uint8Array => Script.encode([1, outputKey]);

// ---- addresses ----

/**
 * The bech32 (v0) or bech32m (v1) address of a segwit output script for the given
 * human-readable prefix (bc, tb, bcrt). Other scripts have no segwit address.
 */
export function segwitAddress(scriptPubKey: Uint8Array, hrp: string): string {
  const version = scriptPubKey[0] === 0 ? 0 : scriptPubKey[0] === 0x51 ? 1 : -1;
  const program = scriptPubKey.slice(2);
  const shapeOk = scriptPubKey.length >= 2 && scriptPubKey[1] === program.length
    && ((version === 0 && (program.length === 20 || program.length === 32)) || (version === 1 && program.length === 32));
  if (!shapeOk) throw new ConclaveError('ADDRESS_INVALID', 'output script is not a segwit v0 or v1 output');
  const words = [version, ...bech32.toWords(program)];
  return version === 0 ? bech32.encode(hrp, words) : bech32m.encode(hrp, words);
}
