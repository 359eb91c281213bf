/**
 * Vault descriptors (DESIGN.md, "Two kinds of vault"), the one API both kinds share: parsing,
 * canonical text, the hash a vault is pinned by, and the script at (change, index).
 *
 * Script multisig: `wsh(sortedmulti(m,[fp/48h/coin h/account h/2h]xpub/<0;1>/*,...))#checksum`.
 * BIP48 account keys with script type 2h (P2WSH), BIP389 `<0;1>` for the receive and change
 * chains, BIP67 key order in the script (BIP383 sortedmulti), BIP380 checksum.
 * FROST Taproot: `tr(xpub/<0;1>/*)#checksum`, see frost-vault-descriptor.ts.
 *
 * These are the only shapes Conclave creates and accepts, so every signer and watcher that
 * re-derives an address from one gets the same answer as Bitcoin Core, Sparrow or Caravan.
 */
import { HDKey, HARDENED_OFFSET } from '@scure/bip32';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { KeyOrigin } from '../api';
import { ConclaveError } from '../errors';
import { taggedHashHex } from '../hashing';
import { networkParams, type NetworkName, type NetworkParams } from '../network';
import { addChecksum } from './checksum';
import { parseDescriptor } from './descriptor';
import {
  type FrostVaultDescriptor, type TaprootVaultScript, deriveFrostVaultScript, frostDescriptorBody, frostVaultFromNode,
} from './frost-vault-descriptor';
import { EXTENDED_KEY_VERSIONS, type KeyExpression } from './key-expression';
import { compareBytes, multisigScript, segwitAddress, wshScript } from './scripts';
import { MAX_INDEX, checkPosition, childPublicKey, decodeVaultXpub, keyError as namedKeyError } from './vault-keys';

export interface MultisigVaultDescriptor {
  kind: 'wsh-sortedmulti';
  network: NetworkName;
  threshold: number;
  /** In descriptor order (the script sorts them per BIP67; this order only shapes the text). */
  keys: KeyOrigin[];
}

export interface VaultKeyDerivation {
  /** Compressed child public key (33 bytes). */
  pubkey: Uint8Array;
  /** Master key fingerprint from the key origin, 8 lowercase hex characters. */
  fingerprint: string;
  /** Full BIP32 path from the master key: origin (hardened, with HARDENED_OFFSET), change, index. */
  path: number[];
}

/** A script-multisig vault address. The name predates FROST vaults; `VaultScript` is the union of both kinds. */
export interface DerivedVaultScript {
  /** Set by deriveVaultScript; optional so that scripts built by hand before FROST vaults still type-check. */
  kind?: 'wsh-sortedmulti';
  change: 0 | 1;
  index: number;
  address: string;
  scriptPubKey: Uint8Array;
  witnessScript: Uint8Array;
  /** Sorted per BIP67, as they appear in the witness script. */
  keys: VaultKeyDerivation[];
}

export type MultisigVaultScript = DerivedVaultScript;

/** Either kind of vault; `kind` tells them apart. */
export type VaultDescriptor = MultisigVaultDescriptor | FrostVaultDescriptor;
export type VaultKind = VaultDescriptor['kind'];
/** Every kind, for callers that handle both (parseVaultDescriptor's `kinds`). */
export const VAULT_KINDS: readonly VaultKind[] = ['wsh-sortedmulti', 'tr-frost'];
/** An address of either kind of vault, told apart by `kind` (`'tr-frost'`, else multisig). */
export type VaultScript = DerivedVaultScript | TaprootVaultScript;

const KIND_TEXT: Record<VaultKind, string> = {
  'wsh-sortedmulti': 'script-multisig wsh(sortedmulti(...))',
  'tr-frost': 'FROST Taproot tr(xpub/<0;1>/*)',
};

/** Keys per vault: 15 is what P2SH-era multisig and hardware signers support everywhere. */
const MAX_VAULT_KEYS = 15;
const BIP48_PURPOSE = 48;
const BIP48_SCRIPT_TYPE_P2WSH = 2;
const BIP48_DEPTH = 4;

const keyWhere = (i: number): string => `descriptor keys[${i}]`;

function keyError(i: number, message: string): never {
  namedKeyError(keyWhere(i), message);
}

/** `48h/1h/0h/2h` to child numbers, checking the BIP48 P2WSH shape and the network's coin type. */
function bip48Path(path: string, i: number, params: NetworkParams): number[] {
  const m = /^([0-9]+)h\/([0-9]+)h\/([0-9]+)h\/([0-9]+)h$/.exec(path);
  if (!m || Number(m[1]) !== BIP48_PURPOSE || Number(m[4]) !== BIP48_SCRIPT_TYPE_P2WSH || Number(m[3]) > MAX_INDEX) {
    keyError(i, `origin path must be BIP48 P2WSH, 48h/<coin>h/<account>h/2h, got ${JSON.stringify(path)}`);
  }
  const coin = Number(m[2]);
  if (coin !== params.coinType) {
    keyError(i, `origin path coin type is ${coin}h, but ${params.name} needs ${params.coinType}h (0h mainnet, 1h test networks)`);
  }
  return [BIP48_PURPOSE, coin, Number(m[3]), BIP48_SCRIPT_TYPE_P2WSH].map((n) => n + HARDENED_OFFSET);
}

/** Checks every rule of the vault shape; returns the account keys in descriptor order. */
function validateVault(d: MultisigVaultDescriptor): HDKey[] {
  if (d.kind !== 'wsh-sortedmulti') throw new ConclaveError('DESCRIPTOR_INVALID', `descriptor: vault kind must be wsh-sortedmulti, got ${String(d.kind)}`);
  const params = networkParams(d.network);
  const n = d.keys.length;
  if (n < 1 || n > MAX_VAULT_KEYS) throw new ConclaveError('DESCRIPTOR_INVALID', `descriptor: a vault has 1 to ${MAX_VAULT_KEYS} keys, got ${n}`);
  if (!Number.isInteger(d.threshold) || d.threshold < 1 || d.threshold > n) {
    throw new ConclaveError('DESCRIPTOR_INVALID', `descriptor: threshold must be between 1 and the number of keys (${n}), got ${d.threshold}`);
  }
  const seen = new Map<string, number>();
  const origins = new Map<string, number>();
  return d.keys.map((k, i) => {
    if (!/^[0-9a-f]{8}$/.test(k.fingerprint)) keyError(i, 'fingerprint must be 8 lowercase hex characters');
    bip48Path(k.path, i, params);
    const hd = decodeVaultXpub(k.xpub, keyWhere(i), params);
    // A BIP48 account key sits at depth 4 and is child 2h of its parent; anything else means the
    // origin written beside it is not where the key came from, and signers would not find it.
    if (hd.depth !== BIP48_DEPTH || hd.index !== BIP48_SCRIPT_TYPE_P2WSH + HARDENED_OFFSET) {
      keyError(i, `xpub is at depth ${hd.depth}, child ${hd.index >= HARDENED_OFFSET ? `${hd.index - HARDENED_OFFSET}h` : hd.index}; a BIP48 account key is at depth 4, child 2h`);
    }
    // Two entries with one account key would let one keyholder count twice toward the threshold.
    const id = bytesToHex(hd.publicKey as Uint8Array);
    const first = seen.get(id);
    if (first !== undefined) keyError(i, `is the same key as keys[${first}]; every vault key must be distinct`);
    seen.set(id, i);
    // One master key derives one key at one path, so a second key written with the same origin
    // falsely claims another keyholder's seed. Signers and hardware wallets find their own key
    // by its origin: the victim's would meet a key it cannot derive and refuse to sign.
    const origin = `${k.fingerprint}/${k.path}`;
    const claimed = origins.get(origin);
    if (claimed !== undefined) {
      keyError(i, `has the same origin [${origin}] as keys[${claimed}] but another xpub; one master key cannot derive two keys at one path`);
    }
    origins.set(origin, i);
    return hd;
  });
}

function vaultKeyOrigin(key: KeyExpression, i: number): KeyOrigin {
  if (key.type !== 'extended') keyError(i, 'must be an extended public key with its origin, [fp/48h/..]xpub/<0;1>/*');
  if (EXTENDED_KEY_VERSIONS[key.kind].isPrivate) keyError(i, 'is a private extended key; a vault descriptor holds only public keys');
  if (!key.origin) keyError(i, 'has no key origin; write it as [fingerprint/48h/<coin>h/<account>h/2h]xpub');
  const step = key.steps[0];
  const receiveChange = key.steps.length === 1 && step.values.length === 2 && step.values[0] === 0 && step.values[1] === 1;
  if (!receiveChange || key.wildcard !== 'unhardened') keyError(i, 'must end in /<0;1>/* (receive and change chains, BIP389)');
  const path = key.origin.path.map((v) => (v >= HARDENED_OFFSET ? `${v - HARDENED_OFFSET}h` : String(v))).join('/');
  return { fingerprint: key.origin.fingerprint, path, xpub: key.text };
}

/**
 * Parses a vault descriptor, with a verified checksum (required), for `network`:
 * - wsh(sortedmulti(m, [fp/48h/c h/a h/2h]xpub/<0;1>/*, ...)): keys for `network`,
 *   1 <= m <= n <= 15, distinct keys; `'` and `h` are both accepted as hardened markers;
 * - tr(xpub/<0;1>/*): a FROST group key (frost-vault-descriptor.ts).
 * `kinds` lists the vault kinds the caller handles; without it, only script multisig, as for
 * callers written before FROST vaults (a valid descriptor of another kind is VAULT_KIND_UNSUPPORTED).
 */
export function parseVaultDescriptor(text: string, network: NetworkName): MultisigVaultDescriptor;
export function parseVaultDescriptor<K extends VaultKind>(text: string, network: NetworkName, kinds: readonly K[]): Extract<VaultDescriptor, { kind: K }>;
export function parseVaultDescriptor(text: string, network: NetworkName, kinds: readonly VaultKind[] = ['wsh-sortedmulti']): VaultDescriptor {
  networkParams(network);
  const { root } = parseDescriptor(text, { requireChecksum: true });
  let d: VaultDescriptor;
  if (root.type === 'wsh' && root.inner.type === 'sortedmulti') {
    d = { kind: 'wsh-sortedmulti', network, threshold: root.inner.threshold, keys: root.inner.keys.map(vaultKeyOrigin) };
    validateVault(d);
  } else if (root.type === 'tr') {
    d = frostVaultFromNode(root, network);
  } else {
    throw new ConclaveError('DESCRIPTOR_INVALID', 'descriptor: a vault descriptor is wsh(sortedmulti(m, ...)) or, for a FROST vault, tr(xpub/<0;1>/*)');
  }
  if (!kinds.includes(d.kind)) {
    throw new ConclaveError('VAULT_KIND_UNSUPPORTED', `descriptor: a ${KIND_TEXT[d.kind]} vault, but only ${kinds.map((k) => KIND_TEXT[k]).join(' or ')} is supported here`);
  }
  return d;
}

function body(d: MultisigVaultDescriptor, chain: string): string {
  const keys = d.keys.map((k) => `[${k.fingerprint}/${k.path}]${k.xpub}/${chain}/*`);
  return `wsh(sortedmulti(${d.threshold},${keys.join(',')}))`;
}

/** The descriptor text of either kind for `chain` (`<0;1>`, `0` or `1`), checked, without checksum. */
function checkedBody(d: VaultDescriptor, chain: string): string {
  if (d.kind === 'tr-frost') return frostDescriptorBody(d, chain);
  validateVault(d);
  return body(d, chain);
}

/** The canonical text: `h` markers, `<0;1>/*`, keys in order (multisig), with its checksum. */
export function formatVaultDescriptor(d: VaultDescriptor): string {
  return addChecksum(checkedBody(d, '<0;1>'));
}

/** The receive (`/0/*`) and change (`/1/*`) descriptors, as Bitcoin Core writes them. */
export function singlePathDescriptors(d: VaultDescriptor): { receive: string; change: string } {
  return { receive: addChecksum(checkedBody(d, '0')), change: addChecksum(checkedBody(d, '1')) };
}

/** Hex tagged hash of the canonical text, by which a vault is pinned. */
export function descriptorHash(d: VaultDescriptor): string {
  return taggedHashHex('Conclave/descriptor', utf8ToBytes(formatVaultDescriptor(d)));
}

/** The vault key whose account xpub is exactly `accountXpub`. */
export function vaultKeyForAccount(d: MultisigVaultDescriptor, accountXpub: string): KeyOrigin | undefined {
  return d.keys.find((k) => k.xpub === accountXpub);
}

/**
 * The vault's script and address at `change`/`index`: for multisig with each key's derivation,
 * for a FROST vault with its internal and output keys.
 */
export function deriveVaultScript(d: MultisigVaultDescriptor, change: 0 | 1, index: number): DerivedVaultScript;
export function deriveVaultScript(d: FrostVaultDescriptor, change: 0 | 1, index: number): TaprootVaultScript;
export function deriveVaultScript(d: VaultDescriptor, change: 0 | 1, index: number): VaultScript;
export function deriveVaultScript(d: VaultDescriptor, change: 0 | 1, index: number): VaultScript {
  if (d.kind === 'tr-frost') return deriveFrostVaultScript(d, change, index);
  checkPosition(change, index);
  const params = networkParams(d.network);
  if (!Number.isInteger(d.threshold) || d.threshold < 1 || d.threshold > d.keys.length || d.keys.length > MAX_VAULT_KEYS) {
    throw new ConclaveError('DESCRIPTOR_INVALID', `descriptor: threshold ${d.threshold} of ${d.keys.length} keys is not a valid vault`);
  }
  const keys: VaultKeyDerivation[] = d.keys.map((k, i) => ({
    pubkey: childPublicKey(k.xpub, change, index, keyWhere(i), params),
    fingerprint: k.fingerprint,
    path: [...bip48Path(k.path, i, params), change, index],
  }));
  keys.sort((a, b) => compareBytes(a.pubkey, b.pubkey));
  // witness script: <m> <sorted pubkeys> <n> OP_CHECKMULTISIG; scriptPubKey: 0 <sha256(witnessScript)>
  const witnessScript = multisigScript(d.threshold, keys.map((k) => k.pubkey), false);
  const scriptPubKey = wshScript(witnessScript);
  return { kind: 'wsh-sortedmulti', change, index, address: segwitAddress(scriptPubKey, params.bech32), scriptPubKey, witnessScript, keys };
}

/** An account key's origin path ("48h/1h/0h/2h") as BIP32 child numbers, checked as BIP48 P2WSH for `network`. */
export function accountOriginPath(path: string, network: NetworkName): number[] {
  return bip48Path(path, 0, networkParams(network));
}

/**
 * The compressed public key at `change`/`index` below an account xpub: how a key in a vault
 * script is tied to the one account key it comes from (a fingerprint and path are only claims).
 */
export function accountChildPublicKey(accountXpub: string, network: NetworkName, change: 0 | 1, index: number): Uint8Array {
  checkPosition(change, index);
  return childPublicKey(accountXpub, change, index, keyWhere(0), networkParams(network));
}

/** The same key origin: xpub, master fingerprint and origin path, all three (an exact match). */
export function sameKeyOrigin(a: KeyOrigin, b: KeyOrigin): boolean {
  return a.xpub === b.xpub && a.fingerprint === b.fingerprint && a.path === b.path;
}

/** Checks one BIP48 P2WSH account key as a member registers it, by the same rules as vault keys. */
export function validateAccountKey(key: KeyOrigin, network: NetworkName): void {
  validateVault({ kind: 'wsh-sortedmulti', network, threshold: 1, keys: [key] });
}
