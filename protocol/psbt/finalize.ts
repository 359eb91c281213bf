/**
 * BIP174 Input Finalizer and Transaction Extractor for P2WSH multisig vault inputs. Each input's
 * witness is `<> <sig>... <witnessScript>` (BIP141; the leading empty item is the extra value
 * OP_CHECKMULTISIG pops, which BIP147 requires to be empty), with exactly m signatures in the
 * order of their keys in the script, as OP_CHECKMULTISIG matches them in one pass. Every
 * signature considered, whether given here or already in the PSBT, is verified first: a bad one
 * is reported rather than broadcast in a transaction the network would reject.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { equalBytes } from '@scure/btc-signer/utils.js';
import type { PartialSignature } from '../api';
import { ConclaveError } from '../errors';
import { type DecodedPsbt, type PsbtLike, encodePsbt, resolvePsbt } from './decode';
import { indexOfKey, p2wshScriptPubKey, parseMultisig } from './multisig';
import type { Prevout } from './prevout';
import { type RawPsbtInput, serializeWithWitness } from './raw';
import { InputDigests, type ParsedSignature, parsePartialSignature, signatureVerifies, toPartialSignature } from './signature';

export interface FinalizedTransaction {
  /** The network transaction, ready for broadcast. */
  txHex: string;
  txid: string;
  /** The finalized PSBT, base64 (final witnesses, UTXOs kept, signing data cleared per BIP174). */
  psbt: string;
}

/**
 * Adds `sigs` to the PSBT's own partial signatures, finalizes every input and extracts the
 * transaction. Throws SIGNATURE_INVALID when any signature does not verify or an input has fewer
 * than `threshold` valid ones, SIGNER_NOT_IN_VAULT for a key outside an input's witness script,
 * and PSBT_MISMATCH when the witness script's threshold is not `threshold`.
 */
export function finalizeWithSignatures(psbt: PsbtLike, sigs: PartialSignature[], threshold: number): FinalizedTransaction {
  if (!Number.isSafeInteger(threshold) || threshold < 1) throw new ConclaveError('VALIDATION_FAILED', 'threshold: expected a positive integer');
  const decoded = resolvePsbt(psbt);
  const { raw } = decoded;
  const tx = raw.global.unsignedTx;
  if (tx.inputs.length === 0 || tx.outputs.length === 0) throw new ConclaveError('PSBT_MISMATCH', 'psbt: a transaction needs inputs and outputs');
  const prevouts = knownPrevouts(decoded);

  const given = new Map<number, ParsedSignature[]>();
  for (const sig of sigs) {
    const parsed = parsePartialSignature(sig, raw.inputs.length);
    const forInput = given.get(parsed.input);
    if (forInput === undefined) given.set(parsed.input, [parsed]);
    else forInput.push(parsed);
  }
  const digests = new InputDigests(decoded);
  const witnesses = raw.inputs.map((input, i) => inputWitness(input, prevouts[i], i, [...embedded(input, i), ...(given.get(i) ?? [])], threshold, digests));
  const inputs = raw.inputs.map((input, i) => finalInput(input, witnesses[i]));
  return {
    txHex: bytesToHex(serializeWithWitness(tx, witnesses)),
    txid: decoded.unsignedTxid,
    psbt: encodePsbt({ ...raw, inputs }),
  };
}

function inputWitness(input: RawPsbtInput, prevout: Prevout, i: number, candidates: ParsedSignature[], threshold: number, digests: InputDigests): Uint8Array[] {
  const where = `psbt/input[${i}]`;
  if (input.finalScriptWitness !== undefined || input.finalScriptSig !== undefined) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: already finalized`, { input: i });
  }
  const witnessScript = input.witnessScript;
  const multisig = witnessScript === undefined ? null : parseMultisig(witnessScript);
  if (witnessScript === undefined || multisig === null) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: no multisig witness script to finalize with`, { input: i });
  }
  // Native P2WSH only: a P2SH-wrapped spend would also need a scriptSig, which this finalizer does not write.
  if (!equalBytes(prevout.script, p2wshScriptPubKey(witnessScript))) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: not a native P2WSH output of this witness script`, { input: i });
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
export function finalInput(input: RawPsbtInput, witness: Uint8Array[]): RawPsbtInput {
  const { nonWitnessUtxo, witnessUtxo, unknown, proprietary } = input;
  const kept: RawPsbtInput = { nonWitnessUtxo, witnessUtxo, unknown, proprietary, finalScriptWitness: witness };
  for (const field of Object.keys(kept)) if (kept[field] === undefined) delete kept[field];
  return kept;
}

/** The extractor's last check: every spent output is known and the outputs do not spend more. */
export function knownPrevouts(decoded: DecodedPsbt): Prevout[] {
  const prevouts = decoded.prevouts.map((prevout, i) => {
    if (prevout === null) throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: the spent output is unknown`, { input: i });
    return prevout;
  });
  const totalIn = prevouts.reduce((sum, p) => sum + p.amount, 0n);
  const totalOut = decoded.raw.global.unsignedTx.outputs.reduce((sum, o) => sum + o.amount, 0n);
  if (totalOut > totalIn) throw new ConclaveError('PSBT_MISMATCH', `psbt: outputs (${totalOut} sat) exceed inputs (${totalIn} sat)`);
  return prevouts;
}
