/**
 * Independent check of a final FROST Taproot transaction, using only @scure/btc-signer,
 * @scure/bip32, @noble/curves and bitcoinjs-lib (none of Conclave's own PSBT, descriptor or
 * FROST code): it parses, spends the expected coins, pays the destination and the vault's
 * change address derived here from the group xpub (BIP32 child, then BIP341 key-path output),
 * and each input's witness is one 64-byte BIP340 signature that verifies under the spent
 * output's key for the BIP341 SIGHASH_DEFAULT digest, computed by both libraries.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { Address, OutScript, SigHash, Transaction, p2tr } from '@scure/btc-signer';
import { Transaction as BitcoinjsTransaction } from 'bitcoinjs-lib';
import { networkParams } from '../../protocol/network';

export interface ExpectedFrostSpend {
  txHex: string;
  /** The coins spent, with the scripts they were paid to (from the funding transaction). */
  inputs: Array<{ txid: string; vout: number; amount: bigint; address: string }>;
  destination: { address: string; amount: bigint };
  /** The vault's group xpub (from `tr(xpub/<0;1>/*)`) and the change index the coordinator used. */
  vault: { groupXpub: string; changeIndex: number };
}

function taprootAddress(groupXpub: string, change: number, index: number): { address: string; script: Uint8Array } {
  const net = networkParams('regtest');
  const child = HDKey.fromExtendedKey(groupXpub, net.bip32).deriveChild(change).deriveChild(index).publicKey!;
  const out = p2tr(child.slice(1), undefined, net);
  return { address: out.address!, script: out.script };
}

export function verifyFrostTransaction(expected: ExpectedFrostSpend): string[] {
  const net = networkParams('regtest');
  const findings: string[] = [];
  const check = (ok: boolean, what: string) => findings.push(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  const tx = Transaction.fromRaw(hexToBytes(expected.txHex), { allowUnknownOutputs: true });
  check(true, `parses: txid ${tx.id}, ${tx.inputsLength} input(s), ${tx.outputsLength} output(s), ${tx.vsize} vB`);
  const spent = Array.from({ length: tx.inputsLength }, (_, i) => tx.getInput(i));
  const prevouts = spent.map((s) => expected.inputs.find((e) => e.txid === bytesToHex(s.txid!) && e.vout === s.index));
  check(prevouts.every((p) => p !== undefined) && spent.length === expected.inputs.length, `spends exactly the ${expected.inputs.length} deposited coins`);
  const outputs = Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i));
  const destScript = OutScript.encode(Address(net).decode(expected.destination.address));
  check(outputs.some((o) => bytesToHex(o.script!) === bytesToHex(destScript) && o.amount === expected.destination.amount),
    `pays ${expected.destination.amount} sats to ${expected.destination.address}`);
  const change = taprootAddress(expected.vault.groupXpub, 1, expected.vault.changeIndex);
  const changeOut = outputs.find((o) => bytesToHex(o.script!) === bytesToHex(change.script));
  check(changeOut !== undefined, `pays change ${changeOut?.amount ?? 0n} sats to the vault's change address ${change.address} (derived here from the group xpub)`);
  const totalIn = expected.inputs.reduce((s, i) => s + i.amount, 0n);
  const totalOut = outputs.reduce((s, o) => s + o.amount!, 0n);
  check(totalOut < totalIn, `fee ${totalIn - totalOut} sats (${(Number(totalIn - totalOut) / tx.vsize).toFixed(2)} sat/vB)`);
  if (prevouts.some((p) => p === undefined)) return findings;

  const scripts = prevouts.map((p) => OutScript.encode(Address(net).decode(p!.address)));
  const amounts = prevouts.map((p) => p!.amount);
  const other = BitcoinjsTransaction.fromHex(expected.txHex);
  for (let i = 0; i < tx.inputsLength; i++) {
    const witness = spent[i]!.finalScriptWitness ?? [];
    const outputKey = scripts[i]!.slice(2);
    const sighash = tx.preimageWitnessV1(i, scripts, SigHash.DEFAULT, amounts);
    const again = other.hashForWitnessV1(i, scripts.map((s) => Buffer.from(s)), amounts.map((a) => a), BitcoinjsTransaction.SIGHASH_DEFAULT);
    check(bytesToHex(sighash) === Buffer.from(again).toString('hex'), `input ${i}: BIP341 sighash agrees between @scure/btc-signer and bitcoinjs-lib`);
    check(witness.length === 1 && witness[0]!.length === 64, `input ${i}: witness is one 64-byte signature (key path, SIGHASH_DEFAULT)`);
    check(witness.length === 1 && schnorr.verify(witness[0]!, sighash, outputKey), `input ${i}: BIP340 signature verifies under the output key ${bytesToHex(outputKey).slice(0, 16)}… of ${prevouts[i]!.address}`);
  }
  return findings;
}
