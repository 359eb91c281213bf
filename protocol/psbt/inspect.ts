/**
 * What a PSBT (BIP174 v0) really does, for the people and checks that decide whether to sign it:
 * the coins it spends (amounts from the full previous transactions), where the money goes, which
 * inputs and outputs are provably the vault's (recomputed with the pinned descriptor, see
 * ownership.ts), the fee, and the fee rate at its estimated fully signed size.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { MAX_MONEY_SATS } from '../amounts';
import { ConclaveError } from '../errors';
import type { NetworkName } from '../network';
import { scriptToAddress } from '../address';
import { type DecodedPsbt, type PsbtLike, resolvePsbt } from './decode';
import { parseMultisig } from './multisig';
import { matchVaultScript, memoizeOracle } from './ownership';
import type { RawPsbtInput } from './raw';
import type { DerivedVaultScript, PsbtInputSummary, PsbtOutputSummary, PsbtSummary, VaultScriptOracle } from './types';
import { estimateVsize, finalInputWeight, p2wshMultisigInputWeight } from './vsize';

export function inspectPsbt(psbt: PsbtLike, vaultOracle: VaultScriptOracle, network: NetworkName): PsbtSummary {
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
    const map = decoded.raw.outputs[j];
    const derived = matchVaultScript(oracle, map.bip32Derivation, output.script, map.witnessScript);
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

function inspectInput(decoded: DecodedPsbt, i: number, oracle: VaultScriptOracle, network: NetworkName): { summary: PsbtInputSummary; weight: number } {
  const input = decoded.raw.inputs[i];
  const outpoint = decoded.raw.global.unsignedTx.inputs[i];
  const prevout = decoded.prevouts[i];
  if (prevout === null) {
    throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: the spent output is unknown (no non_witness_utxo or witness_utxo)`, { input: i });
  }
  const derived = matchVaultScript(oracle, input.bip32Derivation, prevout.script, input.witnessScript);
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
      sighashTypes: sighashTypes(input),
    },
    weight: signedInputWeight(input, i, derived),
  };
}

/** Weight once signed: from the vault's own script when the input is ours, else from what the PSBT shows. */
function signedInputWeight(input: RawPsbtInput, i: number, derived: DerivedVaultScript | null): number {
  if (input.finalScriptWitness !== undefined || input.finalScriptSig !== undefined) {
    return finalInputWeight(input.finalScriptSig, input.finalScriptWitness);
  }
  const witnessScript = derived?.witnessScript ?? input.witnessScript;
  const multisig = witnessScript === undefined ? null : parseMultisig(witnessScript);
  if (witnessScript === undefined || multisig === null) {
    throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: not a P2WSH multisig spend, its signed size cannot be estimated`, { input: i });
  }
  return p2wshMultisigInputWeight(multisig.m, witnessScript.length);
}

/** Declared PSBT_IN_SIGHASH_TYPE and the sighash byte of every partial signature, sorted, distinct. */
function sighashTypes(input: RawPsbtInput): number[] {
  const types = new Set<number>();
  if (input.sighashType !== undefined) types.add(input.sighashType);
  for (const [, signature] of input.partialSig ?? []) {
    if (signature.length > 0) types.add(signature[signature.length - 1]);
  }
  return [...types].sort((a, b) => a - b);
}

function position(derived: DerivedVaultScript | null): { change: 0 | 1; index: number } | null {
  return derived === null ? null : { change: derived.change, index: derived.index };
}
