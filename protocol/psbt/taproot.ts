/**
 * Key-path Taproot spends of FROST vault inputs (BIP341, BIP371): the signature hash the group's
 * aggregate signature must sign for each input (SIGHASH_DEFAULT only: the aggregate is a plain
 * 64-byte BIP340 signature), and the BIP174 Input Finalizer and Transaction Extractor that put
 * that signature as the only witness item, after verifying it under the input's output key.
 * FROST itself (rounds, shares, aggregation) lives in protocol/frost; this file only needs the
 * finished signature, so any BIP340 signer of the output key is the same to it.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConclaveError } from '../errors';
import { type DecodedPsbt, type PsbtLike, encodePsbt, resolvePsbt } from './decode';
import { type FinalizedTransaction, finalInput, knownPrevouts } from './finalize';
import type { Prevout } from './prevout';
import { type RawPsbtInput, serializeWithWitness } from './raw';
import { SIGHASH_DEFAULT, SighashDefaultV1 } from './sighash';
import { SCHNORR_SIGNATURE_BYTES } from './vsize';

/** `OP_1 <32 bytes>`: a segwit v1 (Taproot) output (BIP341). */
export function isP2trScript(script: Uint8Array): boolean {
  return script.length === 34 && script[0] === 0x51 && script[1] === 0x20;
}

/**
 * The BIP341 SIGHASH_DEFAULT key-path digest of every input, in input order. Throws PSBT_MISMATCH
 * when an input's spent output is unknown or not Taproot, when it asks for another sighash type
 * (PSBT_IN_SIGHASH_TYPE other than 0x00), or when it is already finalized. The per-transaction
 * hashes are computed once, so N inputs cost N.
 */
export function taprootKeySpendSighashes(psbt: PsbtLike): Uint8Array[] {
  return keySpendDigests(resolvePsbt(psbt)).digests;
}

function keySpendDigests(decoded: DecodedPsbt): { prevouts: Prevout[]; digests: Uint8Array[] } {
  const prevouts = knownPrevouts(decoded);
  decoded.raw.inputs.forEach((input, i) => checkKeySpendInput(input, prevouts[i], i));
  const sighash = new SighashDefaultV1(decoded.raw.global.unsignedTx, prevouts);
  return { prevouts, digests: prevouts.map((_, i) => sighash.digest(i)) };
}

function checkKeySpendInput(input: RawPsbtInput, prevout: Prevout, i: number): void {
  const where = `psbt/input[${i}]`;
  if (!isP2trScript(prevout.script)) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: spends no Taproot output; only key-path Taproot inputs are signed this way`, { input: i });
  }
  // Any other type would let someone change the outputs or inputs afterwards (NONE, SINGLE,
  // ANYONECANPAY), or make a 65-byte signature the FROST aggregate is not (ALL).
  if (input.sighashType !== undefined && input.sighashType !== SIGHASH_DEFAULT) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: asks for sighash type 0x${input.sighashType.toString(16).padStart(2, '0')}; only SIGHASH_DEFAULT (0x00) is signed for Taproot`, { input: i });
  }
  if (input.finalScriptWitness !== undefined || input.finalScriptSig !== undefined) {
    throw new ConclaveError('PSBT_MISMATCH', `${where}: already finalized`, { input: i });
  }
}

/**
 * Finalizes every input with its 64-byte BIP340 signature (`signatures[i]` for input i) as the
 * only witness item and extracts the transaction. Each signature is first verified under the
 * output key of the coin it spends: SIGNATURE_INVALID for a wrong count, length or signature.
 */
export function finalizeTaprootKeySpend(psbt: PsbtLike, signatures: Uint8Array[]): FinalizedTransaction {
  const decoded = resolvePsbt(psbt);
  const { raw } = decoded;
  const tx = raw.global.unsignedTx;
  if (tx.inputs.length === 0 || tx.outputs.length === 0) throw new ConclaveError('PSBT_MISMATCH', 'psbt: a transaction needs inputs and outputs');
  if (!Array.isArray(signatures) || signatures.length !== raw.inputs.length) {
    throw new ConclaveError('SIGNATURE_INVALID', `signatures: expected one 64-byte signature per input (${raw.inputs.length}), got ${Array.isArray(signatures) ? signatures.length : typeof signatures}`);
  }
  const { prevouts, digests } = keySpendDigests(decoded);
  const witnesses = signatures.map((signature, i) => {
    const where = `psbt/input[${i}]`;
    if (!(signature instanceof Uint8Array) || signature.length !== SCHNORR_SIGNATURE_BYTES) {
      throw new ConclaveError('SIGNATURE_INVALID', `${where}: expected a 64-byte BIP340 signature (SIGHASH_DEFAULT)`, { input: i });
    }
    const outputKey = prevouts[i].script.subarray(2);
    if (!schnorrVerifies(signature, digests[i], outputKey)) {
      throw new ConclaveError('SIGNATURE_INVALID', `${where}: signature does not verify under output key ${bytesToHex(outputKey)}`, { input: i });
    }
    return [signature.slice()];
  });
  const inputs = raw.inputs.map((input, i) => finalInput(input, witnesses[i]));
  return {
    txHex: bytesToHex(serializeWithWitness(tx, witnesses)),
    txid: decoded.unsignedTxid,
    psbt: encodePsbt({ ...raw, inputs }),
  };
}

/** BIP340 verification; false (never a throw) for a key that is not on the curve. */
function schnorrVerifies(signature: Uint8Array, digest: Uint8Array, outputKey: Uint8Array): boolean {
  try {
    return schnorr.verify(signature, digest, outputKey);
  } catch {
    return false;
  }
}
