/**
 * The keyholder's signer role (BIP174 "Signer") for P2WSH multisig vault inputs: ECDSA over
 * the BIP143 SIGHASH_ALL digest, RFC 6979 deterministic nonces, low S (BIP146) and low R (as
 * Bitcoin Core grinds, so signatures are at most 71 bytes), via @scure/btc-signer's signer.
 * It signs an input only when the input carries its full previous transaction, asks for
 * SIGHASH_ALL (or nothing), and its BIP32 derivation for this signer's account derives, from the
 * signer's own key, a public key that is in the input's witness script. Whether the transaction
 * is one to sign at all (intent, outputs, fee, ownership of every input) is decided before, on
 * `inspectPsbt`'s summary; this function refuses only what it cannot safely sign.
 */
import type { HDKey } from '@scure/bip32';
import { bytesToHex } from '@noble/hashes/utils.js';
import { equalBytes, signECDSA } from '@scure/btc-signer/utils.js';
import type { PartialSignature } from '../api';
import { ConclaveError } from '../errors';
import { type PsbtLike, encodePsbt, resolvePsbt } from './decode';
import { indexOfKey, p2wshScriptPubKey, parseMultisig } from './multisig';
import { type RawBip32Derivation, type RawPsbtInput, fingerprintFromHex } from './raw';
import { SIGHASH_ALL, SighashAllV0 } from './sighash';
import { toPartialSignature } from './signature';

const HARDENED = 0x80000000;

/** Where the account key sits: master fingerprint (8 hex) and its full path, e.g. 48'/1'/0'/2'. */
export interface AccountOrigin {
  fingerprint: string;
  path: number[];
}

export interface SignResult {
  /** The PSBT with this signer's partial signatures added, base64. */
  psbt: string;
  partialSigs: PartialSignature[];
}

export function signVaultInputs(psbt: PsbtLike, accountKey: HDKey, account: AccountOrigin, inputIndexes: number[]): SignResult {
  checkAccount(accountKey, account);
  const decoded = resolvePsbt(psbt);
  const { raw } = decoded;
  checkIndexes(inputIndexes, raw.inputs.length);
  const sighash = new SighashAllV0(raw.global.unsignedTx);
  const children = new ChildKeys(accountKey);
  const inputs = raw.inputs.slice();
  const partialSigs: PartialSignature[] = [];
  try {
    for (const i of inputIndexes) {
      const where = `psbt/input[${i}]`;
      const input = raw.inputs[i];
      const prevout = decoded.prevouts[i];
      if (prevout === null || !prevout.fromFullTx) {
        throw new ConclaveError('PSBT_MISMATCH', `${where}: no full previous transaction (non_witness_utxo); refusing to sign`, { input: i });
      }
      if (input.finalScriptWitness !== undefined || input.finalScriptSig !== undefined) {
        throw new ConclaveError('PSBT_MISMATCH', `${where}: already finalized`, { input: i });
      }
      if (input.sighashType !== undefined && input.sighashType !== SIGHASH_ALL) {
        throw new ConclaveError('PSBT_MISMATCH', `${where}: asks for sighash type ${input.sighashType}; only SIGHASH_ALL is signed`, { input: i });
      }
      const witnessScript = input.witnessScript;
      const multisig = witnessScript === undefined ? null : parseMultisig(witnessScript);
      if (witnessScript === undefined || multisig === null || !equalBytes(p2wshScriptPubKey(witnessScript), prevout.script)) {
        throw new ConclaveError('PSBT_MISMATCH', `${where}: not a P2WSH multisig spend with its witness script`, { input: i });
      }
      const ours = ownDerivations(input, account);
      if (ours.length === 0) {
        throw new ConclaveError('PSBT_MISMATCH', `${where}: no BIP32 derivation for this signer (${account.fingerprint})`, { input: i });
      }
      const digest = sighash.digest(i, witnessScript, prevout.amount);
      let partialSig = input.partialSig ?? [];
      for (const [pubkey, { change, index }] of ours) {
        const child = children.get(change, index);
        if (child.publicKey === null || !equalBytes(child.publicKey, pubkey) || child.privateKey === null) {
          throw new ConclaveError('PSBT_MISMATCH', `${where}: the derivation ${change}/${index} claims key ${bytesToHex(pubkey)}, which this signer's account does not derive`, { input: i });
        }
        if (indexOfKey(multisig, pubkey) < 0) {
          throw new ConclaveError('PSBT_MISMATCH', `${where}: this signer's key ${bytesToHex(pubkey)} is not in the witness script`, { input: i });
        }
        const signature = Uint8Array.from([...signECDSA(digest, child.privateKey, true), SIGHASH_ALL]);
        partialSig = [...partialSig.filter(([key]) => !equalBytes(key, pubkey)), [pubkey, signature]];
        partialSigs.push(toPartialSignature(i, pubkey, signature));
      }
      inputs[i] = { ...input, partialSig };
    }
  } finally {
    children.wipe();
  }
  return { psbt: encodePsbt({ ...raw, inputs }), partialSigs };
}

/** Derivations under this signer's account: fingerprint and path prefix match, then unhardened change (0|1), index. */
function ownDerivations(input: RawPsbtInput, account: AccountOrigin): Array<[Uint8Array, { change: 0 | 1; index: number }]> {
  const fingerprint = fingerprintFromHex(account.fingerprint);
  const out: Array<[Uint8Array, { change: 0 | 1; index: number }]> = [];
  for (const [pubkey, derivation] of input.bip32Derivation ?? []) {
    const position = positionUnder(derivation, fingerprint, account.path);
    if (position !== null) out.push([pubkey, position]);
  }
  return out;
}

function positionUnder(derivation: RawBip32Derivation, fingerprint: number, accountPath: number[]): { change: 0 | 1; index: number } | null {
  const { path } = derivation;
  if (derivation.fingerprint !== fingerprint || path.length !== accountPath.length + 2) return null;
  if (accountPath.some((step, k) => path[k] !== step)) return null;
  const change = path[path.length - 2];
  const index = path[path.length - 1];
  if ((change !== 0 && change !== 1) || index >= HARDENED) return null;
  return { change, index };
}

/** Children of the account key, derived once per (change, index) and wiped when signing ends. */
class ChildKeys {
  private readonly chains = new Map<number, HDKey>();
  private readonly leaves = new Map<string, HDKey>();

  constructor(private readonly account: HDKey) {}

  get(change: 0 | 1, index: number): HDKey {
    const key = `${change}/${index}`;
    let leaf = this.leaves.get(key);
    if (leaf === undefined) {
      let chain = this.chains.get(change);
      if (chain === undefined) {
        chain = this.account.deriveChild(change);
        this.chains.set(change, chain);
      }
      leaf = chain.deriveChild(index);
      this.leaves.set(key, leaf);
    }
    return leaf;
  }

  wipe(): void {
    for (const key of [...this.chains.values(), ...this.leaves.values()]) key.wipePrivateData();
    this.chains.clear();
    this.leaves.clear();
  }
}

function checkAccount(accountKey: HDKey, account: AccountOrigin): void {
  if (typeof account.fingerprint !== 'string' || !/^[0-9a-f]{8}$/.test(account.fingerprint)) {
    throw new ConclaveError('KEY_INVALID', 'account.fingerprint: expected 8 lowercase hex digits');
  }
  if (!Array.isArray(account.path) || account.path.some((step) => !Number.isInteger(step) || step < 0 || step > 0xffffffff)) {
    throw new ConclaveError('KEY_INVALID', 'account.path: expected BIP32 path elements (u32)');
  }
  if (accountKey.privateKey === null) throw new ConclaveError('KEY_INVALID', 'accountKey: a private key is needed to sign');
  if (accountKey.depth !== account.path.length) {
    throw new ConclaveError('KEY_INVALID', `accountKey: depth ${accountKey.depth} does not match account path of ${account.path.length} steps`);
  }
}

function checkIndexes(indexes: number[], inputCount: number): void {
  if (!Array.isArray(indexes) || indexes.length === 0) throw new ConclaveError('VALIDATION_FAILED', 'inputIndexes: expected at least one input index');
  const seen = new Set<number>();
  for (const i of indexes) {
    if (!Number.isSafeInteger(i) || i < 0 || i >= inputCount) {
      throw new ConclaveError('VALIDATION_FAILED', `inputIndexes: ${i} is not an input of this transaction (it has ${inputCount})`);
    }
    if (seen.has(i)) throw new ConclaveError('VALIDATION_FAILED', `inputIndexes: ${i} is listed twice`);
    seen.add(i);
  }
}
