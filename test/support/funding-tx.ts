/**
 * A funding transaction for offline-mode tests and the demo: it pays a vault address from an
 * outpoint that exists nowhere. Offline mode records deposits by their raw transaction, so this
 * stands in for a coin someone sent; nothing here is ever broadcast.
 */
import { randomBytes } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Address, OutScript, Transaction } from '@scure/btc-signer';
import { type NetworkName, networkParams } from '../../protocol/network';

export function fakeFundingTx(payments: Array<{ address: string; amount: bigint }>, network: NetworkName): { hex: string; txid: string } {
  const scripts = payments.map((p) => ({ script: OutScript.encode(Address(networkParams(network)).decode(p.address)), amount: p.amount }));
  return fundingTxPaying(scripts, new Uint8Array(randomBytes(32)));
}

export function fundingTxPaying(payments: Array<{ script: Uint8Array; amount: bigint }>, spentTxid: Uint8Array): { hex: string; txid: string } {
  const tx = new Transaction({ allowUnknownInputs: true, allowUnknownOutputs: true, disableScriptCheck: true });
  for (const p of payments) tx.addOutput({ script: p.script, amount: p.amount });
  // Outputs first: once an input carries a final scriptSig the library seals the outputs.
  tx.addInput({ txid: spentTxid, index: 0, finalScriptSig: new Uint8Array([0x51]), sequence: 0xfffffffe });
  return { hex: bytesToHex(tx.toBytes(true, false)), txid: tx.id };
}
