/**
 * Checking one ECDSA partial signature (BIP174 PSBT_IN_PARTIAL_SIG) of a P2WSH input against
 * its BIP143 digest. Only SIGHASH_ALL is accepted: any other type lets someone change the
 * outputs or add inputs after the keyholders signed. Signatures must be strict DER (BIP66) and
 * low-S (BIP146's LOW_S, standard policy), the forms a node relays.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { equalBytes } from '@scure/btc-signer/utils.js';
import type { PartialSignature } from '../api';
import { ConclaveError } from '../errors';
import type { DecodedPsbt } from './decode';
import { SIGHASH_ALL, SighashAllV0 } from './sighash';

export interface ParsedSignature {
  input: number;
  pubkey: Uint8Array;
  pubkeyHex: string;
  /** DER signature followed by its sighash byte, as it goes in the witness. */
  signature: Uint8Array;
}

/** Decodes the hex fields and refuses every sighash type but ALL; the ECDSA check is separate. */
export function parsePartialSignature(sig: PartialSignature, inputCount: number): ParsedSignature {
  const where = `psbt/input[${sig.input}]`;
  if (!Number.isSafeInteger(sig.input) || sig.input < 0 || sig.input >= inputCount) {
    throw new ConclaveError('SIGNATURE_INVALID', `${where}: no such input (the transaction has ${inputCount})`);
  }
  if (typeof sig.pubkey !== 'string' || !/^0[23][0-9a-f]{64}$/.test(sig.pubkey)) {
    throw new ConclaveError('SIGNATURE_INVALID', `${where}: public key is not 33 bytes of compressed-key hex`);
  }
  if (typeof sig.signature !== 'string' || !/^([0-9a-f]{2}){9,73}$/.test(sig.signature)) {
    throw new ConclaveError('SIGNATURE_INVALID', `${where}: signature by ${sig.pubkey} is not DER hex with a sighash byte`);
  }
  const signature = hexToBytes(sig.signature);
  const sighash = signature[signature.length - 1];
  if (sighash !== SIGHASH_ALL) {
    throw new ConclaveError('SIGNATURE_INVALID', `${where}: signature by ${sig.pubkey} uses sighash type 0x${sighash.toString(16).padStart(2, '0')}; only SIGHASH_ALL (0x01) is accepted`);
  }
  return { input: sig.input, pubkey: hexToBytes(sig.pubkey), pubkeyHex: sig.pubkey, signature };
}

/** ECDSA over `digest`, strict DER and low S; false for anything that does not verify. */
export function signatureVerifies(signature: Uint8Array, digest: Uint8Array, pubkey: Uint8Array): boolean {
  const der = signature.subarray(0, signature.length - 1);
  try {
    // Canonical DER only: re-encoding the parsed (r, s) must give the same bytes.
    if (!equalBytes(secp256k1.Signature.fromBytes(der, 'der').toBytes('der'), der)) return false;
    return secp256k1.verify(der, digest, pubkey, { prehash: false, lowS: true, format: 'der' });
  } catch {
    return false;
  }
}

/** Digests of one PSBT, computed lazily per input and shared by every signature checked against it. */
export class InputDigests {
  private readonly sighash: SighashAllV0;

  constructor(private readonly psbt: DecodedPsbt) {
    this.sighash = new SighashAllV0(psbt.raw.global.unsignedTx);
  }

  digest(input: number, witnessScript: Uint8Array): Uint8Array {
    const prevout = this.psbt.prevouts[input];
    if (prevout === null || prevout === undefined) {
      throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${input}]: the spent output is unknown (no non_witness_utxo or witness_utxo)`, { input });
    }
    return this.sighash.digest(input, witnessScript, prevout.amount);
  }
}

export function toPartialSignature(input: number, pubkey: Uint8Array, signature: Uint8Array): PartialSignature {
  return { input, pubkey: bytesToHex(pubkey), signature: bytesToHex(signature) };
}
