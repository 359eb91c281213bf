/**
 * The descriptor of a FROST Taproot vault (DESIGN.md, "Two kinds of vault"): `tr(XPUB/<0;1>/*)#checksum`
 * (BIP386 key path only, BIP389 `<0;1>` receive and change chains, BIP380 checksum).
 *
 * XPUB is a depth-0 extended public key of the UNtweaked FROST group key P, with the chain code
 * the DKG transcript fixes; it has no key origin, being the root of its own tree. The address at
 * (change, index) is key-path-only Taproot (BIP341): internal key P_i = x-only of the BIP32
 * unhardened child P/change/index, output key Q_i = P_i + TapTweak(P_i || "")G. The group's
 * aggregate signature for that address is an ordinary 64-byte BIP340 signature under Q_i.
 * Bitcoin Core, Sparrow and other watch-only wallets derive the same addresses from this text.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConclaveError } from '../errors';
import { networkParams, type NetworkName, type NetworkParams } from '../network';
import type { ScriptNode } from './descriptor';
import { EXTENDED_KEY_VERSIONS } from './key-expression';
import { segwitAddress, taprootOutputKey, trScript } from './scripts';
import { checkPosition, childPublicKey, decodeVaultXpub, keyError } from './vault-keys';

export interface FrostVaultDescriptor {
  kind: 'tr-frost';
  network: NetworkName;
  /** Depth-0 xpub (tpub on test networks) of the untweaked group key, as written in the descriptor. */
  groupXpub: string;
}

/** A FROST vault address at (change, index), with what a signer and a PSBT need to spend it. */
export interface TaprootVaultScript {
  kind: 'tr-frost';
  change: 0 | 1;
  index: number;
  address: string;
  /** `OP_1 <outputKey>` (34 bytes). */
  scriptPubKey: Uint8Array;
  /** x-only P_i, 32 bytes: PSBT_IN/OUT_TAP_INTERNAL_KEY. */
  internalKey: Uint8Array;
  /** P_i compressed (33 bytes): its first byte gives the parity a FROST signer must account for. */
  childPublicKey: Uint8Array;
  /** x-only Q_i, 32 bytes: the key the aggregate BIP340 signature verifies under. */
  outputKey: Uint8Array;
  /** Fingerprint of the group xpub's own key, 8 lowercase hex characters (the xpub has no origin). */
  fingerprint: string;
  /** BIP32 path from the group xpub: [change, index]. */
  path: [0 | 1, number];
}

const WHERE = 'descriptor group key';

// Group keys already checked, by network version and text: the check decodes a point.
const GROUP_CACHE_LIMIT = 1024;
const groupCache = new Map<string, string>();

/** Checks the group xpub for `params` (public, depth 0) and returns its own fingerprint. */
function groupKeyFingerprint(xpub: unknown, params: NetworkParams): string {
  if (typeof xpub !== 'string') keyError(WHERE, 'groupXpub must be an extended public key string');
  const cacheKey = `${params.bip32.public}:${xpub}`;
  let fingerprint = groupCache.get(cacheKey);
  if (fingerprint === undefined) {
    const hd = decodeVaultXpub(xpub, WHERE, params);
    // The DKG makes a root key: its chain code comes from the transcript, not from a parent.
    // A deeper key would be some wallet's account key pasted in by mistake.
    if (hd.depth !== 0) keyError(WHERE, `xpub is at depth ${hd.depth}; a FROST group key is a depth-0 key of its own`);
    fingerprint = hd.fingerprint.toString(16).padStart(8, '0');
    if (groupCache.size >= GROUP_CACHE_LIMIT) groupCache.delete(groupCache.keys().next().value as string);
    groupCache.set(cacheKey, fingerprint);
  }
  return fingerprint;
}

/** Checks every rule of the FROST vault shape; returns the group key's fingerprint. */
export function validateFrostVault(d: FrostVaultDescriptor): string {
  if (d.kind !== 'tr-frost') throw new ConclaveError('DESCRIPTOR_INVALID', `descriptor: vault kind must be tr-frost, got ${String(d.kind)}`);
  return groupKeyFingerprint(d.groupXpub, networkParams(d.network));
}

/** Fingerprint of the group xpub's own key (8 hex): the "master fingerprint" of its BIP32 tree. */
export function frostGroupFingerprint(d: FrostVaultDescriptor): string {
  return validateFrostVault(d);
}

/**
 * The vault a parsed `tr(...)` stands for: exactly `tr(xpub/<0;1>/*)`, no script tree, no
 * hardened step. An origin is optional and, when written, is `[fingerprint]` of the key itself:
 * a depth-0 key has no path from another master.
 */
export function frostVaultFromNode(root: Extract<ScriptNode, { type: 'tr' }>, network: NetworkName): FrostVaultDescriptor {
  if (root.tree !== undefined) {
    throw new ConclaveError('DESCRIPTOR_INVALID', 'descriptor: a FROST vault spends by key path only; write tr(xpub/<0;1>/*) without a script tree');
  }
  const key = root.internalKey;
  if (key.type !== 'extended') keyError(WHERE, 'must be the group xpub with its chains, tr(xpub/<0;1>/*)');
  if (EXTENDED_KEY_VERSIONS[key.kind].isPrivate) keyError(WHERE, 'is a private extended key; a vault descriptor holds only public keys');
  const step = key.steps[0];
  const receiveChange = key.steps.length === 1 && step.values.length === 2 && step.values[0] === 0 && step.values[1] === 1;
  if (!receiveChange || key.wildcard !== 'unhardened') keyError(WHERE, 'must end in /<0;1>/* (receive and change chains, BIP389; no hardened steps)');
  const d: FrostVaultDescriptor = { kind: 'tr-frost', network, groupXpub: key.text };
  const fingerprint = validateFrostVault(d);
  if (key.origin !== undefined) {
    if (key.origin.path.length > 0) {
      keyError(WHERE, 'has an origin path, but a FROST group key is a depth-0 key of its own; write no origin, or [fingerprint] alone');
    }
    if (key.origin.fingerprint !== fingerprint) {
      keyError(WHERE, `origin fingerprint ${key.origin.fingerprint} is not the group key's own fingerprint ${fingerprint}`);
    }
  }
  return d;
}

/** `tr(xpub/<chain>/*)` without checksum; `chain` is `<0;1>`, `0` or `1`. */
export function frostDescriptorBody(d: FrostVaultDescriptor, chain: string): string {
  validateFrostVault(d);
  return `tr(${d.groupXpub}/${chain}/*)`;
}

// Output keys by internal key: the BIP341 tweak is a point multiplication, and the same few
// addresses are derived for every PSBT built, inspected and verified. Bounded.
const OUTPUT_KEY_CACHE_LIMIT = 16384;
const outputKeyCache = new Map<string, Uint8Array>();

function outputKeyOf(internalKey: Uint8Array): Uint8Array {
  const cacheKey = bytesToHex(internalKey);
  let outputKey = outputKeyCache.get(cacheKey);
  if (outputKey === undefined) {
    outputKey = taprootOutputKey(internalKey);
    if (outputKeyCache.size >= OUTPUT_KEY_CACHE_LIMIT) outputKeyCache.delete(outputKeyCache.keys().next().value as string);
    outputKeyCache.set(cacheKey, outputKey);
  }
  return outputKey.slice();
}

/** The vault's key-path-only Taproot output at `change`/`index`. */
export function deriveFrostVaultScript(d: FrostVaultDescriptor, change: 0 | 1, index: number): TaprootVaultScript {
  checkPosition(change, index);
  const params = networkParams(d.network);
  const fingerprint = validateFrostVault(d);
  const child = childPublicKey(d.groupXpub, change, index, WHERE, params);
  const internalKey = child.slice(1);
  // BIP341 key path only: Q = P + int(hashTapTweak(P))G, no merkle root (BIP86 style).
  const outputKey = outputKeyOf(internalKey);
  // tr: OP_1 <x-only output key>
  const scriptPubKey = trScript(outputKey);
  return {
    kind: 'tr-frost', change, index, address: segwitAddress(scriptPubKey, params.bech32), scriptPubKey,
    internalKey, childPublicKey: child, outputKey, fingerprint, path: [change, index],
  };
}
