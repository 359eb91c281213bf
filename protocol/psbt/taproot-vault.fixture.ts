/**
 * Test support, not product code: a TEST-ONLY SINGLE-KEY STAND-IN for a FROST Taproot vault.
 *
 * On chain a FROST vault is one key-path Taproot output per address, and its aggregate signature
 * is an ordinary 64-byte BIP340 signature under the output key (STACK.md, "FROST with
 * @noble/curves"). So the descriptor, PSBT and verification code cannot tell who produced the
 * signature: here ONE ordinary secret plays the whole group. Its depth-0 xpub is the "group
 * xpub", and it signs with the BIP341-tweaked child secret (via @scure/btc-signer's
 * `taprootTweakPrivKey`, independent of Conclave's own tweak code). Real vaults never hold such a
 * secret; protocol/frost makes the signature with threshold shares instead.
 */
import { HDKey } from '@scure/bip32';
import { schnorr } from '@noble/curves/secp256k1.js';
import { taprootTweakPrivKey } from '@scure/btc-signer/utils.js';
import type { FrostVaultDescriptor } from '../descriptor';
import { type NetworkName, networkParams } from '../network';

export interface SingleKeyTaprootVault {
  descriptor: FrostVaultDescriptor;
  /** The one secret standing in for the group (test only). */
  master: HDKey;
  /** Master fingerprint, 8 hex: the group xpub's own fingerprint. */
  fingerprint: string;
  /** The untweaked child secret at change/index, as a BIP32 wallet would hold it. */
  childSecret(change: 0 | 1, index: number): Uint8Array;
  /** A BIP340 signature of `digest` under the output key at change/index (aux randomness fixed). */
  sign(digest: Uint8Array, change: 0 | 1, index: number): Uint8Array;
}

/** Fixed BIP340 aux randomness, so signatures (and transactions) are reproducible. */
export const AUX_RAND = new Uint8Array(32).fill(0x42);

export function singleKeyTaprootVault(seedByte: number, network: NetworkName = 'regtest'): SingleKeyTaprootVault {
  const master = HDKey.fromMasterSeed(new Uint8Array(32).fill(seedByte), networkParams(network).bip32);
  const childSecret = (change: 0 | 1, index: number): Uint8Array => master.deriveChild(change).deriveChild(index).privateKey as Uint8Array;
  return {
    descriptor: { kind: 'tr-frost', network, groupXpub: master.publicExtendedKey },
    master,
    fingerprint: master.fingerprint.toString(16).padStart(8, '0'),
    childSecret,
    sign: (digest, change, index) => schnorr.sign(digest, taprootTweakPrivKey(childSecret(change, index)), AUX_RAND),
  };
}
