/**
 * verifyWithdrawalForSigning against real descriptors and PSBTs (protocol/descriptor,
 * protocol/psbt). One honest withdrawal passes; every attack a hostile coordinator can mount
 * on it (DESIGN.md invariant 3) is refused with a reason that names it.
 */
import { deriveVaultScript } from '../descriptor';
import { signEnvelope } from '../envelope';
import { signVaultInputs, verifyPartialSignatures } from '../psbt';
import { fingerprintFromHex } from '../psbt/raw';
import { intentHash } from './intent-hash';
import { type SigningRecord } from './signing-journal';
import {
  ACCOUNT_PATH, ATTACKER, DESTINATION, NOW, WITHDRAWAL_ID, alice, bob, editPsbt, fixedRandom, funding, foreignVault,
  honestIntent, mallory, psbt, vault, verifyInput as input,
} from '../../test/support/withdrawal-fixture';
import { MAX_CHANGE_INDEX, verifyWithdrawalForSigning, type VerifyWithdrawalInput } from './verify-withdrawal';

function reasonsOf(args: VerifyWithdrawalInput): string[] {
  const result = verifyWithdrawalForSigning(args);
  if (result.ok) throw new Error('expected a refusal, but the withdrawal was accepted');
  return result.reasons;
}

describe('verifyWithdrawalForSigning', () => {
  test('accepts the honest withdrawal and summarizes it from the PSBT', () => {
    const result = verifyWithdrawalForSigning(input());
    if (!result.ok) throw new Error(result.reasons.join('\n'));
    expect(result.inputsToSign).toEqual([0]);
    expect(result.summary.destinations).toEqual([{ address: DESTINATION, amount: 400_000n }]);
    expect(result.summary.change).toEqual([{ address: deriveVaultScript(vault, 1, 0).address, amount: 99_000n, index: 0 }]);
    expect(result.summary.fee).toBe(1_000n);
    expect(result.summary.proposer.identityKey).toBe(alice.identityKey);
    expect(result.summary.inputs).toEqual([{ txid: funding.txid, vout: 0, amount: 500_000n, change: 0, index: 0 }]);
  });

  test('what it accepts, two keyholders can sign into partial signatures that verify', () => {
    const args = input();
    const result = verifyWithdrawalForSigning(args);
    if (!result.ok) throw new Error(result.reasons.join('\n'));
    const sigs = [alice, bob].flatMap((k) => signVaultInputs(args.withdrawal.psbt, k.account, { fingerprint: k.origin.fingerprint, path: ACCOUNT_PATH }, result.inputsToSign).partialSigs);
    expect(() => verifyPartialSignatures(args.withdrawal.psbt, sigs, {
      threshold: 2, fingerprints: vault.keys.map((k) => k.fingerprint), derive: (c, i) => deriveVaultScript(vault, c, i),
    })).not.toThrow();
  });

  describe('refuses a forged or altered proposal', () => {
    test('proposal signed by a key that is not a pinned keyholder', () => {
      expect(reasonsOf(input({ proposer: mallory.identitySecret }))).toEqual([expect.stringMatching(/^proposal: signed by .* not a keyholder/)]);
    });

    test('coordinator swaps the intent (more to the attacker) but keeps the original proposal', () => {
      const args = input();
      const swapped = honestIntent({ outputs: [{ address: ATTACKER, amount: '400000' }] });
      const reasons = reasonsOf({ ...args, withdrawal: { ...args.withdrawal, intent: swapped, intentHash: intentHash(swapped), psbt: psbt({ outputs: [{ address: ATTACKER, amount: 400_000n }] }) } });
      expect(reasons).toEqual([expect.stringMatching(/^proposal: the signed intent differs/)]);
    });

    test('proposal signature tampered with', () => {
      const args = input();
      const proposal = { ...(args.withdrawal.proposal as Record<string, string>) };
      proposal.sig = `${proposal.sig.slice(0, -2)}${proposal.sig.endsWith('00') ? '01' : '00'}`;
      expect(reasonsOf({ ...args, withdrawal: { ...args.withdrawal, proposal } })[0]).toMatch(/^proposal: .*does not verify/);
    });

    test('an envelope of another message type passed off as the proposal', () => {
      const args = input();
      const proposal = signEnvelope('vault.confirm', args.withdrawal.intent, alice.identitySecret, { now: NOW, randomBytes: fixedRandom });
      expect(reasonsOf({ ...args, withdrawal: { ...args.withdrawal, proposal } })[0]).toMatch(/^proposal: envelope.type/);
    });

    test('intent hash that is not the hash of the intent', () => {
      const args = input();
      // The approvals were for the real hash, so they no longer count either.
      expect(reasonsOf({ ...args, withdrawal: { ...args.withdrawal, intentHash: 'ab'.repeat(32) } })).toEqual([
        expect.stringMatching(/^intentHash: /), 'approvals[0]: approves another withdrawal or intent', 'approvals: 0 valid of the 1 the pinned policy requires',
      ]);
    });

    test('an intent that does not parse is refused, not thrown', () => {
      const args = input();
      const reasons = reasonsOf({ ...args, withdrawal: { ...args.withdrawal, intent: { ...honestIntent(), maxFee: 5000 } } });
      expect(reasons[0]).toMatch(/^intent\.maxFee: /);
    });
  });

  describe('refuses an intent that is not for this vault, network or time', () => {
    test('intent for another vault', () => {
      expect(reasonsOf(input({ intent: honestIntent({ vaultId: '11111111-2222-4333-8444-555555555555' }) }))).toEqual([expect.stringMatching(/^intent\.vaultId: /)]);
    });

    test('intent for another network', () => {
      expect(reasonsOf(input({ intent: honestIntent({ network: 'testnet' }) }))).toContainEqual(expect.stringMatching(/^intent\.network: testnet/));
    });

    test('expired intent', () => {
      expect(reasonsOf(input({ now: new Date('2026-03-02T12:00:00.001Z') }))).toEqual([expect.stringMatching(/^intent\.expiresAt: the intent expired/)]);
    });

    test('pinned descriptor of another network than the signer', () => {
      const args = input();
      expect(reasonsOf({ ...args, network: 'testnet' })).toContainEqual(expect.stringMatching(/^vault: the pinned descriptor is for regtest/));
    });
  });

  describe('refuses a PSBT that does not implement the intent exactly', () => {
    test('destination paid less than the intent says', () => {
      const reasons = reasonsOf(input({ psbt: psbt({ outputs: [{ address: DESTINATION, amount: 399_000n }], change: [{ change: 1, index: 0, amount: 100_000n }] }) }));
      expect(reasons).toContainEqual(expect.stringMatching(/^intent\.outputs\[0\]: the PSBT does not pay 400000 sat/));
      expect(reasons).toContainEqual(expect.stringMatching(/^psbt\/output\[0\]: pays 399000 sat .* neither in the intent nor change/));
    });

    test('destination replaced by the attacker\'s address', () => {
      const reasons = reasonsOf(input({ psbt: psbt({ outputs: [{ address: ATTACKER, amount: 400_000n }] }) }));
      expect(reasons).toEqual([
        expect.stringMatching(/^intent\.outputs\[0\]: the PSBT does not pay/),
        expect.stringMatching(new RegExp(`^psbt/output\\[0\\]: pays 400000 sat to ${ATTACKER}`)),
      ]);
    });

    test('an extra output to the attacker carved out of the change', () => {
      const reasons = reasonsOf(input({ psbt: psbt({ outputs: [{ address: DESTINATION, amount: 400_000n }, { address: ATTACKER, amount: 50_000n }], change: [{ change: 1, index: 0, amount: 49_000n }] }) }));
      expect(reasons).toEqual([expect.stringMatching(/^psbt\/output\[1\]: pays 50000 sat .* neither in the intent nor change/)]);
    });

    test('one PSBT output cannot stand for two identical intent outputs', () => {
      const intent = honestIntent({ outputs: [{ address: DESTINATION, amount: '200000' }, { address: DESTINATION, amount: '200000' }] });
      const reasons = reasonsOf(input({ intent, psbt: psbt({ outputs: [{ address: DESTINATION, amount: 200_000n }], change: [{ change: 1, index: 0, amount: 299_000n }] }) }));
      expect(reasons).toEqual([expect.stringMatching(/^intent\.outputs\[1\]: the PSBT does not pay 200000 sat/)]);
    });

    test('"change" to an address of a look-alike descriptor with one key swapped', () => {
      const reasons = reasonsOf(input({ psbt: psbt({ change: [{ change: 1, index: 0, amount: 99_000n, descriptor: foreignVault }] }) }));
      expect(reasons).toEqual([expect.stringMatching(/^psbt\/output\[1\]: .* neither in the intent nor change of this vault/)]);
    });

    test('change to a receive address of the vault', () => {
      expect(reasonsOf(input({ psbt: psbt({ change: [{ change: 0, index: 5, amount: 99_000n }] }) })))
        .toEqual([expect.stringMatching(/^psbt\/output\[1\]: .* a receive address of the vault/)]);
    });

    test('change at an index no wallet would scan', () => {
      expect(reasonsOf(input({ psbt: psbt({ change: [{ change: 1, index: MAX_CHANGE_INDEX + 1, amount: 99_000n }] }) })))
        .toEqual([expect.stringMatching(/^psbt\/output\[1\]: change at index 100001/)]);
    });

    test('change split over two outputs', () => {
      const second = deriveVaultScript(vault, 1, 1);
      const split = editPsbt(psbt({ change: [{ change: 1, index: 0, amount: 49_000n }, { change: 1, index: 1, amount: 50_000n }] }), (raw) => {
        // Output 1 is the second change output; give it the fields that let it be recognized as the vault's.
        raw.outputs[1] = {
          witnessScript: second.witnessScript,
          bip32Derivation: second.keys.map((k) => [k.pubkey, { fingerprint: fingerprintFromHex(k.fingerprint), path: k.path }]),
        };
      });
      expect(reasonsOf(input({ psbt: split }))).toEqual([expect.stringMatching(/^psbt: 2 change outputs/)]);
    });
  });

  describe('refuses inputs that are not provably the vault\'s', () => {
    test('a coin of another descriptor', () => {
      expect(reasonsOf(input({ psbt: psbt({ foreignInput: true }) }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: .* is not a coin of this vault/)]);
    });

    test('an input without its full previous transaction', () => {
      const stripped = editPsbt(psbt(), (raw) => {
        delete raw.inputs[0].nonWitnessUtxo;
      });
      expect(reasonsOf(input({ psbt: stripped }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: no full previous transaction/)]);
    });

    test('an input without its witness_utxo', () => {
      const stripped = editPsbt(psbt(), (raw) => {
        delete raw.inputs[0].witnessUtxo;
      });
      expect(reasonsOf(input({ psbt: stripped }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: no witness_utxo/)]);
    });

    test('an input that asks for SIGHASH_NONE', () => {
      const none = editPsbt(psbt(), (raw) => {
        raw.inputs[0].sighashType = 0x02;
      });
      expect(reasonsOf(input({ psbt: none }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: asks for sighash type\(s\) 2/)]);
    });

    test('a relative timelock in the sequence', () => {
      expect(reasonsOf(input({ psbt: psbt({ sequence: 144 }) }))).toEqual([expect.stringMatching(/^psbt\/input\[0\]: sequence 0x90 sets a relative timelock/)]);
    });

    test('a locktime that is a timestamp', () => {
      expect(reasonsOf(input({ psbt: psbt({ locktime: 1_900_000_000 }) }))).toEqual([expect.stringMatching(/^psbt: locktime 1900000000 is a timestamp/)]);
    });

    test('bytes that are no PSBT are refused, not thrown', () => {
      expect(reasonsOf(input({ psbt: 'cHNidP8AAAA=' }))[0]).toMatch(/^psbt: /);
    });
  });

  describe('refuses fees above the intent\'s caps', () => {
    test('fee above maxFee', () => {
      expect(reasonsOf(input({ intent: honestIntent({ maxFee: '999' }) }))).toEqual([expect.stringMatching(/^fee: 1000 sat exceeds the intent's cap of 999 sat/)]);
    });

    test('fee rate above the intent\'s rate plus 5%', () => {
      const reasons = reasonsOf(input({ psbt: psbt({ change: [{ change: 1, index: 0, amount: 95_000n }] }) }));
      expect(reasons).toEqual([expect.stringMatching(/^fee: 5000 sat for about \d+ vB is .* above the intent's 6 sat\/vB \(\+5%\)/)]);
    });

    test('the 5% slack accepts a rate just above the intent\'s, and not more', () => {
      const { summary } = verifyWithdrawalForSigning(input()) as { summary: { vsize: number } };
      const rateFor = (fee: number) => (fee / summary.vsize).toFixed(3);
      // Fee 1,000 sat: accepted at an intent rate 4% lower than the real one, refused at 6% lower.
      expect(verifyWithdrawalForSigning(input({ intent: honestIntent({ feeRate: rateFor(1000 / 1.04) }) })).ok).toBe(true);
      expect(verifyWithdrawalForSigning(input({ intent: honestIntent({ feeRate: rateFor(1000 / 1.06) }) })).ok).toBe(false);
    });
  });

  describe('refuses what the journal says was signed before', () => {
    const honest = input();
    const verdict = verifyWithdrawalForSigning(honest);
    if (!verdict.ok) throw new Error(verdict.reasons.join('\n'));
    const record: SigningRecord = {
      withdrawalId: WITHDRAWAL_ID, intentHash: honest.withdrawal.intentHash, unsignedTxid: verdict.summary.unsignedTxid, inputs: [`${funding.txid}:0`],
    };

    test('the same record again (resuming after a crash) is no reason to refuse', () => {
      expect(verifyWithdrawalForSigning(input({ journal: [record] })).ok).toBe(true);
    });

    test('the same intent under a second withdrawal', () => {
      expect(reasonsOf(input({ journal: [{ ...record, withdrawalId: '99999999-8888-4777-8666-555555555555' }] })))
        .toEqual([expect.stringMatching(/^journal: this intent was already signed for withdrawal 9999/)]);
    });

    test('a second transaction for the same intent', () => {
      expect(reasonsOf(input({ journal: [{ ...record, unsignedTxid: 'cd'.repeat(32), inputs: [`${funding.txid}:1`] }] })))
        .toEqual([expect.stringMatching(/^journal: transaction cdcd.* was already signed for this intent/)]);
    });

    test('a coin already signed away for another intent', () => {
      expect(reasonsOf(input({ journal: [{ ...record, withdrawalId: '99999999-8888-4777-8666-555555555555', intentHash: 'ef'.repeat(32) }] })))
        .toEqual([expect.stringMatching(new RegExp(`^journal: coin ${funding.txid}:0 was already signed away`))]);
    });

    test('another intent for a withdrawal already signed', () => {
      expect(reasonsOf(input({ journal: [{ ...record, intentHash: 'ef'.repeat(32), inputs: [`${funding.txid}:1`] }] })))
        .toEqual([expect.stringMatching(/^journal: withdrawal .* was already signed for another intent/)]);
    });
  });

  test('lists every reason, not just the first', () => {
    const reasons = reasonsOf(input({
      proposer: mallory.identitySecret,
      intent: honestIntent({ maxFee: '10' }),
      psbt: psbt({ outputs: [{ address: ATTACKER, amount: 400_000n }], locktime: 1_900_000_000 }),
      now: new Date('2027-01-01T00:00:00Z'),
    }));
    expect(reasons).toEqual(expect.arrayContaining([
      expect.stringMatching(/^proposal: signed by/),
      expect.stringMatching(/^intent\.expiresAt/),
      expect.stringMatching(/^intent\.outputs\[0\]/),
      expect.stringMatching(/^psbt\/output\[0\]/),
      expect.stringMatching(/^psbt: locktime/),
      expect.stringMatching(/^fee: 1000 sat exceeds/),
    ]));
  });

});
