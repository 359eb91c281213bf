/**
 * Signature hashes of the only types Conclave signs or accepts: BIP143 SIGHASH_ALL for P2WSH
 * multisig inputs, and BIP341 SIGHASH_DEFAULT for key-path Taproot (FROST vault) inputs.
 * The per-transaction parts (BIP143 hashPrevouts, hashSequence, hashOutputs; BIP341 sha_prevouts,
 * sha_amounts, sha_scriptpubkeys, sha_sequences, sha_outputs) are the same for every input under
 * these types, so they are computed once per transaction ("Cost of signing as inputs grow",
 * STACK.md): each input then costs one fixed-size hash, and signing or verifying N inputs stays
 * linear in N. A library that rebuilds them per input (as scure's `preimageWitnessV0` and
 * `preimageWitnessV1` do) goes quadratic on large consolidations.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { CompactSize } from '@scure/btc-signer/script.js';
import { sha256x2 } from '@scure/btc-signer/utils.js';
import { taggedHash } from '../hashing';
import type { RawTxOutput, RawUnsignedTx } from './raw';

export const SIGHASH_ALL = 0x01;
/** BIP341: signs like SIGHASH_ALL, and the signature carries no sighash byte (64 bytes). */
export const SIGHASH_DEFAULT = 0x00;

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

/**
 * BIP341 key-path SIGHASH_DEFAULT digests for the inputs of one unsigned transaction:
 * hash_TapSighash(0x00 epoch || SigMsg(0x00, 0)), where SigMsg commits to every spent amount and
 * script (so a wrong claimed amount makes the signature invalid, unlike BIP143), no annex and no
 * script path (spend_type 0). `prevouts` are the outputs the inputs spend, in input order.
 */
export class SighashDefaultV1 {
  private readonly prefix: Uint8Array;

  constructor(private readonly tx: RawUnsignedTx, prevouts: ReadonlyArray<RawTxOutput>) {
    if (prevouts.length !== tx.inputs.length) throw new RangeError(`sighash: ${prevouts.length} spent outputs for ${tx.inputs.length} inputs`);
    const sequences = new Uint8Array(4 * tx.inputs.length);
    const sequenceView = new DataView(sequences.buffer);
    tx.inputs.forEach((input, i) => sequenceView.setUint32(4 * i, input.sequence, true));
    const shaPrevouts = sha256(concatBytes(...tx.inputs.map((input) => outpointBytes(input.txid, input.index))));
    const shaAmounts = sha256(concatBytes(...prevouts.map((p) => u64le(p.amount))));
    const shaScriptPubkeys = sha256(concatBytes(...prevouts.map((p) => varBytes(p.script))));
    const shaSequences = sha256(sequences);
    const shaOutputs = sha256(concatBytes(...tx.outputs.map((o) => concatBytes(u64le(o.amount), varBytes(o.script)))));
    // epoch, hash_type, nVersion, nLockTime, then the five per-transaction hashes (BIP341 order).
    const head = new Uint8Array(1 + 1 + 4 + 4);
    const headView = new DataView(head.buffer);
    head[0] = 0x00;
    head[1] = SIGHASH_DEFAULT;
    headView.setInt32(2, tx.version, true);
    headView.setUint32(6, tx.lockTime, true);
    this.prefix = concatBytes(head, shaPrevouts, shaAmounts, shaScriptPubkeys, shaSequences, shaOutputs);
  }

  /** The digest the aggregate BIP340 signature of input `index` signs. */
  digest(index: number): Uint8Array {
    if (this.tx.inputs[index] === undefined) throw new RangeError(`sighash: no input ${index}`);
    const tail = new Uint8Array(1 + 4);
    tail[0] = 0x00; // spend_type: key path, no annex
    new DataView(tail.buffer).setUint32(1, index, true);
    return taggedHash('TapSighash', this.prefix, tail);
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
