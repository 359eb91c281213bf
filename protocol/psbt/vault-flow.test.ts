/**
 * The whole life of a 2-of-3 P2WSH vault withdrawal (BIP174 roles): build, inspect, two of
 * three keyholders sign, the coordinator verifies and finalizes, and the extracted transaction
 * is checked independently with bitcoinjs-lib (its own parser and BIP143 digest, and
 * @bitcoinerlab/secp256k1 for ECDSA).
 */
import * as ecc from '@bitcoinerlab/secp256k1';
import { hexToBytes } from '@noble/hashes/utils.js';
import { Transaction as ScureTransaction } from '@scure/btc-signer/transaction.js';
import * as bitcoin from 'bitcoinjs-lib';
import { ConclaveError } from '../errors';
import {
  buildWithdrawalPsbt, decodePsbt, finalizeWithSignatures, inspectPsbt, signVaultInputs, SighashAllV0,
  verifyPartialSignature, verifyPartialSignatures,
} from './index';
import { defaultVault, fundingTx, globalXpubs, type TestKeyholder, type TestVault } from '../../test/support/psbt-vault-fixture';

const origin = (k: TestKeyholder) => ({ fingerprint: k.fingerprint, path: k.accountPath });

const DESTINATION = 'bcrt1q50rtrmj2f8vl9tem8qpfw36ylw5jg9j2dkku3w'; // P2WPKH, the miner address of Core's transcript

function withdrawal(vault: TestVault, inputCount = 3) {
  const coins = Array.from({ length: inputCount }, (_, k) => {
    const script = vault.derive(k % 2 === 0 ? 0 : 1, k);
    const funding = fundingTx(script.scriptPubKey, 100_000n + BigInt(k), k % 3, 3);
    return { txid: funding.txid, vout: funding.vout, prevTxHex: funding.hex, script, amount: 100_000n + BigInt(k) };
  });
  const totalIn = coins.reduce((sum, c) => sum + c.amount, 0n);
  const change = vault.derive(1, 7);
  const psbt = buildWithdrawalPsbt({
    network: 'regtest',
    inputs: coins,
    outputs: [{ address: DESTINATION, amount: 150_000n }, { address: vault.derive(0, 40).address, amount: 20_000n }],
    change: { script: change, amount: totalIn - 170_000n - 2_000n },
    globalXpubs: globalXpubs(vault),
    locktime: 200,
  });
  return { psbt, coins, totalIn };
}

function expectCode(fn: () => unknown, code: string, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConclaveError);
  expect((thrown as ConclaveError).code).toBe(code);
  if (message) expect((thrown as ConclaveError).message).toMatch(message);
}

describe('2-of-3 P2WSH vault withdrawal', () => {
  const vault = defaultVault();
  const [alice, bob, carol] = vault.keyholders;

  it('builds a PSBT v0 with full previous transactions, witness scripts, derivations and global xpubs', () => {
    const { psbt, coins } = withdrawal(vault);
    const decoded = decodePsbt(psbt);
    expect(decoded.raw.global.unsignedTx.version).toBe(2);
    expect(decoded.raw.global.unsignedTx.lockTime).toBe(200);
    expect(decoded.raw.global.xpub).toHaveLength(3);
    decoded.raw.inputs.forEach((input, i) => {
      expect(input.nonWitnessUtxo).toBeDefined();
      expect(input.witnessUtxo?.amount).toBe(coins[i].amount);
      expect(input.witnessScript).toEqual(coins[i].script.witnessScript);
      expect(input.bip32Derivation).toHaveLength(3);
      expect(decoded.raw.global.unsignedTx.inputs[i].sequence).toBe(0xfffffffd);
    });
    // change last, carrying what a co-signer needs to recognise it
    expect(decoded.raw.outputs[2].witnessScript).toBeDefined();
    expect(decoded.raw.outputs[2].bip32Derivation).toHaveLength(3);
    expect(decoded.raw.outputs[0]).toEqual({});
  });

  it('inspects: amounts from the previous transactions, ownership recomputed, fee and size', () => {
    const { psbt, coins, totalIn } = withdrawal(vault);
    const summary = inspectPsbt(psbt, vault, 'regtest');
    expect(summary.inputs.map((i) => i.vault)).toEqual(coins.map((c) => ({ change: c.script.change, index: c.script.index })));
    expect(summary.inputs.every((i) => i.hasFullPrevTx && i.sighashTypes.length === 0)).toBe(true);
    expect(summary.inputs.map((i) => `${i.txid}:${i.vout}`)).toEqual(coins.map((c) => `${c.txid}:${c.vout}`));
    expect(summary.outputs.map((o) => [o.address, o.isChange, o.vault])).toEqual([
      [DESTINATION, false, null],
      // a vault receive address without BIP32 derivations: nothing says where to look, so not ours
      [vault.derive(0, 40).address, false, null],
      [vault.derive(1, 7).address, true, { change: 1, index: 7 }],
    ]);
    expect(summary.totalIn).toBe(totalIn);
    expect(summary.fee).toBe(2_000n);
    expect(summary.totalOut).toBe(totalIn - 2_000n);
    expect(summary.feeRate).toBeCloseTo(2000 / summary.vsize, 10);
    expect(summary.unsignedTxid).toBe(decodePsbt(psbt).unsignedTxid);
  });

  it('signs with two of three keys, verifies, finalizes, and bitcoinjs-lib agrees with every signature', () => {
    const { psbt, coins } = withdrawal(vault);
    const all = coins.map((_, i) => i);
    const byAlice = signVaultInputs(psbt, alice.account, origin(alice), all);
    const byCarol = signVaultInputs(psbt, carol.account, origin(carol), all);
    expect(byAlice.partialSigs).toHaveLength(3);
    const sigs = [...byAlice.partialSigs, ...byCarol.partialSigs];
    expect(() => verifyPartialSignatures(psbt, sigs, vault)).not.toThrow();
    for (const sig of sigs) expect(verifyPartialSignature(psbt, sig)).toBe(true);

    const final = finalizeWithSignatures(psbt, sigs, 2);
    const tx = bitcoin.Transaction.fromHex(final.txHex);
    expect(tx.getId()).toBe(final.txid);
    expect(final.txid).toBe(inspectPsbt(psbt, vault, 'regtest').unsignedTxid);
    tx.ins.forEach((txIn, i) => {
      const { script, amount } = coins[i];
      const [empty, sig1, sig2, witnessScript] = txIn.witness;
      expect(txIn.witness).toHaveLength(4);
      expect(empty).toHaveLength(0);
      expect(witnessScript).toEqual(script.witnessScript);
      const digest = tx.hashForWitnessV0(i, script.witnessScript, amount, bitcoin.Transaction.SIGHASH_ALL);
      // sigs appear in the order of their keys in the script (OP_CHECKMULTISIG matches in one pass)
      const signers = [sig1, sig2].map((sig) => {
        const decoded = bitcoin.script.signature.decode(sig);
        expect(decoded.hashType).toBe(bitcoin.Transaction.SIGHASH_ALL);
        const k = script.keys.findIndex((key) => ecc.verify(digest, key.pubkey, decoded.signature, true));
        expect(k).toBeGreaterThanOrEqual(0);
        return k;
      });
      expect(signers[0]).toBeLessThan(signers[1]);
    });
    // the size estimate is an upper bound, off by at most a byte per signature
    const estimate = inspectPsbt(psbt, vault, 'regtest').vsize;
    expect(estimate).toBeGreaterThanOrEqual(tx.virtualSize());
    expect(estimate - tx.virtualSize()).toBeLessThanOrEqual(Math.ceil((2 * coins.length) / 4) + 1);

    const finalized = decodePsbt(final.psbt);
    finalized.raw.inputs.forEach((input) => {
      expect(input.finalScriptWitness).toHaveLength(4);
      expect(input.partialSig).toBeUndefined();
      expect(input.bip32Derivation).toBeUndefined();
      expect(input.nonWitnessUtxo).toBeDefined();
    });
  });

  it('finalizes from signatures embedded in the PSBT plus given ones, and needs the threshold', () => {
    const { psbt } = withdrawal(vault, 2);
    const byBob = signVaultInputs(psbt, bob.account, origin(bob), [0, 1]);
    const byCarol = signVaultInputs(byBob.psbt, carol.account, origin(carol), [0, 1]);
    expect(finalizeWithSignatures(byCarol.psbt, [], 2).txid).toBe(decodePsbt(psbt).unsignedTxid);
    expect(finalizeWithSignatures(byBob.psbt, byCarol.partialSigs, 2).txHex).toBe(finalizeWithSignatures(byCarol.psbt, [], 2).txHex);
    expectCode(() => finalizeWithSignatures(psbt, byBob.partialSigs, 2), 'SIGNATURE_INVALID', /psbt\/input\[0\]: 1 valid signature\(s\), 2 required/);
    expectCode(() => finalizeWithSignatures(byCarol.psbt, [], 3), 'PSBT_MISMATCH', /needs 2 signatures, the vault threshold is 3/);
  });

  it('signing is deterministic (RFC 6979) and only touches the requested inputs', () => {
    const { psbt } = withdrawal(vault);
    const once = signVaultInputs(psbt, alice.account, origin(alice), [1]);
    const twice = signVaultInputs(psbt, alice.account, origin(alice), [1]);
    expect(once).toEqual(twice);
    const decoded = decodePsbt(once.psbt);
    expect(decoded.raw.inputs.map((i) => i.partialSig?.length ?? 0)).toEqual([0, 1, 0]);
    expect(once.partialSigs[0].pubkey).toBe(Buffer.from(vault.derive(1, 1).keys.find((k) => k.fingerprint === alice.fingerprint)!.pubkey).toString('hex'));
  });

  it('computes the same BIP143 digests as scure and bitcoinjs-lib', () => {
    const { psbt, coins } = withdrawal(vault, 4);
    const decoded = decodePsbt(psbt);
    const sighash = new SighashAllV0(decoded.raw.global.unsignedTx);
    const scure = ScureTransaction.fromPSBT(hexToBytes(Buffer.from(psbt, 'base64').toString('hex')));
    const bjs = bitcoin.Psbt.fromBase64(psbt).data.globalMap.unsignedTx as unknown as { toBuffer(): Uint8Array };
    const tx = bitcoin.Transaction.fromBuffer(bjs.toBuffer());
    coins.forEach((coin, i) => {
      const ours = sighash.digest(i, coin.script.witnessScript, coin.amount);
      expect(ours).toEqual(scure.preimageWitnessV0(i, coin.script.witnessScript, 1, coin.amount));
      expect(ours).toEqual(tx.hashForWitnessV0(i, coin.script.witnessScript, coin.amount, 1));
    });
  });

  it('refuses what it cannot build', () => {
    const script = vault.derive(0, 0);
    const funding = fundingTx(script.scriptPubKey, 50_000n);
    const base = {
      network: 'regtest' as const,
      inputs: [{ txid: funding.txid, vout: 0, prevTxHex: funding.hex, script }],
      outputs: [{ address: DESTINATION, amount: 10_000n }],
      globalXpubs: globalXpubs(vault),
      locktime: 0,
    };
    expect(() => buildWithdrawalPsbt(base)).not.toThrow();
    expectCode(() => buildWithdrawalPsbt({ ...base, outputs: [{ address: 'bc1q50rtrmj2f8vl9tem8qpfw36ylw5jg9j2dkku3w', amount: 1n }] }), 'ADDRESS_INVALID');
    expectCode(() => buildWithdrawalPsbt({ ...base, outputs: [{ address: 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', amount: 1n }] }), 'ADDRESS_WRONG_NETWORK');
    expectCode(() => buildWithdrawalPsbt({ ...base, outputs: [{ address: DESTINATION, amount: 60_000n }] }), 'INSUFFICIENT_FUNDS');
    expectCode(() => buildWithdrawalPsbt({ ...base, outputs: [{ address: DESTINATION, amount: 0n }] }), 'AMOUNT_INVALID');
    expectCode(() => buildWithdrawalPsbt({ ...base, inputs: [{ ...base.inputs[0], txid: '00'.repeat(32) }] }), 'PSBT_MISMATCH', /inputs\[0\]: previous transaction does not match outpoint/);
    expectCode(() => buildWithdrawalPsbt({ ...base, inputs: [{ ...base.inputs[0], script: vault.derive(0, 1) }] }), 'PSBT_MISMATCH', /does not pay the vault script 0\/1/);
    expectCode(() => buildWithdrawalPsbt({ ...base, inputs: [{ ...base.inputs[0], prevTxHex: 'zz' }] }), 'TX_MALFORMED');
    expectCode(() => buildWithdrawalPsbt({ ...base, inputs: [base.inputs[0], base.inputs[0]] }), 'VALIDATION_FAILED', /spent twice/);
    expectCode(() => buildWithdrawalPsbt({ ...base, globalXpubs: [{ ...base.globalXpubs[0], path: [1, 2] }] }), 'KEY_INVALID');
    expectCode(() => buildWithdrawalPsbt({ ...base, globalXpubs: [base.globalXpubs[0], base.globalXpubs[0]] }), 'VALIDATION_FAILED', /cannot be serialized/);
    expectCode(() => buildWithdrawalPsbt({ ...base, globalXpubs: [{ ...base.globalXpubs[0], xpub: vault.keyholders[0].account.privateExtendedKey }] }), 'KEY_INVALID');
  });
});
