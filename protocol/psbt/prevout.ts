/**
 * The output each PSBT input spends (BIP174 PSBT_IN_NON_WITNESS_UTXO / PSBT_IN_WITNESS_UTXO),
 * taken from the full previous transaction whenever the PSBT carries one, after checking that
 * this transaction really is the one the outpoint names. A bare witness_utxo is only a claim:
 * BIP143 signs the amount, but a signer that trusts claimed amounts can be made to sign two
 * versions of the same inputs whose signatures combine into a transaction paying a huge fee
 * (CVE-2020-14199). So a witness_utxo that disagrees with the full transaction is refused.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { equalBytes } from '@scure/btc-signer/utils.js';
import { ConclaveError } from '../errors';
import { type RawPsbt, txidOf } from './raw';

export interface Prevout {
  amount: bigint;
  script: Uint8Array;
  /** True when amount and script come from a full previous transaction that hashes to the outpoint's txid. */
  fromFullTx: boolean;
}

/** One entry per input; null when the input carries neither UTXO field. */
export function verifyPrevouts(raw: RawPsbt): Array<Prevout | null> {
  const txInputs = raw.global.unsignedTx.inputs;
  return raw.inputs.map((input, i) => {
    const outpoint = txInputs[i];
    const full = input.nonWitnessUtxo;
    if (full === undefined) {
      const claimed = input.witnessUtxo;
      return claimed === undefined ? null : { amount: claimed.amount, script: claimed.script, fromFullTx: false };
    }
    if (txidOf(full) !== bytesToHex(outpoint.txid)) {
      throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: previous transaction does not match outpoint`, { input: i });
    }
    const spent = full.outputs[outpoint.index];
    if (spent === undefined) {
      throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: previous transaction has no output ${outpoint.index}`, { input: i });
    }
    const claimed = input.witnessUtxo;
    if (claimed !== undefined && (claimed.amount !== spent.amount || !equalBytes(claimed.script, spent.script))) {
      throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: witness_utxo does not match output ${outpoint.index} of the previous transaction`, { input: i });
    }
    return { amount: spent.amount, script: spent.script, fromFullTx: true };
  });
}
