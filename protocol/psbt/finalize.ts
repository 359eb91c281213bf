/**
 * BIP174 Input Finalizer and Transaction Extractor for P2WSH multisig vault inputs. Each input's
 * witness is `<> <sig>... <witnessScript>` (BIP141; the leading empty item is the extra value
 * OP_CHECKMULTISIG pops, which BIP147 requires to be empty), with exactly m signatures in the
 * order of their keys in the script, as OP_CHECKMULTISIG matches them in one pass. Every
 * signature considered, whether given here or already in the PSBT, is verified first: a bad one
 * is reported rather than broadcast in a transaction the network would reject.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { PartialSignature } from '../api';
import { ConclaveError } from '../errors';
import { type DecodedPsbt, type PsbtLike, encodePsbt, resolvePsbt } from './decode';
import { indexOfKey, parseMultisig } from './multisig';
import { type RawPsbtInput, serializeWithWitness } from './raw';
import { InputDigests, type ParsedSignature, parsePartialSignature, signatureVerifies, toPartialSignature } from './signature';

export interface FinalizedTransaction {
  /** The network transaction, ready for broadcast. */
  txHex: string;
  txid: string;
  /** The finalized PSBT, base64 (final witnesses, UTXOs kept, signing data cleared per BIP174). */
  psbt: string;
}

export function finalizeWithSignatures(psbt: PsbtLike, sigs: PartialSignature[], threshold: number): FinalizedTransaction {
  if (!Number.isSafeInteger(threshold) || threshold < 1) throw new ConclaveError('VALIDATION_FAILED', 'threshold: expected a positive integer');
  const decoded = resolvePsbt(psbt);
  const { raw } = decoded;
  const tx = raw.global.unsignedTx;
  if (tx.inputs.length === 0 || tx.outputs.length === 0) throw new ConclaveError('PSBT_MISMATCH', 'psbt: a transaction needs inputs and outputs');
  checkFee(decoded);

  const given = new Map<number, ParsedSignature[]>();
  for (const sig of sigs) {
    const parsed = parsePartialSignature(sig, raw.inputs.length);
    const forInput = given.get(parsed.input);
    if (forInput === undefined) given.set(parsed.input, [parsed]);
    else forInput.push(parsed);
  }
  const digests = new InputDigests(decoded);
  const witnesses = raw.inputs.map((input, i) => inputWitness(input, i, [...embedded(input, i), ...(given.get(i) ?? [])], threshold, digests));
  const inputs = raw.inputs.map((input, i) => finalInput(input, witnesses[i]));
  return {
    txHex: bytesToHex(serializeWithWitness(tx, witnesses)),
    txid: decoded.unsignedTxid,
    psbt: encodePsbt({ ...raw, inputs }),
  };
}

function inputWitness(input: RawPsbtInput, i: number, candidates: ParsedSignature[], threshold: number, digests: InputDigests): Uint8Array[] {
  const where = `psbt/input[${i}]`;
  if (input.finalScriptWitness !== undefined || input.finalScriptSig !== undefined) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: already finalized`, { input: i });
  }
  const witnessScript = input.witnessScript;
  const multisig = witnessScript === undefined ? null : parseMultisig(witnessScript);
  if (witnessScript === undefined || multisig === null) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: no multisig witness script to finalize with`, { input: i });
  }
  if (multisig.m !== threshold) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: the witness script needs ${multisig.m} signatures, the vault threshold is ${threshold}`, { input: i });
  }
  const digest = digests.digest(i, witnessScript);
  const bySlot = new Map<number, Uint8Array>();
  for (const sig of candidates) {
    const slot = indexOfKey(multisig, sig.pubkey);
    if (slot < 0) throw new ConclaveError('SIGNER_NOT_IN_VAULT', `${where}: ${sig.pubkeyHex} is not a key of this input's witness script`, { input: i });
    if (!signatureVerifies(sig.signature, digest, sig.pubkey)) {
      throw new ConclaveError('SIGNATURE_INVALID', `${where}: signature by ${sig.pubkeyHex} does not verify`, { input: i });
    }
    if (!bySlot.has(slot)) bySlot.set(slot, sig.signature);
  }
  if (bySlot.size < multisig.m) {
    throw new ConclaveError('SIGNATURE_INVALID', `${where}: ${bySlot.size} valid signature(s), ${multisig.m} required`, { input: i });
  }
  const ordered = [...bySlot.entries()].sort(([a], [b]) => a - b).slice(0, multisig.m).map(([, signature]) => signature);
  return [new Uint8Array(0), ...ordered, witnessScript];
}

/** Signatures already in the PSBT (from other signers' PSBTs combined before), checked like the given ones. */
function embedded(input: RawPsbtInput, i: number): ParsedSignature[] {
  return (input.partialSig ?? []).map(([pubkey, signature]) => parsePartialSignature(toPartialSignature(i, pubkey, signature), Number.MAX_SAFE_INTEGER));
}

/** BIP174 finalizer: "all other data except the UTXO and unknown fields in the input key-value map should be cleared". */
function finalInput(input: RawPsbtInput, witness: Uint8Array[]): RawPsbtInput {
  const { nonWitnessUtxo, witnessUtxo, unknown, proprietary } = input;
  const kept: RawPsbtInput = { nonWitnessUtxo, witnessUtxo, unknown, proprietary, finalScriptWitness: witness };
  for (const field of Object.keys(kept)) if (kept[field] === undefined) delete kept[field];
  return kept;
}

/** The extractor's last check: every spent amount is known and the outputs do not spend more. */
function checkFee(decoded: DecodedPsbt): void {
  let totalIn = 0n;
  decoded.prevouts.forEach((prevout, i) => {
    if (prevout === null) throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: the spent output is unknown`, { input: i });
    totalIn += prevout.amount;
  });
  const totalOut = decoded.raw.global.unsignedTx.outputs.reduce((sum, o) => sum + o.amount, 0n);
  if (totalOut > totalIn) throw new ConclaveError('PSBT_MISMATCH', `psbt: outputs (${totalOut} sat) exceed inputs (${totalIn} sat)`);
}
