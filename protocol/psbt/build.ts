/**
 * BIP174 Creator and Updater for a vault withdrawal, for both vault kinds: a version 0 PSBT that
 * any wallet able to co-sign P2WSH multisig (Sparrow, Caravan, Bitcoin Core, hardware signers)
 * or watch the FROST vault's `tr(xpub/<0;1>/*)` can check on its own. Each input carries its full
 * previous transaction (so its amount is provable, and every signer checks both kinds the same
 * way) and the witness_utxo derived from it. A multisig input adds the witness script and the
 * BIP32 derivation of every key; a FROST input adds (BIP371) its Taproot internal key and that
 * key's derivation from the group xpub, with no leaf hashes (key path). The change output
 * carries the same, so a signer can recognise it as the vault's; the global xpubs
 * (PSBT_GLOBAL_XPUB) let a signer check the whole key set.
 *
 * A FROST group xpub has no origin (it is a depth-0 key of its own), so its derivations use, as
 * Bitcoin Core does for a descriptor key without origin, the fingerprint of the xpub's own key
 * and the path from it, [change, index]; its global xpub entry has that fingerprint and an empty
 * path.
 *
 * Outputs stay in the order given, with change last. The order is then a pure function of the
 * intent, so every party can rebuild and compare the transaction, and a wallet showing the PSBT
 * lists the destinations as they were approved. The cost is that the change position is
 * predictable on chain; randomising it would make the transaction depend on hidden state.
 */
import { base64 } from '@scure/base';
import { HDKey } from '@scure/bip32';
import { hexToBytes } from '@noble/hashes/utils.js';
import { equalBytes } from '@scure/btc-signer/utils.js';
import { addressToScript } from '../address';
import { MAX_MONEY_SATS } from '../amounts';
import { type VaultDescriptor, accountOriginPath, frostGroupFingerprint, taprootOutputKey, trScript } from '../descriptor';
import { ConclaveError } from '../errors';
import { type NetworkName, networkParams } from '../network';
import { decodePsbt } from './decode';
import { p2wshScriptPubKey, parseMultisig } from './multisig';
import {
  type RawBip32Derivation, type RawGlobalXpub, type RawPsbtInput, type RawPsbtOutput, type RawTapBip32Derivation, type RawTxInput,
  decodeRawTx, encodeRawPsbtV0, fingerprintFromHex, txidOf,
} from './raw';
import type { DerivedVaultScript, TaprootVaultScript, VaultScript } from './types';

/** nSequence that signals replaceability (BIP125) and sets no relative timelock (BIP68). */
export const RBF_SEQUENCE = 0xfffffffd;
const TX_VERSION = 2;

export interface WithdrawalInput {
  txid: string;
  vout: number;
  /** The full funding transaction, hex (with or without witnesses). */
  prevTxHex: string;
  /** The vault address the coin pays, of either kind (all inputs and the change of one kind). */
  script: VaultScript;
}

export interface WithdrawalOutput {
  address: string;
  amount: bigint;
}

export interface GlobalXpubInput {
  xpub: string;
  fingerprint: string;
  /** Full path from the master key to the xpub, hardened elements with the 0x80000000 offset. */
  path: number[];
}

export interface BuildWithdrawalParams {
  network: NetworkName;
  inputs: WithdrawalInput[];
  outputs: WithdrawalOutput[];
  change?: { script: VaultScript; amount: bigint };
  globalXpubs: GlobalXpubInput[];
  locktime: number;
  sequence?: number;
}

/** Returns the PSBT, base64; it has already passed the same strict decoder every signer runs. */
export function buildWithdrawalPsbt(params: BuildWithdrawalParams): string {
  const { network } = params;
  networkParams(network);
  checkU32(params.locktime, 'locktime');
  const sequence = params.sequence ?? RBF_SEQUENCE;
  checkU32(sequence, 'sequence');
  if (params.inputs.length === 0) throw new ConclaveError('VALIDATION_FAILED', 'inputs: a withdrawal spends at least one coin');
  if (params.outputs.length === 0) throw new ConclaveError('VALIDATION_FAILED', 'outputs: a withdrawal pays at least one destination');
  // One vault, one kind: the signers of one kind cannot sign the other's inputs.
  const kinds = new Set([...params.inputs.map((coin) => kindOf(coin.script)), ...(params.change ? [kindOf(params.change.script)] : [])]);
  if (kinds.size > 1) throw new ConclaveError('VALIDATION_FAILED', 'inputs: multisig and FROST vault scripts mixed in one withdrawal');

  const seen = new Set<string>();
  const txInputs: RawTxInput[] = [];
  const inputMaps: RawPsbtInput[] = [];
  let totalIn = 0n;
  params.inputs.forEach((coin, i) => {
    const { txInput, map, amount } = buildInput(coin, i, sequence);
    const outpoint = `${coin.txid}:${coin.vout}`;
    if (seen.has(outpoint)) throw new ConclaveError('VALIDATION_FAILED', `inputs[${i}]: ${outpoint} is spent twice`);
    seen.add(outpoint);
    txInputs.push(txInput);
    inputMaps.push(map);
    totalIn += amount;
  });

  const txOutputs = params.outputs.map((o, j) => ({ amount: checkAmount(o.amount, `outputs[${j}].amount`), script: addressToScript(o.address, network, `outputs[${j}].address`) }));
  const outputMaps: RawPsbtOutput[] = txOutputs.map(() => ({}));
  if (params.change !== undefined) {
    const { script, amount } = params.change;
    checkVaultScript(script, 'change.script');
    txOutputs.push({ amount: checkAmount(amount, 'change.amount'), script: script.scriptPubKey });
    outputMaps.push(script.kind === 'tr-frost'
      ? { tapInternalKey: script.internalKey, tapBip32Derivation: tapDerivations(script) }
      : { witnessScript: script.witnessScript, bip32Derivation: derivations(script) });
  }
  const totalOut = txOutputs.reduce((sum, o) => sum + o.amount, 0n);
  if (totalOut > totalIn) {
    throw new ConclaveError('INSUFFICIENT_FUNDS', `outputs: ${totalOut} sat to pay but the inputs hold ${totalIn} sat`);
  }

  const xpub = params.globalXpubs.map((x, k) => globalXpub(x, network, k));
  let bytes: Uint8Array;
  try {
    bytes = encodeRawPsbtV0({
      global: { unsignedTx: { version: TX_VERSION, inputs: txInputs, outputs: txOutputs, lockTime: params.locktime }, xpub },
      inputs: inputMaps,
      outputs: outputMaps,
    });
  } catch (error) {
    // e.g. the same xpub or key listed twice: BIP174 keys must be unique within a map
    throw new ConclaveError('VALIDATION_FAILED', `psbt: cannot be serialized (${error instanceof Error ? error.message : String(error)})`);
  }
  // The builder's output meets the signers' strict decoder before anyone else sees it.
  decodePsbt(bytes);
  return base64.encode(bytes);
}

function buildInput(coin: WithdrawalInput, i: number, sequence: number): { txInput: RawTxInput; map: RawPsbtInput; amount: bigint } {
  const where = `inputs[${i}]`;
  if (typeof coin.txid !== 'string' || !/^[0-9a-f]{64}$/.test(coin.txid)) throw new ConclaveError('VALIDATION_FAILED', `${where}.txid: expected 32 bytes of lowercase hex`);
  checkU32(coin.vout, `${where}.vout`);
  if (typeof coin.prevTxHex !== 'string' || !/^([0-9a-f]{2})+$/.test(coin.prevTxHex)) {
    throw new ConclaveError('TX_MALFORMED', `${where}.prevTxHex: expected raw transaction hex`);
  }
  let prevTx: ReturnType<typeof decodeRawTx>;
  try {
    prevTx = decodeRawTx(hexToBytes(coin.prevTxHex));
  } catch (error) {
    throw new ConclaveError('TX_MALFORMED', `${where}.prevTxHex: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (txidOf(prevTx) !== coin.txid) throw new ConclaveError('PSBT_MISMATCH', `${where}: previous transaction does not match outpoint`);
  const spent = prevTx.outputs[coin.vout];
  if (spent === undefined) throw new ConclaveError('PSBT_MISMATCH', `${where}: previous transaction has no output ${coin.vout}`);
  checkVaultScript(coin.script, `${where}.script`);
  if (!equalBytes(spent.script, coin.script.scriptPubKey)) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: output ${coin.vout} of the previous transaction does not pay the vault script ${coin.script.change}/${coin.script.index}`);
  }
  return {
    txInput: { txid: hexToBytes(coin.txid), index: coin.vout, finalScriptSig: new Uint8Array(0), sequence },
    map: {
      nonWitnessUtxo: prevTx,
      witnessUtxo: { amount: spent.amount, script: spent.script },
      ...(coin.script.kind === 'tr-frost'
        ? { tapInternalKey: coin.script.internalKey, tapBip32Derivation: tapDerivations(coin.script) }
        : { witnessScript: coin.script.witnessScript, bip32Derivation: derivations(coin.script) }),
    },
    amount: spent.amount,
  };
}

function kindOf(script: VaultScript): 'wsh-sortedmulti' | 'tr-frost' {
  return script.kind === 'tr-frost' ? 'tr-frost' : 'wsh-sortedmulti';
}

/**
 * The oracle's script must be self-consistent: P2WSH of a multisig whose keys are the listed
 * ones, in order; or P2TR of the BIP341 tweak of the listed internal key at its own position.
 */
function checkVaultScript(script: VaultScript, field: string): void {
  if (script.kind === 'tr-frost') return checkTaprootScript(script, field);
  const multisig = parseMultisig(script.witnessScript);
  const consistent = multisig !== null
    && equalBytes(p2wshScriptPubKey(script.witnessScript), script.scriptPubKey)
    && multisig.pubkeys.length === script.keys.length
    && multisig.pubkeys.every((key, k) => equalBytes(key, script.keys[k].pubkey));
  if (!consistent) throw new ConclaveError('VALIDATION_FAILED', `${field}: not a P2WSH multisig script with the listed keys`);
}

function checkTaprootScript(script: TaprootVaultScript, field: string): void {
  let consistent = false;
  try {
    consistent = script.internalKey.length === 32
      && script.path.length === 2 && script.path[0] === script.change && script.path[1] === script.index
      && equalBytes(taprootOutputKey(script.internalKey), script.outputKey)
      && equalBytes(trScript(script.outputKey), script.scriptPubKey);
  } catch {
    // an internal key that is not on the curve
  }
  if (!consistent) throw new ConclaveError('VALIDATION_FAILED', `${field}: not the key-path P2TR output of the listed internal key`);
}

function derivations(script: DerivedVaultScript): Array<[Uint8Array, RawBip32Derivation]> {
  return script.keys.map((k) => [k.pubkey, { fingerprint: checkFingerprint(k.fingerprint, 'keys.fingerprint'), path: k.path }]);
}

/** BIP371 key-path derivation of the internal key: no leaf hashes. */
function tapDerivations(script: TaprootVaultScript): Array<[Uint8Array, RawTapBip32Derivation]> {
  return [[script.internalKey, { hashes: [], der: { fingerprint: checkFingerprint(script.fingerprint, 'script.fingerprint'), path: [...script.path] } }]];
}

/**
 * The PSBT_GLOBAL_XPUB entries of a vault: every multisig account key with its origin, or the
 * FROST group xpub with its own fingerprint and an empty path (a depth-0 key).
 */
export function vaultGlobalXpubs(d: VaultDescriptor): GlobalXpubInput[] {
  if (d.kind === 'tr-frost') return [{ xpub: d.groupXpub, fingerprint: frostGroupFingerprint(d), path: [] }];
  return d.keys.map((k) => ({ xpub: k.xpub, fingerprint: k.fingerprint, path: accountOriginPath(k.path, d.network) }));
}

function globalXpub(x: GlobalXpubInput, network: NetworkName, k: number): [RawGlobalXpub, RawBip32Derivation] {
  const field = `globalXpubs[${k}]`;
  const versions = networkParams(network).bip32;
  let hd: HDKey;
  try {
    hd = HDKey.fromExtendedKey(x.xpub, versions);
  } catch {
    throw new ConclaveError('KEY_INVALID', `${field}.xpub: not an extended public key of ${network}`);
  }
  if (hd.privateKey !== null || hd.publicKey === null || hd.chainCode === null) {
    throw new ConclaveError('KEY_INVALID', `${field}.xpub: expected an extended public key`);
  }
  if (!Array.isArray(x.path) || hd.depth !== x.path.length) {
    throw new ConclaveError('KEY_INVALID', `${field}.path: ${x.path.length} steps, but the xpub is at depth ${hd.depth}`);
  }
  x.path.forEach((step, s) => checkU32(step, `${field}.path[${s}]`));
  return [
    { version: versions.public, depth: hd.depth, parentFingerprint: hd.parentFingerprint, childNumber: hd.index, chainCode: hd.chainCode, publicKey: hd.publicKey },
    { fingerprint: checkFingerprint(x.fingerprint, `${field}.fingerprint`), path: x.path },
  ];
}

function checkFingerprint(fingerprint: string, field: string): number {
  if (typeof fingerprint !== 'string' || !/^[0-9a-f]{8}$/.test(fingerprint)) throw new ConclaveError('KEY_INVALID', `${field}: expected 8 lowercase hex digits`);
  return fingerprintFromHex(fingerprint);
}

function checkAmount(amount: bigint, field: string): bigint {
  if (typeof amount !== 'bigint' || amount <= 0n || amount > MAX_MONEY_SATS) {
    throw new ConclaveError('AMOUNT_INVALID', `${field}: expected a positive number of satoshis up to 21 million BTC`);
  }
  return amount;
}

function checkU32(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new ConclaveError('VALIDATION_FAILED', `${field}: expected an integer in 0..4294967295`);
}
