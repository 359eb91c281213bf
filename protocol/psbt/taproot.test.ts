/**
 * The life of a FROST Taproot vault withdrawal at the PSBT level (BIP174, BIP371, BIP341): build,
 * inspect (ownership recomputed from the descriptor), key-path sighashes, finalize and extract.
 * The group's aggregate signature is made by a test-only single-key stand-in (see
 * taproot-vault.fixture.ts); sighashes are checked against @scure/btc-signer, bitcoinjs-lib
 * (whose hashForWitnessV1 produced a spend Bitcoin Core accepted, STACK.md) and BIP341's vectors,
 * and the final transaction against one @scure/btc-signer signs and finalizes on its own.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { base64 } from '@scure/base';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Transaction as ScureTransaction } from '@scure/btc-signer/transaction.js';
import * as bitcoin from 'bitcoinjs-lib';
import { deriveVaultScript, type TaprootVaultScript } from '../descriptor';
import { ConclaveError } from '../errors';
import { describeWithVectors, readVectorJson } from '../../test/vectors/locate';
import { fundingTxPaying } from '../../test/support/funding-tx';
import { defaultVault } from '../../test/support/psbt-vault-fixture';
import {
  SighashDefaultV1, buildWithdrawalPsbt, decodePsbt, descriptorOracle, finalizeTaprootKeySpend, finalizeWithSignatures, inspectPsbt,
  p2trKeyPathInputWeight, taprootKeySpendSighashes, vaultGlobalXpubs, vaultInputWeight, type WithdrawalInput,
} from './index';
import { type RawPsbt, decodeRawPsbtV0, decodeRawTx, encodeRawPsbtV0 } from './raw';
import { AUX_RAND, singleKeyTaprootVault } from './taproot-vault.fixture';

const DESTINATION = 'bcrt1q50rtrmj2f8vl9tem8qpfw36ylw5jg9j2dkku3w'; // P2WPKH
const vault = singleKeyTaprootVault(0x21);
const foreign = singleKeyTaprootVault(0x22);
const oracle = descriptorOracle(vault.descriptor);
let salt = 0;

function coin(script: TaprootVaultScript, amount: bigint): WithdrawalInput & { amount: bigint } {
  salt += 1;
  const funding = fundingTxPaying([{ script: new Uint8Array(22).fill(9), amount: 1_000n }, { script: script.scriptPubKey, amount }], new Uint8Array(32).fill(salt));
  return { txid: funding.txid, vout: 1, prevTxHex: funding.hex, script, amount };
}

function withdrawal(opts: { coins?: Array<WithdrawalInput & { amount: bigint }>; change?: TaprootVaultScript } = {}) {
  const coins = opts.coins ?? [coin(deriveVaultScript(vault.descriptor, 0, 0), 300_000n), coin(deriveVaultScript(vault.descriptor, 1, 4), 200_000n), coin(deriveVaultScript(vault.descriptor, 0, 9), 100_000n)];
  const totalIn = coins.reduce((sum, c) => sum + c.amount, 0n);
  const psbt = buildWithdrawalPsbt({
    network: 'regtest',
    inputs: coins,
    outputs: [{ address: DESTINATION, amount: 250_000n }],
    change: { script: opts.change ?? deriveVaultScript(vault.descriptor, 1, 5), amount: totalIn - 250_000n - 1_500n },
    globalXpubs: vaultGlobalXpubs(vault.descriptor),
    locktime: 0,
  });
  return { psbt, coins, totalIn };
}

function edit(psbt: string, f: (raw: RawPsbt) => void): string {
  const raw = decodeRawPsbtV0(base64.decode(psbt));
  f(raw);
  return base64.encode(encodeRawPsbtV0(raw));
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

/** Signs every input with the stand-in, at the position the (honest) PSBT's derivation names. */
function signAll(psbt: string): Uint8Array[] {
  const decoded = decodePsbt(psbt);
  return taprootKeySpendSighashes(decoded).map((digest, i) => {
    const [, { der }] = decoded.raw.inputs[i].tapBip32Derivation![0];
    return vault.sign(digest, der.path[0] as 0 | 1, der.path[1]);
  });
}

describe('FROST Taproot vault withdrawal (key path)', () => {
  it('builds a PSBT v0 with full previous transactions, witness UTXOs, BIP371 internal keys and derivations, and the group xpub', () => {
    const { psbt, coins } = withdrawal();
    const { raw } = decodePsbt(psbt);
    expect(raw.global.unsignedTx.version).toBe(2);
    expect(raw.global.unsignedTx.inputs.map((i) => i.sequence)).toEqual([0xfffffffd, 0xfffffffd, 0xfffffffd]);
    raw.inputs.forEach((input, i) => {
      const script = coins[i].script as TaprootVaultScript;
      expect(input.nonWitnessUtxo).toBeDefined();
      expect(bytesToHex(input.witnessUtxo!.script)).toBe(bytesToHex(script.scriptPubKey));
      expect(input.witnessUtxo!.amount).toBe(coins[i].amount);
      expect(bytesToHex(input.tapInternalKey!)).toBe(bytesToHex(script.internalKey));
      expect(input.tapBip32Derivation).toEqual([[script.internalKey, { hashes: [], der: { fingerprint: vault.master.fingerprint, path: [script.change, script.index] } }]]);
      expect(input.witnessScript).toBeUndefined();
      expect(input.bip32Derivation).toBeUndefined();
    });
    const change = deriveVaultScript(vault.descriptor, 1, 5);
    expect(raw.outputs[0]).toEqual({});
    expect(raw.outputs[1].tapInternalKey).toEqual(change.internalKey);
    expect(raw.outputs[1].tapBip32Derivation).toEqual([[change.internalKey, { hashes: [], der: { fingerprint: vault.master.fingerprint, path: [1, 5] } }]]);
    // BIP174 global xpub of a depth-0 key: its own fingerprint and an empty path.
    expect(raw.global.xpub).toHaveLength(1);
    const [[xpub, der]] = raw.global.xpub!;
    expect(xpub.depth).toBe(0);
    expect(bytesToHex(xpub.publicKey)).toBe(bytesToHex(vault.master.publicKey!));
    expect(der).toEqual({ fingerprint: vault.master.fingerprint, path: [] });
  });

  it('inspects it: every input and the change recomputed as the vault\'s, and a size estimate that is exact once signed', () => {
    const { psbt, totalIn } = withdrawal();
    const summary = inspectPsbt(psbt, oracle, 'regtest');
    expect(summary.inputs.map((i) => i.vault)).toEqual([{ change: 0, index: 0 }, { change: 1, index: 4 }, { change: 0, index: 9 }]);
    expect(summary.inputs.every((i) => i.hasFullPrevTx && i.hasWitnessUtxo && i.sighashTypes.length === 0)).toBe(true);
    expect(summary.outputs.map((o) => [o.isChange, o.vault])).toEqual([[false, null], [true, { change: 1, index: 5 }]]);
    expect(summary.totalIn).toBe(totalIn);
    expect(summary.fee).toBe(1_500n);
    const final = finalizeTaprootKeySpend(psbt, signAll(psbt));
    const tx = bitcoin.Transaction.fromHex(final.txHex);
    expect(summary.vsize).toBe(tx.virtualSize());
    expect(p2trKeyPathInputWeight()).toBe(230);
    expect(vaultInputWeight(deriveVaultScript(vault.descriptor, 0, 0))).toBe(230);
  });

  it('computes the same BIP341 SIGHASH_DEFAULT digests as scure and bitcoinjs-lib', () => {
    const { psbt, coins } = withdrawal();
    const ours = taprootKeySpendSighashes(psbt);
    const scure = ScureTransaction.fromPSBT(base64.decode(psbt));
    const scripts = coins.map((c) => c.script.scriptPubKey);
    const amounts = coins.map((c) => c.amount);
    const unsigned = bitcoin.Transaction.fromBuffer(scure.toBytes(false, false));
    ours.forEach((digest, i) => {
      expect(bytesToHex(digest)).toBe(bytesToHex(scure.preimageWitnessV1(i, scripts, 0x00, amounts)));
      expect(bytesToHex(digest)).toBe(bytesToHex(unsigned.hashForWitnessV1(i, scripts, amounts, bitcoin.Transaction.SIGHASH_DEFAULT)));
    });
  });

  it('finalizes with one 64-byte signature per input into the very transaction @scure/btc-signer signs and finalizes itself', () => {
    const { psbt, coins } = withdrawal();
    const final = finalizeTaprootKeySpend(psbt, signAll(psbt));
    const scure = ScureTransaction.fromPSBT(base64.decode(psbt));
    coins.forEach((c, i) => scure.signIdx(vault.childSecret(c.script.change, c.script.index), i, undefined, AUX_RAND));
    scure.finalize();
    expect(final.txHex).toBe(scure.hex);
    expect(final.txid).toBe(scure.id);
    const tx = decodeRawTx(hexToBytes(final.txHex));
    expect(tx.witnesses!.map((w) => w.map((item) => item.length))).toEqual([[64], [64], [64]]);
    // The finalized PSBT keeps the UTXOs and drops the signing fields (BIP174 finalizer).
    const finalized = decodePsbt(final.psbt).raw.inputs;
    expect(finalized.every((input) => input.tapInternalKey === undefined && input.tapBip32Derivation === undefined && input.nonWitnessUtxo !== undefined)).toBe(true);
    // Every signature verifies under the output key of the coin (what consensus checks).
    const digests = taprootKeySpendSighashes(psbt);
    tx.witnesses!.forEach(([sig], i) => expect(schnorr.verify(sig, digests[i], (coins[i].script as TaprootVaultScript).outputKey)).toBe(true));
  });

  describe('refuses what would not be a valid key-path spend', () => {
    const { psbt } = withdrawal();
    const sigs = signAll(psbt);

    it('a signature by another key (the foreign vault\'s) at the same position', () => {
      const digests = taprootKeySpendSighashes(psbt);
      const wrong = [...sigs];
      wrong[1] = foreign.sign(digests[1], 1, 4);
      expectCode(() => finalizeTaprootKeySpend(psbt, wrong), 'SIGNATURE_INVALID', /^psbt\/input\[1\]: signature does not verify under output key/);
    });

    it('a signature by the untweaked child key (a signer that forgot the BIP341 tweak)', () => {
      const digest = taprootKeySpendSighashes(psbt)[0];
      const wrong = [schnorr.sign(digest, vault.childSecret(0, 0), AUX_RAND), ...sigs.slice(1)];
      expectCode(() => finalizeTaprootKeySpend(psbt, wrong), 'SIGNATURE_INVALID', /input\[0\]/);
    });

    it('a flipped bit, a 65-byte signature with a sighash byte, or the wrong count', () => {
      const flipped = sigs.map((s) => s.slice());
      flipped[2][10] ^= 1;
      expectCode(() => finalizeTaprootKeySpend(psbt, flipped), 'SIGNATURE_INVALID', /input\[2\]/);
      expectCode(() => finalizeTaprootKeySpend(psbt, [Uint8Array.from([...sigs[0], 0x01]), ...sigs.slice(1)]), 'SIGNATURE_INVALID', /64-byte/);
      expectCode(() => finalizeTaprootKeySpend(psbt, sigs.slice(1)), 'SIGNATURE_INVALID', /one 64-byte signature per input \(3\), got 2/);
    });

    it.each([['0x01 ALL', 0x01], ['0x02 NONE', 0x02], ['0x03 SINGLE', 0x03], ['0x81 ALL|ANYONECANPAY', 0x81]])('an input that asks for sighash type %s', (_name, type) => {
      const asks = edit(psbt, (raw) => {
        raw.inputs[1].sighashType = type;
      });
      expectCode(() => taprootKeySpendSighashes(asks), 'PSBT_MISMATCH', /^psbt\/input\[1\]: asks for sighash type .* only SIGHASH_DEFAULT/);
      expectCode(() => finalizeTaprootKeySpend(asks, sigs), 'PSBT_MISMATCH');
      expect(inspectPsbt(asks, oracle, 'regtest').inputs[1].sighashTypes).toEqual([type]);
    });

    it('a multisig PSBT (no Taproot output spent)', () => {
      const multisig = defaultVault();
      const script = multisig.derive(0, 0);
      const funding = fundingTxPaying([{ script: script.scriptPubKey, amount: 50_000n }], new Uint8Array(32).fill(200));
      const other = buildWithdrawalPsbt({
        network: 'regtest', inputs: [{ txid: funding.txid, vout: 0, prevTxHex: funding.hex, script }], outputs: [{ address: DESTINATION, amount: 40_000n }], globalXpubs: [], locktime: 0,
      });
      expectCode(() => taprootKeySpendSighashes(other), 'PSBT_MISMATCH', /spends no Taproot output/);
      // and the reverse: the multisig finalizer has no witness script to work with here
      expectCode(() => finalizeWithSignatures(psbt, [], 2), 'PSBT_MISMATCH', /no multisig witness script/);
    });

    it('an input already finalized', () => {
      const { psbt: done } = finalizeTaprootKeySpend(psbt, sigs);
      expectCode(() => finalizeTaprootKeySpend(done, sigs), 'PSBT_MISMATCH', /already finalized/);
    });
  });

  describe('recomputes ownership instead of trusting the PSBT', () => {
    it('a coin of another FROST vault is not the vault\'s, even with derivations under the vault\'s fingerprint', () => {
      const outsider = coin(deriveVaultScript(foreign.descriptor, 0, 0), 300_000n);
      const psbt = edit(withdrawal({ coins: [outsider] }).psbt, (raw) => {
        const [[key, d]] = raw.inputs[0].tapBip32Derivation!;
        raw.inputs[0].tapBip32Derivation = [[key, { ...d, der: { ...d.der, fingerprint: vault.master.fingerprint } }]];
      });
      expect(inspectPsbt(psbt, oracle, 'regtest').inputs[0].vault).toBeNull();
    });

    it('a derivation that claims another position, or a script-path derivation, proves nothing', () => {
      const { psbt } = withdrawal();
      const other = deriveVaultScript(vault.descriptor, 0, 1);
      const elsewhere = edit(psbt, (raw) => {
        raw.inputs[0].tapBip32Derivation = [[other.internalKey, { hashes: [], der: { fingerprint: vault.master.fingerprint, path: [0, 1] } }]];
      });
      const leaf = edit(psbt, (raw) => {
        raw.inputs[0].tapBip32Derivation = raw.inputs[0].tapBip32Derivation!.map(([k, d]) => [k, { ...d, hashes: [new Uint8Array(32).fill(3)] }]);
      });
      expect(inspectPsbt(elsewhere, oracle, 'regtest').inputs[0].vault).toBeNull();
      expect(inspectPsbt(leaf, oracle, 'regtest').inputs[0].vault).toBeNull();
    });

    it('an internal key or script tree that does not commit to the spent output is refused on decoding', () => {
      const { psbt } = withdrawal();
      const swapped = edit(psbt, (raw) => {
        raw.inputs[0].tapInternalKey = deriveVaultScript(vault.descriptor, 0, 1).internalKey;
      });
      const tree = edit(psbt, (raw) => {
        raw.inputs[0].tapMerkleRoot = new Uint8Array(32).fill(1);
      });
      expectCode(() => inspectPsbt(swapped, oracle, 'regtest'), 'PSBT_MALFORMED', /Taproot commitment/);
      expectCode(() => inspectPsbt(tree, oracle, 'regtest'), 'PSBT_MALFORMED', /Taproot commitment/);
    });

    it('change to the foreign vault is not change, whatever its fields say', () => {
      const { psbt } = withdrawal({ change: deriveVaultScript(foreign.descriptor, 1, 5) });
      const disguised = edit(psbt, (raw) => {
        const [[key, d]] = raw.outputs[1].tapBip32Derivation!;
        raw.outputs[1].tapBip32Derivation = [[key, { ...d, der: { ...d.der, fingerprint: vault.master.fingerprint } }]];
      });
      expect(inspectPsbt(disguised, oracle, 'regtest').outputs[1]).toMatchObject({ isChange: false, vault: null });
    });

    it('a FROST PSBT inspected with a multisig oracle has no vault inputs, and the reverse', () => {
      const multisig = defaultVault();
      expect(inspectPsbt(withdrawal().psbt, multisig, 'regtest').inputs.every((i) => i.vault === null)).toBe(true);
      const script = multisig.derive(0, 0);
      const funding = fundingTxPaying([{ script: script.scriptPubKey, amount: 50_000n }], new Uint8Array(32).fill(201));
      const other = buildWithdrawalPsbt({
        network: 'regtest', inputs: [{ txid: funding.txid, vout: 0, prevTxHex: funding.hex, script }], outputs: [{ address: DESTINATION, amount: 40_000n }], globalXpubs: [], locktime: 0,
      });
      expect(inspectPsbt(other, oracle, 'regtest').inputs[0].vault).toBeNull();
    });
  });

  describe('the builder refuses inconsistent requests', () => {
    it('a script whose output key is not the tweak of its internal key', () => {
      const good = deriveVaultScript(vault.descriptor, 0, 0);
      const forged = { ...good, outputKey: deriveVaultScript(foreign.descriptor, 0, 0).outputKey };
      expectCode(() => withdrawal({ coins: [{ ...coin(good, 300_000n), script: forged }] }), 'VALIDATION_FAILED', /not the key-path P2TR output/);
      expectCode(() => withdrawal({ coins: [coin(good, 300_000n)], change: { ...good, internalKey: new Uint8Array(32).fill(5) } }), 'VALIDATION_FAILED', /change\.script/);
    });

    it('a coin whose previous transaction pays another script', () => {
      const c = coin(deriveVaultScript(vault.descriptor, 0, 0), 300_000n);
      expectCode(() => withdrawal({ coins: [{ ...c, script: deriveVaultScript(vault.descriptor, 0, 1) }] }), 'PSBT_MISMATCH', /does not pay the vault script 0\/1/);
    });

    it('multisig and FROST coins in one withdrawal', () => {
      const script = defaultVault().derive(0, 0);
      const funding = fundingTxPaying([{ script: script.scriptPubKey, amount: 50_000n }], new Uint8Array(32).fill(202));
      const mixed = [coin(deriveVaultScript(vault.descriptor, 0, 0), 300_000n), { txid: funding.txid, vout: 0, prevTxHex: funding.hex, script, amount: 50_000n }];
      expectCode(() => withdrawal({ coins: mixed }), 'VALIDATION_FAILED', /mixed/);
    });
  });
});

interface Bip341Vectors {
  keyPathSpending: Array<{
    given: { rawUnsignedTx: string; utxosSpent: Array<{ scriptPubKey: string; amountSats: number }> };
    intermediary: { hashAmounts: string; hashOutputs: string; hashPrevouts: string; hashScriptPubkeys: string; hashSequences: string };
    inputSpending: Array<{ given: { txinIndex: number; hashType: number }; intermediary: { sigHash: string } }>;
  }>;
}

describeWithVectors('BIP341 wallet vectors: key-path SIGHASH_DEFAULT', (dir) => {
  const vectors = readVectorJson<Bip341Vectors>(dir, 'bip0341-wallet-test-vectors.json');
  const cases = vectors.keyPathSpending.flatMap((v) => v.inputSpending.filter((s) => s.given.hashType === 0x00).map((s) => [s.given.txinIndex, v, s] as const));

  it('has SIGHASH_DEFAULT cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(1);
  });

  it.each(cases)('input %i: the digest BIP341 gives', (index, v, s) => {
    const tx = decodeRawTx(hexToBytes(v.given.rawUnsignedTx));
    const prevouts = v.given.utxosSpent.map((u) => ({ script: hexToBytes(u.scriptPubKey), amount: BigInt(u.amountSats) }));
    expect(bytesToHex(new SighashDefaultV1(tx, prevouts).digest(index))).toBe(s.intermediary.sigHash);
  });
});
