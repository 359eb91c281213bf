/**
 * Size of a transaction once fully signed, in virtual bytes (BIP141: weight / 4, rounded up),
 * estimated before any signature exists so the fee rate can be checked before signing.
 * ECDSA signatures are counted at 72 bytes with their sighash byte, the largest a low-S DER
 * signature can be (BIP62/BIP66); a key-path Taproot input carries exactly one 64-byte BIP340
 * signature (SIGHASH_DEFAULT, BIP341). The estimate is an upper bound of the real size, so a fee
 * rate computed from it never overstates what the transaction pays.
 */
import { CompactSizeLen } from '@scure/btc-signer/script.js';
import type { VaultScript } from '../descriptor';
import { ConclaveError } from '../errors';
import { parseMultisig } from './multisig';

export const MAX_SIGNATURE_BYTES = 72;
/** BIP340 signature with SIGHASH_DEFAULT: no sighash byte (BIP341). */
export const SCHNORR_SIGNATURE_BYTES = 64;

/** Weight of one input: its non-witness part times four plus its witness, or an exact size when already final. */
export type InputWeight = number;

/** P2WSH m-of-n multisig spend: witness `<> <sig1>..<sigm> <witnessScript>`, empty scriptSig. */
export function p2wshMultisigInputWeight(m: number, witnessScriptLength: number): InputWeight {
  const nonWitness = 32 + 4 + varIntLength(0) + 4; // outpoint, empty scriptSig, sequence
  const witness =
    varIntLength(m + 2) + // stack item count
    varIntLength(0) + // the empty item OP_CHECKMULTISIG pops by mistake (BIP147 requires it empty)
    m * (varIntLength(MAX_SIGNATURE_BYTES) + MAX_SIGNATURE_BYTES) +
    varIntLength(witnessScriptLength) + witnessScriptLength;
  return 4 * nonWitness + witness;
}

/** Key-path P2TR spend: witness `<sig>`, empty scriptSig: 41 * 4 + 1 + 1 + 64 = 230 (57.5 vbytes). */
export function p2trKeyPathInputWeight(): InputWeight {
  const nonWitness = 32 + 4 + varIntLength(0) + 4; // outpoint, empty scriptSig, sequence
  const witness = varIntLength(1) + varIntLength(SCHNORR_SIGNATURE_BYTES) + SCHNORR_SIGNATURE_BYTES;
  return 4 * nonWitness + witness;
}

/**
 * Weight of spending a vault coin once signed, for either kind: coin selection prices an input
 * with this before the PSBT exists (m comes from the multisig witness script itself).
 */
export function vaultInputWeight(script: VaultScript): InputWeight {
  if (script.kind === 'tr-frost') return p2trKeyPathInputWeight();
  const multisig = parseMultisig(script.witnessScript);
  if (multisig === null) throw new ConclaveError('VALIDATION_FAILED', 'script: not a multisig witness script, its signed size cannot be estimated');
  return p2wshMultisigInputWeight(multisig.m, script.witnessScript.length);
}

/** An input that is already final: its real scriptSig and witness. */
export function finalInputWeight(finalScriptSig: Uint8Array | undefined, finalScriptWitness: Uint8Array[] | undefined): InputWeight {
  const scriptSigLength = finalScriptSig?.length ?? 0;
  const nonWitness = 32 + 4 + varIntLength(scriptSigLength) + scriptSigLength + 4;
  const items = finalScriptWitness ?? [];
  const witness = varIntLength(items.length) + items.reduce((sum, item) => sum + varIntLength(item.length) + item.length, 0);
  return 4 * nonWitness + witness;
}

/** Virtual size of a segwit transaction with these input weights and output scripts. */
export function estimateVsize(inputWeights: InputWeight[], outputScripts: Uint8Array[]): number {
  const outputsBytes = outputScripts.reduce((sum, script) => sum + 8 + varIntLength(script.length) + script.length, 0);
  const baseBytes = 4 + varIntLength(inputWeights.length) + varIntLength(outputScripts.length) + outputsBytes + 4;
  const weight = 4 * baseBytes + 2 /* segwit marker and flag */ + inputWeights.reduce((sum, w) => sum + w, 0);
  return Math.ceil(weight / 4);
}

function varIntLength(value: number): number {
  return CompactSizeLen.encode(value).length;
}
