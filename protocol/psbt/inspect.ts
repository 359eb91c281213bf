/**
 * What a PSBT (BIP174 v0) really does, for the people and checks that decide whether to sign it:
 * the coins it spends (amounts from the full previous transactions), where the money goes, which
 * inputs and outputs are provably the vault's (recomputed with the pinned descriptor of either
 * kind, see ownership.ts), the fee, and the fee rate at its estimated fully signed size.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { MAX_MONEY_SATS } from '../amounts';
import { ConclaveError } from '../errors';
import type { NetworkName } from '../network';
import { scriptToAddress } from '../address';
import { type DecodedPsbt, type PsbtLike, resolvePsbt } from './decode';
import { parseMultisig } from './multisig';
import { matchVaultMap, memoizeOracle } from './ownership';
import type { Prevout } from './prevout';
import type { RawPsbtInput } from './raw';
import { isP2trScript } from './taproot';
import type { PsbtInputSummary, PsbtOutputSummary, PsbtSummary, VaultOracle, VaultScript } from './types';
import { estimateVsize, finalInputWeight, p2trKeyPathInputWeight, p2wshMultisigInputWeight } from './vsize';

export function inspectPsbt(psbt: PsbtLike, vaultOracle: VaultOracle, network: NetworkName): PsbtSummary {
  const decoded = resolvePsbt(psbt);
  const oracle = memoizeOracle(vaultOracle);
  const tx = decoded.raw.global.unsignedTx;
  if (tx.inputs.length === 0) throw new ConclaveError('PSBT_MISMATCH', 'psbt: the transaction spends no inputs');
  if (tx.outputs.length === 0) throw new ConclaveError('PSBT_MISMATCH', 'psbt: the transaction has no outputs');

  const inputWeights: number[] = [];
  const inputs = decoded.raw.inputs.map((input, i): PsbtInputSummary => {
    const { summary, weight } = inspectInput(decoded, i, oracle, network);
    inputWeights.push(weight);
    return summary;
  });
  const outputs = tx.outputs.map((output, j): PsbtOutputSummary => {
    if (output.amount > MAX_MONEY_SATS) throw new ConclaveError('PSBT_MISMATCH', `psbt/output[${j}]: amount exceeds 21 million BTC`);
    const derived = matchVaultMap(oracle, decoded.raw.outputs[j], output.script);
    return {
      index: j,
      address: scriptToAddress(output.script, network),
      scriptPubKey: bytesToHex(output.script),
      amount: output.amount,
      isChange: derived !== null,
      vault: position(derived),
    };
  });

  const totalIn = inputs.reduce((sum, input) => sum + input.amount, 0n);
  const totalOut = outputs.reduce((sum, output) => sum + output.amount, 0n);
  if (totalOut > totalIn) {
    throw new ConclaveError('PSBT_MISMATCH', `psbt: outputs (${totalOut} sat) exceed inputs (${totalIn} sat)`);
  }
  const fee = totalIn - totalOut;
  const vsize = estimateVsize(inputWeights, tx.outputs.map((o) => o.script));
  return {
    unsignedTxid: decoded.unsignedTxid,
    txVersion: tx.version,
    locktime: tx.lockTime,
    inputs,
    outputs,
    totalIn,
    totalOut,
    fee,
    vsize,
    feeRate: Number(fee) / vsize,
  };
}

function inspectInput(decoded: DecodedPsbt, i: number, oracle: VaultOracle, network: NetworkName): { summary: PsbtInputSummary; weight: number } {
  const input = decoded.raw.inputs[i];
  const outpoint = decoded.raw.global.unsignedTx.inputs[i];
  const prevout = decoded.prevouts[i];
  if (prevout === null) {
    throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: the spent output is unknown (no non_witness_utxo or witness_utxo)`, { input: i });
  }
  const derived = matchVaultMap(oracle, input, prevout.script);
  return {
    summary: {
      index: i,
      txid: bytesToHex(outpoint.txid),
      vout: outpoint.index,
      sequence: outpoint.sequence,
      amount: prevout.amount,
      address: scriptToAddress(prevout.script, network),
      scriptPubKey: bytesToHex(prevout.script),
      vault: position(derived),
      hasFullPrevTx: prevout.fromFullTx,
      hasWitnessUtxo: input.witnessUtxo !== undefined,
      sighashTypes: sighashTypes(input),
    },
    weight: signedInputWeight(input, prevout, i, derived),
  };
}

/** Weight once signed: from the vault's own script when the input is ours, else from what the PSBT shows. */
function signedInputWeight(input: RawPsbtInput, prevout: Prevout, i: number, derived: VaultScript | null): number {
  if (input.finalScriptWitness !== undefined || input.finalScriptSig !== undefined) {
    return finalInputWeight(input.finalScriptSig, input.finalScriptWitness);
  }
  if (derived?.kind === 'tr-frost') return p2trKeyPathInputWeight();
  const witnessScript = derived?.witnessScript ?? input.witnessScript;
  const multisig = witnessScript === undefined ? null : parseMultisig(witnessScript);
  if (witnessScript !== undefined && multisig !== null) return p2wshMultisigInputWeight(multisig.m, witnessScript.length);
  // Someone else's Taproot coin (refused later as not the vault's): priced at its smallest spend.
  if (witnessScript === undefined && input.tapLeafScript === undefined && isP2trScript(prevout.script)) return p2trKeyPathInputWeight();
  throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: neither a P2WSH multisig nor a key-path Taproot spend, its signed size cannot be estimated`, { input: i });
}

/**
 * Declared PSBT_IN_SIGHASH_TYPE and the sighash type of every signature the input carries:
 * the last byte of ECDSA partial signatures; for BIP340 signatures (BIP371 tap_key_sig,
 * tap_script_sig) 0x00, SIGHASH_DEFAULT, when 64 bytes long, else their 65th byte. Sorted, distinct.
 */
function sighashTypes(input: RawPsbtInput): number[] {
  const types = new Set<number>();
  if (input.sighashType !== undefined) types.add(input.sighashType);
  for (const [, signature] of input.partialSig ?? []) {
    if (signature.length > 0) types.add(signature[signature.length - 1]);
  }
  const schnorr = [...(input.tapKeySig === undefined ? [] : [input.tapKeySig]), ...(input.tapScriptSig ?? []).map(([, sig]) => sig)];
  for (const signature of schnorr) types.add(signature.length === 65 ? signature[64] : 0x00);
  return [...types].sort((a, b) => a - b);
}

function position(derived: VaultScript | null): { change: 0 | 1; index: number } | null {
  return derived === null ? null : { change: derived.change, index: derived.index };
}
