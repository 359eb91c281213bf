/**
 * Rolling velocity limits, counted over what this signer itself signed (its journal): exactly
 * at the cap is accepted, one sat over is refused; the window's edges; many small withdrawals
 * refused at the one that crosses the cap; fee bumps and repeated signatures counted once.
 */
import fc from 'fast-check';
import { evaluateWithdrawal } from './evaluate-withdrawal';
import { paymentsHash } from '../intent/intent-hash';
import { policyRulesHash } from './rules';
import { type PaidOutRecord, checkVelocity, paidOutRecord } from './velocity';
import {
  BTC, DAY, HOUR, NOW, PAYEE, POLICY, SECOND, VAULT_ID, WITHDRAWAL_ID, approval, at, cy, intent, record, refusal, withdrawal,
} from './test-fixture';

const CAP = 12n * BTC;

function paying(amount: bigint, journal: PaidOutRecord[], extra: Parameters<typeof withdrawal>[0] = {}) {
  const of = intent({ pay: [[PAYEE, amount]] });
  return withdrawal({ intent: of, approvals: [approval(of, cy)], journal, ...extra });
}

describe('the cap', () => {
  test('exactly at the cap is accepted; one sat over is refused, with the numbers', () => {
    const journal = [record(CAP - BTC, at(-HOUR))];
    expect(evaluateWithdrawal(paying(BTC, journal))).toMatchObject({ ok: true, velocity: [{ windowSeconds: 86400, capSats: CAP, earlierSats: CAP - BTC, totalSats: CAP }] });
    expect(refusal(paying(BTC + 1n, journal))).toEqual([
      'approvals (tier "large"): 1 of the 2 needed from approvers (2 from approvers + 1 from admins, by distinct members)',
      'approvals (tier "large"): 0 of the 1 needed from admins (2 from approvers + 1 from admins, by distinct members)',
      expect.stringMatching(/^delay: /),
      `velocity: ${CAP - BTC} sat signed in the last 1 d plus this withdrawal's ${BTC + 1n} sat is ${CAP + 1n} sat, over the cap of ${CAP} sat by 1 sat`,
    ]);
    expect(refusal(paying(1n, [record(CAP, at(-HOUR))]))).toEqual([
      `velocity: ${CAP} sat signed in the last 1 d plus this withdrawal's 1 sat is ${CAP + 1n} sat, over the cap of ${CAP} sat by 1 sat`,
    ]);
  });
});

describe('the window', () => {
  test('a signature exactly one window ago no longer counts; one second later it does', () => {
    expect(refusal(paying(BTC, [record(CAP, at(-DAY))]))).toEqual([]);
    expect(refusal(paying(BTC, [record(CAP, at(-DAY + SECOND))]))[0]).toMatch(/^velocity: /);
  });

  test('a signature dated after now (the clock went back) still counts', () => {
    expect(refusal(paying(BTC, [record(CAP, at(HOUR))]))[0]).toMatch(/^velocity: /);
  });

  test('every window is checked: a 7-day cap holds when the 24-hour one does', () => {
    const policy = { ...POLICY, withdrawals: { ...POLICY.withdrawals, velocity: [...POLICY.withdrawals.velocity, { windowSeconds: 7 * 86400, capSats: (20n * BTC).toString() }] } };
    const journal = [record(10n * BTC, at(-3 * DAY)), record(10n * BTC, at(-2 * DAY))];
    const of = intent({ pay: [[PAYEE, BTC]], policyHash: policyRulesHash(policy) });
    expect(refusal(withdrawal({ policy, intent: of, approvals: [approval(of, cy)], journal }))).toEqual([
      `velocity: ${20n * BTC} sat signed in the last 7 d plus this withdrawal's ${BTC} sat is ${21n * BTC} sat, over the cap of ${20n * BTC} sat by ${BTC} sat`,
    ]);
  });
});

describe('what counts', () => {
  test("many small withdrawals that together exceed the limit are refused at the one that crosses", () => {
    const journal: PaidOutRecord[] = [];
    const outcomes: boolean[] = [];
    for (let i = 0; i < 20; i += 1) {
      const now = at(i * 10 * 60 * SECOND);
      const of = intent({ pay: [[PAYEE, 9n * BTC / 10n]], requestId: `small-${i}` });
      const withdrawalId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const result = evaluateWithdrawal(withdrawal({ intent: of, withdrawalId, approvals: [approval(of, cy, { withdrawalId })], journal, now }));
      outcomes.push(result.ok);
      if (result.ok) journal.push(result.journalRecord);
    }
    // 13 x 0.9 BTC = 11.7 BTC fits under 12 BTC; the 14th would make 12.6.
    expect(outcomes.indexOf(false)).toBe(13);
    expect(outcomes.slice(13).every((ok) => !ok)).toBe(true);
  });

  test("the coordinator's claims do not matter: only the journal passed in counts, per vault", () => {
    const otherVault = record(CAP, at(-HOUR), { vaultId: '11111111-2222-4333-8444-555555555555' });
    expect(refusal(paying(BTC, [otherVault]))).toEqual([]);
  });

  test('a fee bump or a second signature of the same payments counts once', () => {
    const of = intent({ pay: [[PAYEE, BTC]] });
    const signed = paidOutRecord(of, WITHDRAWAL_ID, at(-HOUR));
    const twice = [signed, { ...signed, signedAt: at(-HOUR / 2).toISOString() }, record(CAP - 2n * BTC, at(-HOUR))];
    // Earlier signatures of this very withdrawal are replaced by it, not added: 10 + 1 = 11 BTC.
    expect(evaluateWithdrawal(withdrawal({ intent: of, approvals: [approval(of, cy)], journal: twice }))).toMatchObject({ ok: true, velocity: [{ totalSats: CAP - BTC }] });
    // Another withdrawal reusing its id with other payments counts in full.
    const other = paidOutRecord(intent({ pay: [[PAYEE, BTC + 5n]] }), WITHDRAWAL_ID, at(-HOUR));
    expect(checkVelocity({ limits: POLICY.withdrawals.velocity, vaultId: VAULT_ID, withdrawalId: WITHDRAWAL_ID, paymentsHash: paymentsHash(of), amount: BTC, journal: [other], now: NOW }).uses[0]!.totalSats)
      .toBe(2n * BTC + 5n);
  });

  test('a journal record that does not parse is a reason, never skipped', () => {
    expect(refusal(paying(BTC / 10n, [{ ...record(BTC, at(-HOUR)), amountSats: '-5' }]))).toEqual([
      'journal[0]: amount "-5" is not a sat amount, so the velocity limit cannot be checked',
    ]);
    expect(refusal(paying(BTC / 10n, [{ ...record(BTC, at(-HOUR)), signedAt: 'yesterday' }]))).toEqual([
      'journal[0]: signedAt "yesterday" is not a time, so the velocity limit cannot be checked',
    ]);
  });
});

describe('property: a signer that records what it signs never exceeds the cap in any window', () => {
  test('over random amounts and times', () => {
    const cap = 1_000_000n;
    const window = 3600;
    const limits = [{ windowSeconds: window, capSats: cap.toString() }];
    const request = fc.record({ gap: fc.integer({ min: 0, max: 2 * window }), amount: fc.bigInt({ min: 1n, max: 600_000n }) });
    fc.assert(fc.property(fc.array(request, { minLength: 1, maxLength: 40 }), (requests) => {
      const journal: PaidOutRecord[] = [];
      let time = NOW.getTime();
      requests.forEach(({ gap, amount }, i) => {
        time += gap * 1000;
        const now = new Date(time);
        const check = checkVelocity({ limits, vaultId: VAULT_ID, withdrawalId: `w${i}`, paymentsHash: `p${i}`, amount, journal, now });
        if (check.reasons.length === 0) {
          journal.push({ vaultId: VAULT_ID, withdrawalId: `w${i}`, paymentsHash: `p${i}`, signedAt: now.toISOString(), amountSats: amount.toString(), destinations: [] });
        }
      });
      // Every window of the rule's length, ending at any signature, holds at most the cap.
      for (const end of journal) {
        const until = Date.parse(end.signedAt);
        const sum = journal.filter((r) => Date.parse(r.signedAt) > until - window * 1000 && Date.parse(r.signedAt) <= until).reduce((s, r) => s + BigInt(r.amountSats), 0n);
        expect(sum <= cap).toBe(true);
      }
    }), { numRuns: 300 });
  });
});
