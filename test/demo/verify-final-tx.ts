/**
 * Independent check of a final multisig transaction, using only @scure/btc-signer, @scure/bip32
 * and @noble/curves (none of Conclave's own PSBT or descriptor code): it parses, spends the
 * expected outpoints, pays the destination and the vault's change address derived here from
 * the account xpubs, and every signature verifies against the BIP143 sighash that
 * @scure/btc-signer computes, by distinct keys of the witness script.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { HDKey } from '@scure/bip32';
import { Address, OutScript, Script, SigHash, Transaction, p2ms, p2wsh } from '@scure/btc-signer';
import { networkParams } from '../../protocol/network';

export interface ExpectedSpend {
  txHex: string;
  inputs: Array<{ txid: string; vout: number; amount: bigint }>;
  destination: { address: string; amount: bigint };
  vault: { threshold: number; xpubs: string[]; changeIndex: number };
}

export function verifyFinalTransaction(expected: ExpectedSpend): string[] {
  const net = networkParams('regtest');
  const findings: string[] = [];
  const check = (ok: boolean, what: string) => findings.push(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  const tx = Transaction.fromRaw(hexToBytes(expected.txHex), { allowUnknownOutputs: true });
  check(true, `parses: txid ${tx.id}, ${tx.inputsLength} input(s), ${tx.outputsLength} output(s), ${tx.vsize} vB`);
  const spent = Array.from({ length: tx.inputsLength }, (_, i) => tx.getInput(i));
  for (const input of expected.inputs) {
    check(spent.some((s) => bytesToHex(s.txid!) === input.txid && s.index === input.vout), `spends the deposit ${input.txid}:${input.vout}`);
  }
  const outputs = Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i));
  const destScript = OutScript.encode(Address(net).decode(expected.destination.address));
  check(outputs.some((o) => bytesToHex(o.script!) === bytesToHex(destScript) && o.amount === expected.destination.amount),
    `pays ${expected.destination.amount} sats to ${expected.destination.address}`);
  const changeKeys = expected.vault.xpubs.map((x) => HDKey.fromExtendedKey(x, net.bip32).deriveChild(1).deriveChild(expected.vault.changeIndex).publicKey!);
  changeKeys.sort((a, b) => bytesToHex(a).localeCompare(bytesToHex(b)));
  const change = p2wsh(p2ms(expected.vault.threshold, changeKeys), net);
  const changeOut = outputs.find((o) => bytesToHex(o.script!) === bytesToHex(change.script));
  check(changeOut !== undefined, `pays change ${changeOut?.amount ?? 0n} sats to the vault's change address ${change.address}`);
  const totalIn = expected.inputs.reduce((s, i) => s + i.amount, 0n);
  const totalOut = outputs.reduce((s, o) => s + o.amount!, 0n);
  check(totalOut < totalIn, `fee ${totalIn - totalOut} sats (${(Number(totalIn - totalOut) / tx.vsize).toFixed(2)} sat/vB)`);

  for (let i = 0; i < tx.inputsLength; i++) {
    const input = tx.getInput(i);
    const witness = input.finalScriptWitness ?? [];
    const witnessScript = witness[witness.length - 1]!;
    const decoded = Script.decode(witnessScript);
    const keys = decoded.filter((op): op is Uint8Array => op instanceof Uint8Array);
    const amount = expected.inputs.find((e) => e.txid === bytesToHex(input.txid!) && e.vout === input.index)!.amount;
    const sighash = tx.preimageWitnessV0(i, witnessScript, SigHash.ALL, amount);
    const signatures = witness.slice(1, -1);
    const signers = new Set<string>();
    for (const sig of signatures) {
      if (sig[sig.length - 1] !== SigHash.ALL) continue;
      const der = sig.slice(0, -1);
      const key = keys.find((k) => secp256k1.verify(der, sighash, k, { prehash: false, format: 'der' }));
      if (key) signers.add(bytesToHex(key));
    }
    check(witness[0]?.length === 0 && signatures.length === expected.vault.threshold, `input ${i}: witness holds ${signatures.length} signatures and the ${keys.length}-key witness script`);
    check(signers.size === expected.vault.threshold, `input ${i}: ${signers.size} signatures verify against the BIP143 sighash, by distinct keys`);
  }
  return findings;
}
