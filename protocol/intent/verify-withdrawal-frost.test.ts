/**
 * verifyWithdrawalForSigning for a pinned FROST Taproot vault: the same checks as for multisig
 * (verify-withdrawal.test.ts), run by the same code, against real `tr(xpub/<0;1>/*)` descriptors
 * and key-path PSBTs. One honest withdrawal passes and yields, per input, the BIP341 digest and
 * child position to sign; every attack a hostile coordinator can mount is refused with a reason.
 * The group signature comes from a test-only single-key stand-in (psbt/taproot-vault.fixture.ts).
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import * as bitcoin from 'bitcoinjs-lib';
import { deriveVaultScript, type FrostVaultDescriptor } from '../descriptor';
import { buildWithdrawalPsbt, decodeRawTx, finalizeTaprootKeySpend, taprootKeySpendSighashes, vaultGlobalXpubs } from '../psbt';
import { singleKeyTaprootVault } from '../psbt/taproot-vault.fixture';
import {
  ATTACKER, DESTINATION, WITHDRAWAL_ID, editPsbt, fundingTx, honestIntent, psbt as multisigPsbt, verifyInput,
} from '../../test/support/withdrawal-fixture';
import type { SigningRecord } from './signing-journal';
import { MAX_CHANGE_INDEX, verifyWithdrawalForSigning, type VerifyWithdrawalInput } from './verify-withdrawal';

const group = singleKeyTaprootVault(0x31);
const outsider = singleKeyTaprootVault(0x32);
const vault = group.descriptor;
const coinA = deriveVaultScript(vault, 0, 0);
const coinB = deriveVaultScript(vault, 0, 1);
const funding = fundingTx([{ script: coinA.scriptPubKey, amount: 500_000n }, { script: coinB.scriptPubKey, amount: 300_000n }], 11);
const foreignCoin = deriveVaultScript(outsider.descriptor, 0, 0);
const foreignFunding = fundingTx([{ script: foreignCoin.scriptPubKey, amount: 500_000n }], 12);

interface FrostPsbtShape {
  outputs?: Array<{ address: string; amount: bigint }>;
  change?: Array<{ change: 0 | 1; index: number; amount: bigint; descriptor?: FrostVaultDescriptor }>;
  foreignInput?: boolean;
  locktime?: number;
  sequence?: number;
}

/** Honest: spends coin A (500,000), pays 400,000 to DESTINATION, 99,200 change at 1/0, fee 800 (~5.6 sat/vB). */
function frostPsbt(shape: FrostPsbtShape = {}): string {
  const change = shape.change ?? [{ change: 1, index: 0, amount: 99_200n }];
  return buildWithdrawalPsbt({
    network: 'regtest',
    inputs: shape.foreignInput
      ? [{ txid: foreignFunding.txid, vout: 0, prevTxHex: foreignFunding.hex, script: foreignCoin }]
      : [{ txid: funding.txid, vout: 0, prevTxHex: funding.hex, script: coinA }],
    outputs: [
      ...(shape.outputs ?? [{ address: DESTINATION, amount: 400_000n }]),
      ...change.slice(1).map((c) => ({ address: deriveVaultScript(c.descriptor ?? vault, c.change, c.index).address, amount: c.amount })),
    ],
    change: change.length === 0 ? undefined : { script: deriveVaultScript(change[0].descriptor ?? vault, change[0].change, change[0].index), amount: change[0].amount },
    globalXpubs: vaultGlobalXpubs(vault),
    locktime: shape.locktime ?? 0,
    sequence: shape.sequence,
  });
}

/** The fixture's honest withdrawal (same intent, keyholders, approvals), with the FROST vault pinned and its PSBT. */
function input(options: Parameters<typeof verifyInput>[0] = {}): VerifyWithdrawalInput {
  const args = verifyInput({ ...options, psbt: options.psbt ?? frostPsbt() });
  return { ...args, pinned: { ...args.pinned, descriptor: vault } };
}

function reasonsOf(args: VerifyWithdrawalInput): string[] {
  const result = verifyWithdrawalForSigning(args);
  if (result.ok) throw new Error('expected a refusal, but the withdrawal was accepted');
  return result.reasons;
}

describe('verifyWithdrawalForSigning, FROST Taproot vault', () => {
  test('accepts the honest withdrawal and gives, per input, the key-path digest and the child to sign with', () => {
    const args = input();
    const result = verifyWithdrawalForSigning(args);
    if (!result.ok) throw new Error(result.reasons.join('\n'));
    if (result.kind !== 'tr-frost') throw new Error(`expected a tr-frost verdict, got ${result.kind}`);
    expect(result.inputsToSign).toEqual([0]);
    expect(result.summary.destinations).toEqual([{ address: DESTINATION, amount: 400_000n }]);
    expect(result.summary.change).toEqual([{ address: deriveVaultScript(vault, 1, 0).address, amount: 99_200n, index: 0 }]);
    expect(result.summary.fee).toBe(800n);
    expect(result.summary.inputs).toEqual([{ txid: funding.txid, vout: 0, amount: 500_000n, change: 0, index: 0 }]);
    expect(result.keySpends).toEqual([{
      input: 0, change: 0, index: 0, internalKey: coinA.internalKey, outputKey: coinA.outputKey, sighash: taprootKeySpendSighashes(args.withdrawal.psbt)[0],
    }]);

    // What it accepts, the group can sign (here the stand-in) and the coordinator finalize;
    // the size the fee rate was checked at is the real one.
    const signatures = result.keySpends.map((k) => group.sign(k.sighash, k.change, k.index));
    signatures.forEach((sig, i) => expect(schnorr.verify(sig, result.keySpends[i].sighash, result.keySpends[i].outputKey)).toBe(true));
    const final = finalizeTaprootKeySpend(args.withdrawal.psbt, signatures);
    expect(bitcoin.Transaction.fromBuffer(hexToBytes(final.txHex)).virtualSize()).toBe(result.summary.vsize);
    expect(final.txid).toBe(result.summary.unsignedTxid);
  });

  test('a keyholder deciding whether to approve gets the same verdict without approvals', () => {
    expect(verifyWithdrawalForSigning({ ...input({ approvals: [] }), purpose: 'approve' }).ok).toBe(true);
    expect(reasonsOf(input({ approvals: [] }))).toEqual(['approvals: 0 valid of the 1 the pinned policy requires']);
  });

  describe('refuses a PSBT that does not implement the intent exactly', () => {
    test('destination replaced by the attacker\'s address', () => {
      expect(reasonsOf(input({ psbt: frostPsbt({ outputs: [{ address: ATTACKER, amount: 400_000n }] }) }))).toEqual([
        expect.stringMatching(/^intent\.outputs\[0\]: the PSBT does not pay/),
        expect.stringMatching(new RegExp(`^psbt/output\\[0\\]: pays 400000 sat to ${ATTACKER}`)),
      ]);
    });

    test('destination paid less than the intent says', () => {
      const reasons = reasonsOf(input({ psbt: frostPsbt({ outputs: [{ address: DESTINATION, amount: 399_000n }], change: [{ change: 1, index: 0, amount: 100_200n }] }) }));
      expect(reasons).toContainEqual(expect.stringMatching(/^intent\.outputs\[0\]: the PSBT does not pay 400000 sat/));
    });

    test('an extra output to the attacker carved out of the change', () => {
      const reasons = reasonsOf(input({ psbt: frostPsbt({ outputs: [{ address: DESTINATION, amount: 400_000n }, { address: ATTACKER, amount: 50_000n }], change: [{ change: 1, index: 0, amount: 49_200n }] }) }));
      expect(reasons).toEqual([expect.stringMatching(/^psbt\/output\[1\]: pays 50000 sat .* neither in the intent nor change/)]);
    });

    test('"change" to the key of another FROST group, with the fields of real change', () => {
      const reasons = reasonsOf(input({ psbt: frostPsbt({ change: [{ change: 1, index: 0, amount: 99_200n, descriptor: outsider.descriptor }] }) }));
      expect(reasons).toEqual([expect.stringMatching(/^psbt\/output\[1\]: .* neither in the intent nor change of this vault/)]);
    });

    test('change to a receive address of the vault', () => {
      expect(reasonsOf(input({ psbt: frostPsbt({ change: [{ change: 0, index: 5, amount: 99_200n }] }) })))
        .toEqual([expect.stringMatching(/^psbt\/output\[1\]: .* a receive address of the vault/)]);
    });

    test('change at an index no wallet would scan', () => {
      expect(reasonsOf(input({ psbt: frostPsbt({ change: [{ change: 1, index: MAX_CHANGE_INDEX + 1, amount: 99_200n }] }) })))
        .toEqual([expect.stringMatching(/^psbt\/output\[1\]: change at index 100001/)]);
    });
  });

  describe('refuses inputs that are not provably the vault\'s', () => {
    test('a coin of another FROST group', () => {
      expect(reasonsOf(input({ psbt: frostPsbt({ foreignInput: true }) }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: .* is not a coin of this vault/)]);
    });

    test('an input without its full previous transaction', () => {
      const stripped = editPsbt(frostPsbt(), (raw) => {
        delete raw.inputs[0].nonWitnessUtxo;
      });
      expect(reasonsOf(input({ psbt: stripped }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: no full previous transaction/)]);
    });

    test('an input without its witness_utxo', () => {
      const stripped = editPsbt(frostPsbt(), (raw) => {
        delete raw.inputs[0].witnessUtxo;
      });
      expect(reasonsOf(input({ psbt: stripped }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: no witness_utxo/)]);
    });

    test('a previous transaction that is not the one the outpoint names', () => {
      const swapped = editPsbt(frostPsbt(), (raw) => {
        raw.inputs[0].nonWitnessUtxo = decodeRawTx(hexToBytes(foreignFunding.hex));
      });
      expect(reasonsOf(input({ psbt: swapped }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: previous transaction does not match outpoint/)]);
    });

    test('a witness_utxo whose amount is not the previous transaction\'s', () => {
      const inflated = editPsbt(frostPsbt(), (raw) => {
        raw.inputs[0].witnessUtxo = { ...raw.inputs[0].witnessUtxo!, amount: 600_000n };
      });
      expect(reasonsOf(input({ psbt: inflated }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: witness_utxo does not match output 0 of the previous transaction/)]);
    });

    test.each([['SIGHASH_ALL', 0x01], ['SIGHASH_NONE', 0x02], ['SIGHASH_ALL|ANYONECANPAY', 0x81]])('an input that asks for %s', (_name, type) => {
      const asks = editPsbt(frostPsbt(), (raw) => {
        raw.inputs[0].sighashType = type;
      });
      expect(reasonsOf(input({ psbt: asks }))).toEqual([expect.stringMatching(new RegExp(`^psbt/input\\[0\\]: asks for sighash type\\(s\\) ${type}; only SIGHASH_DEFAULT`))]);
    });

    test('an input carrying a key-path signature made with SIGHASH_SINGLE', () => {
      const signed = editPsbt(frostPsbt(), (raw) => {
        raw.inputs[0].tapKeySig = Uint8Array.from([...new Uint8Array(64).fill(1), 0x03]);
      });
      expect(reasonsOf(input({ psbt: signed }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: asks for sighash type\(s\) 3; only SIGHASH_DEFAULT/)]);
    });

    test('a relative timelock in the sequence, and a timestamp locktime', () => {
      expect(reasonsOf(input({ psbt: frostPsbt({ sequence: 144 }) }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: sequence 0x90 sets a relative timelock/)]);
      expect(reasonsOf(input({ psbt: frostPsbt({ locktime: 1_900_000_000 }) }))).toEqual([expect.stringMatching(/^psbt: locktime 1900000000 is a timestamp/)]);
    });
  });

  describe('refuses fees above the caps, at the key-path size', () => {
    test('fee above maxFee', () => {
      expect(reasonsOf(input({ intent: honestIntent({ maxFee: '799' }) }))).toEqual([expect.stringMatching(/^fee: 800 sat exceeds the intent's cap of 799 sat/)]);
    });

    test('fee rate above the intent\'s rate plus 5%', () => {
      // The multisig fixture pays 1,000 sat at about 5.6 sat/vB; on this smaller key-path spend (57.5 vB input) it is 7.04.
      expect(reasonsOf(input({ psbt: frostPsbt({ change: [{ change: 1, index: 0, amount: 99_000n }] }) })))
        .toEqual([expect.stringMatching(/^fee: 1000 sat for about 142 vB is 7\.04 sat\/vB, above the intent's 6 sat\/vB/)]);
    });
  });

  describe('refuses the wrong vault kind or network', () => {
    test('a FROST PSBT against the pinned multisig vault, and a multisig PSBT against the pinned FROST vault', () => {
      const multisigPinned = verifyInput({ psbt: frostPsbt() });
      expect(reasonsOf(multisigPinned)).toContainEqual(expect.stringMatching(/^psbt\/input\[0\]: .* is not a coin of this vault/));
      expect(reasonsOf(input({ psbt: multisigPsbt() }))).toContainEqual(expect.stringMatching(/^psbt\/input\[0\]: .* is not a coin of this vault/));
    });

    test('pinned descriptor of another network than the signer, and an intent for another network', () => {
      expect(reasonsOf({ ...input(), network: 'testnet' })).toContainEqual(expect.stringMatching(/^vault: the pinned descriptor is for regtest/));
      expect(reasonsOf(input({ intent: honestIntent({ network: 'testnet' }) }))).toContainEqual(expect.stringMatching(/^intent\.network: testnet/));
    });

    test('expired intent', () => {
      expect(reasonsOf(input({ now: new Date('2026-03-02T12:00:00.001Z') }))).toEqual([expect.stringMatching(/^intent\.expiresAt: the intent expired/)]);
    });
  });

  describe('refuses what the journal says was signed before', () => {
    const honest = input();
    const verdict = verifyWithdrawalForSigning(honest);
    if (!verdict.ok) throw new Error(verdict.reasons.join('\n'));
    const record: SigningRecord = { withdrawalId: WITHDRAWAL_ID, intentHash: honest.withdrawal.intentHash, unsignedTxid: verdict.summary.unsignedTxid, inputs: [`${funding.txid}:0`] };

    test('the same record again (resuming after a crash) is no reason to refuse', () => {
      expect(verifyWithdrawalForSigning(input({ journal: [record] })).ok).toBe(true);
    });

    test('a coin already signed away for another intent', () => {
      expect(reasonsOf(input({ journal: [{ ...record, withdrawalId: '99999999-8888-4777-8666-555555555555', intentHash: 'ef'.repeat(32) }] })))
        .toEqual([expect.stringMatching(new RegExp(`^journal: coin ${funding.txid}:0 was already signed away`))]);
    });
  });
});
