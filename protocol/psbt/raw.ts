/**
 * The BIP174 key-value maps as @scure/btc-signer's strict coder reads and writes them, typed
 * here because its published declarations elide the nested shapes. This module edits PSBTs at
 * this level (adding partial signatures, final witnesses) instead of through scure's
 * `Transaction` object: every edit is then one pass over the maps, it keeps fields it does not
 * know (unknown and proprietary keys) untouched, and it never re-checks the whole transaction
 * per input, which is what makes signing hundreds of inputs quadratic there.
 */
import { PSBTInput, PSBTInputCoder, PSBTOutput, PSBTOutputCoder, RawPSBTV0, cleanPSBTFields } from '@scure/btc-signer/psbt.js';
import { RawOldTx, RawTx } from '@scure/btc-signer/script.js';
import { sha256x2 } from '@scure/btc-signer/utils.js';
import { bytesToHex, concatBytes } from '@noble/hashes/utils.js';

export interface RawTxInput {
  /** Txid in display order (scure reverses the wire bytes on decode). */
  txid: Uint8Array;
  index: number;
  finalScriptSig: Uint8Array;
  sequence: number;
}

export interface RawTxOutput {
  amount: bigint;
  script: Uint8Array;
}

export interface RawUnsignedTx {
  version: number;
  inputs: RawTxInput[];
  outputs: RawTxOutput[];
  lockTime: number;
}

/** A full transaction as PSBT_IN_NON_WITNESS_UTXO carries it, possibly with witnesses. */
export interface RawFullTx extends RawUnsignedTx {
  segwitFlag: boolean;
  witnesses?: Uint8Array[][];
}

/** PSBT BIP32 derivation value: master fingerprint (as a big-endian u32) and path. */
export interface RawBip32Derivation {
  fingerprint: number;
  path: number[];
}

/** BIP371 PSBT_IN/OUT_TAP_BIP32_DERIVATION value: leaf hashes (none for the key path) and the BIP32 derivation. */
export interface RawTapBip32Derivation {
  hashes: Uint8Array[];
  der: RawBip32Derivation;
}

export interface RawGlobalXpub {
  version: number;
  depth: number;
  parentFingerprint: number;
  childNumber: number;
  chainCode: Uint8Array;
  publicKey: Uint8Array;
}

export interface RawPsbtGlobal {
  unsignedTx: RawUnsignedTx;
  xpub?: Array<[RawGlobalXpub, RawBip32Derivation]>;
  version?: number;
  [field: string]: unknown;
}

export interface RawPsbtInput {
  nonWitnessUtxo?: RawFullTx;
  witnessUtxo?: RawTxOutput;
  partialSig?: Array<[Uint8Array, Uint8Array]>;
  sighashType?: number;
  redeemScript?: Uint8Array;
  witnessScript?: Uint8Array;
  bip32Derivation?: Array<[Uint8Array, RawBip32Derivation]>;
  finalScriptSig?: Uint8Array;
  finalScriptWitness?: Uint8Array[];
  /** BIP371: 64-byte key-path signature, or 65 with an explicit sighash byte. */
  tapKeySig?: Uint8Array;
  tapScriptSig?: Array<[{ pubKey: Uint8Array; leafHash: Uint8Array }, Uint8Array]>;
  tapLeafScript?: Array<[unknown, Uint8Array]>;
  /** BIP371: x-only keys (32 bytes) with their derivations. */
  tapBip32Derivation?: Array<[Uint8Array, RawTapBip32Derivation]>;
  tapInternalKey?: Uint8Array;
  tapMerkleRoot?: Uint8Array;
  [field: string]: unknown;
}

export interface RawPsbtOutput {
  redeemScript?: Uint8Array;
  witnessScript?: Uint8Array;
  bip32Derivation?: Array<[Uint8Array, RawBip32Derivation]>;
  tapInternalKey?: Uint8Array;
  tapTree?: unknown;
  tapBip32Derivation?: Array<[Uint8Array, RawTapBip32Derivation]>;
  [field: string]: unknown;
}

export interface RawPsbt {
  global: RawPsbtGlobal;
  inputs: RawPsbtInput[];
  outputs: RawPsbtOutput[];
}

type ScureRawPsbt = Parameters<typeof RawPSBTV0.encode>[0];
type ScureInput = Parameters<typeof PSBTInputCoder.encode>[0];
type ScureOutput = Parameters<typeof PSBTOutputCoder.encode>[0];

/** Strict BIP174 v0 decode; throws scure's error (the caller maps it to a stable code). */
export function decodeRawPsbtV0(bytes: Uint8Array): RawPsbt {
  return RawPSBTV0.decode(bytes) as unknown as RawPsbt;
}

/**
 * BIP174 serialization: magic, global map, one map per input, one per output. Each map is
 * encoded on its own and the pieces concatenated: micro-packed (under scure's coder) re-reads
 * everything written so far after each key-value pair of a map, so one pass over a whole PSBT
 * costs the square of its size (about 3.7 s for 800 inputs, against 0.13 s for 100). The global
 * map and the version rules are checked by encoding a skeleton with empty input/output maps.
 */
export function encodeRawPsbtV0(raw: RawPsbt): Uint8Array {
  const emptyMaps = raw.inputs.length + raw.outputs.length;
  const skeleton = RawPSBTV0.encode({ global: raw.global, inputs: raw.inputs.map(() => ({})), outputs: raw.outputs.map(() => ({})) } as unknown as ScureRawPsbt);
  // An empty map is its 0x00 separator alone, so the skeleton ends with one zero byte per map.
  const head = skeleton.subarray(0, skeleton.length - emptyMaps);
  const inputs = raw.inputs.map((input) => PSBTInputCoder.encode(cleanPSBTFields(0, PSBTInput, input as ScureInput) as ScureInput));
  const outputs = raw.outputs.map((output) => PSBTOutputCoder.encode(cleanPSBTFields(0, PSBTOutput, output as ScureOutput) as ScureOutput));
  return concatBytes(head, ...inputs, ...outputs);
}

export function decodeRawTx(bytes: Uint8Array): RawFullTx {
  return RawTx.decode(bytes) as unknown as RawFullTx;
}

/** Serialization without witnesses (BIP144), the one the txid commits to. */
export function serializeWithoutWitness(tx: RawUnsignedTx): Uint8Array {
  const { version, inputs, outputs, lockTime } = tx;
  return RawOldTx.encode({ version, inputs, outputs, lockTime });
}

export function serializeWithWitness(tx: RawUnsignedTx, witnesses: Uint8Array[][]): Uint8Array {
  const { version, inputs, outputs, lockTime } = tx;
  return RawTx.encode({ version, segwitFlag: true, inputs, outputs, witnesses, lockTime });
}

/** Txid in the usual display order: sha256d of the legacy serialization, byte-reversed. */
export function txidOf(tx: RawUnsignedTx): string {
  return bytesToHex(sha256x2(serializeWithoutWitness(tx)).reverse());
}

export function fingerprintToHex(fingerprint: number): string {
  return fingerprint.toString(16).padStart(8, '0');
}

export function fingerprintFromHex(fingerprint: string): number {
  return Number.parseInt(fingerprint, 16) >>> 0;
}
