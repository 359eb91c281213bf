/**
 * Fee bumping as the signer sees it (issue 3, point 3; DESIGN.md, withdrawal lifecycle): a
 * second intent for a withdrawal it already signed is signed only as an explicit replacement
 * of the intent it signed last, spending the same coins, paying the same outputs, at a higher
 * fee. Everything else stays refused by the journal.
 */
import { intentHash, paymentsHash } from './intent-hash';
import { journalConflicts, type SigningRecord } from './signing-journal';
import { verifyWithdrawalForSigning } from './verify-withdrawal';
import { signEnvelope } from '../envelope';
import { ATTACKER, NOW, WITHDRAWAL_ID, alice, approval, fixedRandom, funding, honestIntent, psbt, verifyInput } from '../../test/support/withdrawal-fixture';

const COIN_A = `${funding.txid}:0`;
const OTHER_WITHDRAWAL = '9c0f6b2d-8e3a-4f4b-9cad-2e3f4a5b6c7d';

/** The journal entry a signer writes when it signs `intent` with the fixture's PSBT shape. */
function signedRecord(intent = honestIntent(), changeAmount = 99_000n): SigningRecord {
  const verdict = verifyWithdrawalForSigning(verifyInput({ intent, psbt: psbt({ change: [{ change: 1, index: 0, amount: changeAmount }] }), approvals: [approval(intent)] }));
  if (!verdict.ok) throw new Error(verdict.reasons.join('; '));
  return {
    withdrawalId: WITHDRAWAL_ID, intentHash: intentHash(intent), unsignedTxid: verdict.summary.unsignedTxid, inputs: [COIN_A],
    fee: verdict.summary.fee.toString(), paymentsHash: paymentsHash(intent),
  };
}

function verifyBump(intent: ReturnType<typeof honestIntent>, changeAmount: bigint, journal: SigningRecord[]) {
  return verifyWithdrawalForSigning(verifyInput({
    intent, psbt: psbt({ change: [{ change: 1, index: 0, amount: changeAmount }] }), approvals: [approval(intent)], journal,
  }));
}

describe('fee bump (RBF) in the signer\'s journal', () => {
  const original = honestIntent();
  const first = signedRecord(original);
  const bump = honestIntent({ feeRate: '16', replaces: intentHash(original) });

  test('an approved replacement of the intent signed last, same coins and outputs, higher fee, is signed', () => {
    const verdict = verifyBump(bump, 97_000n, [first]);
    expect(verdict).toMatchObject({ ok: true, summary: { fee: 3000n } });
  });

  test('the same transaction without `replaces` is refused as a second intent for the withdrawal', () => {
    const verdict = verifyBump(honestIntent({ feeRate: '16' }), 97_000n, [first]);
    expect(verdict).toMatchObject({ ok: false, reasons: expect.arrayContaining([expect.stringMatching(/already signed for another intent/)]) });
  });

  test('a replacement that does not pay more, or pays other outputs, is refused', () => {
    expect(verifyBump(bump, 99_000n, [first])).toMatchObject({ ok: false, reasons: expect.arrayContaining([expect.stringMatching(/fee 1000 sats is not above the replaced transaction's 1000/)]) });
    const elsewhere = honestIntent({ feeRate: '16', replaces: intentHash(original), outputs: [{ address: ATTACKER, amount: '400000' }] });
    const verdict = verifyWithdrawalForSigning(verifyInput({
      intent: elsewhere, psbt: psbt({ outputs: [{ address: ATTACKER, amount: 400_000n }], change: [{ change: 1, index: 0, amount: 97_000n }] }),
      approvals: [approval(elsewhere)], journal: [first],
    }));
    expect(verdict).toMatchObject({ ok: false, reasons: expect.arrayContaining(['fee bump: pays other outputs than the intent it replaces']) });
  });

  test('a replacement of an intent that is not the one signed last is refused, and so is the old intent after a bump', () => {
    const second = { ...signedRecord(bump, 97_000n) };
    const bumpOfFirst = honestIntent({ feeRate: '27', replaces: intentHash(original) });
    expect(verifyBump(bumpOfFirst, 95_000n, [first, second])).toMatchObject({ ok: false, reasons: expect.arrayContaining([expect.stringMatching(/the intent this signer signed last .* is [0-9a-f]{64}/)]) });
    const bumpOfSecond = honestIntent({ feeRate: '27', replaces: intentHash(bump) });
    expect(verifyBump(bumpOfSecond, 95_000n, [first, second])).toMatchObject({ ok: true });
    // Going back to the original intent after its replacement was signed: both could confirm? No,
    // they conflict, but the signer keeps to one transaction per intent chain.
    expect(verifyBump(original, 99_000n, [first, second])).toMatchObject({ ok: false });
  });

  test('a replacement that spends other coins is refused, and coins of another withdrawal stay refused', () => {
    const candidate = { withdrawalId: WITHDRAWAL_ID, intentHash: 'cd'.repeat(32), unsignedTxid: 'ef'.repeat(32), fee: '3000', paymentsHash: first.paymentsHash!, replaces: first.intentHash };
    expect(journalConflicts({ ...candidate, inputs: [COIN_A, `${'aa'.repeat(32)}:1`] }, [first])).toEqual(expect.arrayContaining([
      expect.stringMatching(/must spend exactly the coins/), expect.stringMatching(/already signed for another intent/),
    ]));
    const otherWithdrawal: SigningRecord = { ...first, withdrawalId: OTHER_WITHDRAWAL, intentHash: '12'.repeat(32) };
    expect(journalConflicts({ ...candidate, inputs: [COIN_A] }, [first, otherWithdrawal])).toEqual([expect.stringMatching(/coin .* was already signed away for withdrawal 9c0f6b2d/)]);
  });

  test('a journal entry from before fee bumping (no fee recorded) cannot be replaced', () => {
    const legacy: SigningRecord = { withdrawalId: first.withdrawalId, intentHash: first.intentHash, unsignedTxid: first.unsignedTxid, inputs: first.inputs };
    expect(verifyBump(bump, 97_000n, [legacy])).toMatchObject({ ok: false, reasons: expect.arrayContaining([expect.stringMatching(/predates fee bumping/)]) });
  });

  test('a replacement intent must come as a signed withdrawal.bump, not a plain proposal', () => {
    const input = verifyInput({ intent: bump, psbt: psbt({ change: [{ change: 1, index: 0, amount: 97_000n }] }), approvals: [approval(bump)], journal: [first] });
    const asProposal = { ...input, withdrawal: { ...input.withdrawal, proposal: signEnvelope('withdrawal.propose', bump, alice.identitySecret, { now: NOW, randomBytes: fixedRandom }) } };
    expect(verifyWithdrawalForSigning(asProposal)).toMatchObject({ ok: false, reasons: expect.arrayContaining([expect.stringMatching(/ENVELOPE_WRONG_TYPE|expected "withdrawal.bump"/)]) });
  });

  test('a replacement may carry another locktime (the tip when it was rebuilt); the same intent with another locktime may not', () => {
    const rebuilt = (intent: ReturnType<typeof honestIntent>, changeAmount: bigint, locktime: number) => verifyWithdrawalForSigning(verifyInput({
      intent, psbt: psbt({ change: [{ change: 1, index: 0, amount: changeAmount }], locktime }), approvals: [approval(intent)], journal: [first],
    }));
    expect(rebuilt(bump, 97_000n, 812)).toMatchObject({ ok: true, summary: { locktime: 812 } });
    // The very intent signed at locktime 0, again at another locktime: a second transaction for one intent.
    expect(rebuilt(original, 99_000n, 812)).toMatchObject({ ok: false, reasons: [expect.stringMatching(/already signed for this intent; a second transaction could pay twice/)] });
  });

  test('a bump of a withdrawal this signer never signed is a first signature for it', () => {
    expect(verifyBump(bump, 97_000n, [])).toMatchObject({ ok: true });
  });
});
