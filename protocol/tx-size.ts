/**
 * Virtual size of a P2WSH m-of-n sortedmulti spend before it is signed, for fee estimates
 * (BIP141 weight: non-witness bytes x4 plus witness bytes). Signatures are counted at their
 * largest DER size (72 bytes plus the sighash byte), so the estimate never undershoots.
 */

const TX_OVERHEAD_WEIGHT = (4 + 1 + 1 + 4) * 4 + 2; // version, input/output counts, locktime; segwit marker+flag
const INPUT_NON_WITNESS_BYTES = 32 + 4 + 1 + 4; // outpoint, empty scriptSig, sequence
const MAX_SIG_BYTES = 73;

function varIntSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

export function multisigWitnessScriptSize(keyCount: number): number {
  return 1 + keyCount * 34 + 1 + 1; // OP_m, n x (push 33), OP_n, OP_CHECKMULTISIG
}

export function p2wshMultisigInputWeight(threshold: number, keyCount: number): number {
  const script = multisigWitnessScriptSize(keyCount);
  // items count, the empty item CHECKMULTISIG pops, m signatures, the witness script
  const witness = 1 + 1 + threshold * (1 + MAX_SIG_BYTES) + varIntSize(script) + script;
  return INPUT_NON_WITNESS_BYTES * 4 + witness;
}

export function outputWeight(scriptLength: number): number {
  return (8 + varIntSize(scriptLength) + scriptLength) * 4;
}

export function estimateMultisigSpendVsize(inputCount: number, threshold: number, keyCount: number, outputScriptLengths: number[]): number {
  const weight = TX_OVERHEAD_WEIGHT
    + inputCount * p2wshMultisigInputWeight(threshold, keyCount)
    + outputScriptLengths.reduce((sum, len) => sum + outputWeight(len), 0);
  return Math.ceil(weight / 4);
}

/** Fee in satoshis for `vsize` at a fee rate given as a decimal string of sat/vB, rounded up. */
export function feeForVsize(vsize: number, feeRate: string): bigint {
  const [whole, frac = ''] = feeRate.split('.');
  const milliSatsPerVbyte = BigInt(whole!) * 1000n + BigInt((frac + '000').slice(0, 3));
  return (BigInt(vsize) * milliSatsPerVbyte + 999n) / 1000n;
}
