/**
 * Against a real Bitcoin Core (regtest transcript in ../shared/vectors, read unchanged): the test
 * vault derives the addresses Core derived from the same descriptor, and rebuilding the 2-of-3
 * spend that Core's testmempoolaccept allowed gives the same transaction: same txid, Core's
 * signatures verify against this module's BIP143 digests, and finalizing with them reproduces
 * the accepted transaction byte for byte.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import * as bitcoin from 'bitcoinjs-lib';
import { describeWithVectors, readVectorJson } from '../../test/vectors/locate';
import type { PartialSignature } from '../api';
import { buildWithdrawalPsbt, finalizeWithSignatures, inspectPsbt, signVaultInputs, verifyPartialSignatures } from './index';
import { defaultVault, globalXpubs, type TestKeyholder } from '../../test/support/psbt-vault-fixture';

interface Entry { note: string; request: { method: string; params: unknown[] }; response: { result: unknown } }
interface Transcript { keyholders: Array<{ fingerprint: string; tpub: string }>; entries: Entry[] }

const origin = (k: TestKeyholder) => ({ fingerprint: k.fingerprint, path: k.accountPath });

describeWithVectors('Bitcoin Core regtest transcript: the 2-of-3 vault', (dir) => {
  const transcript = readVectorJson<Transcript>(dir, 'bitcoin-core-regtest-rpc-transcript.json');
  const entry = (note: string) => {
    const found = transcript.entries.find((e) => e.note === note);
    if (found === undefined) throw new Error(`transcript: no entry "${note}"`);
    return found;
  };
  const vault = defaultVault('regtest');

  it('has the keys and derives the addresses Core derived', () => {
    expect(vault.keyholders.map((k) => [k.fingerprint, k.xpub])).toEqual(transcript.keyholders.map((k) => [k.fingerprint, k.tpub]));
    const receive = entry('first five receive addresses of the 2-of-3 vault').response.result as string[];
    const change = entry('first three change addresses').response.result as string[];
    expect(receive.map((_, i) => vault.derive(0, i).address)).toEqual(receive);
    expect(change.map((_, i) => vault.derive(1, i).address)).toEqual(change);
  });

  it('rebuilds the spend Core accepted, and reproduces it from Core\'s signatures', () => {
    const acceptedHex = (entry('a valid 2-of-3 spend, RBF-signalling, 1000 sat fee').request.params[0] as string[])[0];
    const accepted = bitcoin.Transaction.fromHex(acceptedHex);
    const prevTxHex = entry('full previous transaction of a vault coin').response.result as string;
    const coinTxid = Buffer.from(accepted.ins[0].hash).reverse().toString('hex');
    const destination = bitcoin.address.fromOutputScript(accepted.outs[0].script, bitcoin.networks.regtest);

    const psbt = buildWithdrawalPsbt({
      network: 'regtest',
      inputs: [{ txid: coinTxid, vout: accepted.ins[0].index, prevTxHex, script: vault.derive(0, 0) }],
      outputs: [{ address: destination, amount: accepted.outs[0].value }],
      globalXpubs: globalXpubs(vault),
      locktime: accepted.locktime,
      sequence: accepted.ins[0].sequence,
    });
    const summary = inspectPsbt(psbt, vault, 'regtest');
    expect(summary.unsignedTxid).toBe(accepted.getId());
    expect(summary.fee).toBe(1000n);
    expect(summary.inputs[0].vault).toEqual({ change: 0, index: 0 });
    // Core measured 146 vB (weight 583); the estimate counts two 72-byte signatures (weight 584)
    expect(summary.vsize).toBe(146);

    const [sigA, sigB, witnessScript] = accepted.ins[0].witness.slice(1).map((w) => Uint8Array.from(w));
    expect(witnessScript).toEqual(vault.derive(0, 0).witnessScript);
    const keys = vault.derive(0, 0).keys;
    const coreSigs: PartialSignature[] = [sigA, sigB].map((signature, k) => ({ input: 0, pubkey: Buffer.from(keys[k].pubkey).toString('hex'), signature: Buffer.from(signature).toString('hex') }));
    expect(() => verifyPartialSignatures(psbt, coreSigs, vault)).not.toThrow();
    expect(finalizeWithSignatures(psbt, coreSigs, 2).txHex).toBe(acceptedHex);

    // Our own signatures: RFC 6979 gives Core's first signature exactly (its R is already low);
    // the second had a high R, which this signer grinds away as Core's wallet does.
    const [alice, , carol] = vault.keyholders;
    const ours = [...signVaultInputs(psbt, alice.account, origin(alice), [0]).partialSigs, ...signVaultInputs(psbt, carol.account, origin(carol), [0]).partialSigs];
    expect(ours.find((s) => s.pubkey === coreSigs[0].pubkey)?.signature).toBe(coreSigs[0].signature);
    expect(hexToBytes(ours.find((s) => s.pubkey === coreSigs[1].pubkey)!.signature).length).toBeLessThan(sigB.length);
    const final = finalizeWithSignatures(psbt, ours, 2);
    expect(final.txid).toBe(accepted.getId());
    expect(bitcoin.Transaction.fromHex(final.txHex).virtualSize()).toBe(146);
  });
});
