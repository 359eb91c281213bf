/**
 * BIP143 signature hashes for SIGHASH_ALL, the only type Conclave signs or accepts.
 * hashPrevouts, hashSequence and hashOutputs are the same for every input under SIGHASH_ALL,
 * so they are computed once per transaction ("Cost of signing as inputs grow", STACK.md):
 * each input then costs one fixed-size double SHA-256 plus its script code, and signing or
 * verifying N inputs stays linear in N. A library that rebuilds them per input (as scure's
 * `preimageWitnessV0` does) goes quadratic on large consolidations.
 */
import { concatBytes } from '@noble/hashes/utils.js';
import { CompactSize } from '@scure/btc-signer/script.js';
import { sha256x2 } from '@scure/btc-signer/utils.js';
import type { RawUnsignedTx } from './raw';

export const SIGHASH_ALL = 0x01;

/** Computes BIP143 SIGHASH_ALL digests for the inputs of one unsigned transaction. */
export class SighashAllV0 {
  private readonly hashPrevouts: Uint8Array;
  private readonly hashSequence: Uint8Array;
  private readonly hashOutputs: Uint8Array;

  constructor(private readonly tx: RawUnsignedTx) {
    const prevouts = new Uint8Array(36 * tx.inputs.length);
    const sequences = new Uint8Array(4 * tx.inputs.length);
    const sequenceView = new DataView(sequences.buffer);
    tx.inputs.forEach((input, i) => {
      prevouts.set(outpointBytes(input.txid, input.index), 36 * i);
      sequenceView.setUint32(4 * i, input.sequence, true);
    });
    this.hashPrevouts = sha256x2(prevouts);
    this.hashSequence = sha256x2(sequences);
    this.hashOutputs = sha256x2(concatBytes(...tx.outputs.map((o) => concatBytes(u64le(o.amount), varBytes(o.script)))));
  }

  /**
   * The digest input `index` signs. `scriptCode` is the witness script for P2WSH (BIP143: the
   * scripts here contain no OP_CODESEPARATOR); `amount` is the value of the output it spends.
   */
  digest(index: number, scriptCode: Uint8Array, amount: bigint): Uint8Array {
    const input = this.tx.inputs[index];
    if (input === undefined) throw new RangeError(`sighash: no input ${index}`);
    const head = new Uint8Array(4 + 32 + 32 + 36);
    const headView = new DataView(head.buffer);
    headView.setInt32(0, this.tx.version, true);
    head.set(this.hashPrevouts, 4);
    head.set(this.hashSequence, 36);
    head.set(outpointBytes(input.txid, input.index), 68);
    const tail = new Uint8Array(8 + 4 + 32 + 4 + 4);
    const tailView = new DataView(tail.buffer);
    tail.set(u64le(amount), 0);
    tailView.setUint32(8, input.sequence, true);
    tail.set(this.hashOutputs, 12);
    tailView.setUint32(44, this.tx.lockTime, true);
    tailView.setUint32(48, SIGHASH_ALL, true);
    return sha256x2(head, varBytes(scriptCode), tail);
  }
}

/** txid in wire (internal) order, which is the display order reversed, then the u32 index. */
function outpointBytes(displayTxid: Uint8Array, index: number): Uint8Array {
  const out = new Uint8Array(36);
  out.set(Uint8Array.from(displayTxid).reverse(), 0);
  new DataView(out.buffer).setUint32(32, index, true);
  return out;
}

function u64le(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

function varBytes(bytes: Uint8Array): Uint8Array {
  return concatBytes(CompactSize.encode(BigInt(bytes.length)), bytes);
}
