/**
 * The policy verdict on a withdrawal: tiers with approvals by group and delays, the proposer
 * who never approves, the pinned rule set, fee caps. A coordinator that forges, replays or
 * miscounts approvals, or presents an older policy, is refused, and every reason is listed.
 */
import { MESSAGE_TYPES } from '../api';
import { evaluateWithdrawal } from './evaluate-withdrawal';
import { policyRulesHash } from './rules';
import {
  BTC, HOUR, NOW, PAYEE, POLICY, SECOND, SUPPLIER, VAULT_ID, WITHDRAWAL_ID, address, ada, approval, at, aud, ben, cat, cy, dee, intent, refusal, sign,
  withdrawal, zed,
} from './test-fixture';

describe('amount tiers', () => {
  test('a small withdrawal with one approver is accepted, and says which tier and who approved', () => {
    const result = evaluateWithdrawal(withdrawal());
    expect(result).toMatchObject({ ok: true, amount: BTC / 2n, requiredApprovals: 1, tier: { index: 0, name: 'small' } });
    expect(result.ok && result.approvers).toEqual([{ identityKey: cy.key, group: 'approvers' }]);
    expect(result.ok && result.journalRecord).toMatchObject({ vaultId: VAULT_ID, withdrawalId: WITHDRAWAL_ID, amountSats: (BTC / 2n).toString(), signedAt: NOW.toISOString() });
  });

  test('junk approvals appended beside the approvals needed do not block signing', () => {
    const base = withdrawal();
    const junk = [approval(base.intent, zed), { not: 'an envelope' }];
    expect(evaluateWithdrawal({ ...base, approvals: [...junk, ...base.approvals] })).toMatchObject({ ok: true, tier: { name: 'small' } });
  });

  test('exactly at the tier bound (1 BTC) is still the small tier; one sat more is the large one', () => {
    expect(evaluateWithdrawal(withdrawal({ intent: intent({ pay: [[PAYEE, BTC]] }) }))).toMatchObject({ ok: true, tier: { name: 'small' } });
    const large = intent({ pay: [[PAYEE, BTC + 1n]] });
    expect(refusal(withdrawal({ intent: large, approvals: [approval(large, cy)] }))).toEqual([
      'approvals (tier "large"): 1 of the 2 needed from approvers (2 from approvers + 1 from admins, by distinct members)',
      'approvals (tier "large"): 0 of the 1 needed from admins (2 from approvers + 1 from admins, by distinct members)',
      expect.stringMatching(/^delay: tier "large" waits 1 d after the proposal; signable at .* \(23 h left\)$/),
    ]);
  });

  test('the tier counts the total of all outputs', () => {
    const split = intent({ pay: [[PAYEE, BTC / 2n], [SUPPLIER, BTC / 2n + 1n]] });
    expect(refusal(withdrawal({ intent: split, approvals: [approval(split, cy)] }))).toContainEqual(expect.stringMatching(/^approvals \(tier "large"\)/));
  });

  test('a large withdrawal needs 2 approvers and 1 admin, distinct people, and its delay', () => {
    const large = intent({ pay: [[PAYEE, 5n * BTC]] });
    const approvals = [approval(large, cy), approval(large, dee), approval(large, ben)];
    const proposalTime = at(-24 * HOUR);
    expect(evaluateWithdrawal(withdrawal({ intent: large, approvals, proposalTime }))).toMatchObject({ ok: true, requiredApprovals: 3, tier: { name: 'large' } });
    // Ada is admin and approver, but one person takes one seat: two people leave one seat empty.
    const twoPeople = [approval(large, ada), approval(large, cy)];
    expect(refusal(withdrawal({ intent: large, approvals: twoPeople, proposalTime }))).toEqual([
      'approvals (tier "large"): 0 of the 1 needed from admins (2 from approvers + 1 from admins, by distinct members)',
    ]);
  });

  test('seating is a matching: an admin-approver is seated where needed, whatever the order', () => {
    const large = intent({ pay: [[PAYEE, 5n * BTC]] });
    const proposalTime = at(-24 * HOUR);
    // Ada first could take an approver seat, leaving no admin; the matching moves her.
    const approvals = [approval(large, ada), approval(large, cy), approval(large, dee)];
    expect(evaluateWithdrawal(withdrawal({ intent: large, approvals, proposalTime }))).toMatchObject({ ok: true });
  });

  test('an approver in none of the needed groups is named', () => {
    expect(refusal(withdrawal({ approvals: [approval(intent(), aud)] }))).toEqual([
      'approvals (tier "small"): 0 of the 1 needed from approvers (1 from approvers, by distinct members)',
      'approvals[0]: Aud (auditors) is in no group with an open seat of 1 from approvers',
    ]);
  });

  test('above the highest tier nothing is signed', () => {
    const huge = intent({ pay: [[PAYEE, 10n * BTC + 1n]] });
    expect(refusal(withdrawal({ intent: huge, approvals: [] }))).toContain(
      `amount: ${10n * BTC + 1n} sat is above the highest tier "large" (up to ${10n * BTC} sat); no withdrawal this large is allowed`,
    );
  });
});

describe('delay for large withdrawals, from the signed proposal time', () => {
  const large = intent({ pay: [[PAYEE, 2n * BTC]] });
  const approvals = [approval(large, cy), approval(large, dee), approval(large, ben)];

  test('one second before the delay is over: refused with the time left', () => {
    expect(refusal(withdrawal({ intent: large, approvals, proposalTime: at(-24 * HOUR + SECOND) }))).toEqual([
      `delay: tier "large" waits 1 d after the proposal; signable at ${at(SECOND).toISOString()} (1 s left)`,
    ]);
  });

  test('exactly when the delay is over: accepted', () => {
    expect(evaluateWithdrawal(withdrawal({ intent: large, approvals, proposalTime: at(-24 * HOUR) }))).toMatchObject({ ok: true, signableFrom: NOW });
  });

  test('an approver may approve during the delay (purpose approve)', () => {
    expect(evaluateWithdrawal(withdrawal({ intent: large, approvals: [], proposalTime: NOW, purpose: 'approve' })).ok).toBe(true);
  });

  test('a proposal dated in the future is refused', () => {
    expect(refusal(withdrawal({ proposalTime: at(HOUR) }))).toContainEqual(expect.stringMatching(/^proposal: signed at .*, in the future/));
  });
});

describe('the initiator never approves, and only valid approvals by members count', () => {
  const of = intent();

  test("the initiator's own approval does not count", () => {
    expect(refusal(withdrawal({ proposer: cy.key, approvals: [approval(of, cy)] }))).toEqual([
      'approvals[0]: by the proposer, whose approval never counts',
      'approvals (tier "small"): 0 of the 1 needed from approvers (1 from approvers, by distinct members)',
    ]);
  });

  test('two approvals by one person count once', () => {
    const large = intent({ pay: [[PAYEE, 2n * BTC]] });
    const reasons = refusal(withdrawal({ intent: large, approvals: [approval(large, cy), approval(large, cy), approval(large, ben)], proposalTime: at(-HOUR * 24) }));
    expect(reasons[0]).toMatch(/^approvals\[1\]: a second approval by /);
    expect(reasons[1]).toMatch(/^approvals \(tier "large"\): 1 of the 2 needed from approvers/);
  });

  test('an approval by a key outside the pinned members does not count', () => {
    expect(refusal(withdrawal({ approvals: [approval(of, zed)] }))[0]).toMatch(/^approvals\[0\]: by .*, who is not a pinned member$/);
  });

  test('a forged approval (body altered after signing) does not count', () => {
    const forged = { ...approval(of, cy), body: { withdrawalId: '11111111-2222-4333-8444-555555555555', vaultId: of.vaultId, intentHash: 'ef'.repeat(32) } };
    expect(refusal(withdrawal({ approvals: [forged] }))[0]).toMatch(/^approvals\[0\]: envelope\.sig: signature by .* does not verify/);
  });

  test('an approval of another withdrawal or intent, replayed, does not count', () => {
    expect(refusal(withdrawal({ approvals: [approval(of, cy, { withdrawalId: '11111111-2222-4333-8444-555555555555' })] }))[0])
      .toBe('approvals[0]: approves another withdrawal or intent');
    expect(refusal(withdrawal({ approvals: [approval(intent({ requestId: 'other' }), cy)] }))[0]).toBe('approvals[0]: approves another withdrawal or intent');
  });

  test('an envelope of another type does not count as an approval', () => {
    expect(refusal(withdrawal({ approvals: [sign(MESSAGE_TYPES.withdrawalPropose, of, cy)] }))[0]).toMatch(/^approvals\[0\]: envelope\.type/);
  });

  test('a proposer outside the proposing groups, or outside the members, is refused', () => {
    expect(refusal(withdrawal({ proposer: aud.key }))).toEqual(['proposer: Aud is in none of the proposing groups (initiators, keyholders)']);
    expect(refusal(withdrawal({ proposer: zed.key }))[0]).toMatch(/^proposer: .* is not a pinned member$/);
  });
});

describe('the pinned rule set', () => {
  test('an intent under an older policy version is refused', () => {
    const old = { ...POLICY, version: 1, maxFeeSats: '5000000' };
    const current = { ...POLICY, version: 2 };
    const of = intent({ policyHash: policyRulesHash(old) });
    expect(refusal(withdrawal({ policy: current, intent: of, approvals: [approval(of, cy)] }))).toEqual([
      `intent.policyHash: ${policyRulesHash(old)} is not the pinned rule set ${policyRulesHash(current)} (version 2); an older or another policy is never applied`,
    ]);
  });

  test('an intent for another vault or network is refused', () => {
    const of = intent({ vaultId: '11111111-2222-4333-8444-555555555555', network: 'testnet' });
    const reasons = refusal(withdrawal({ intent: of, approvals: [approval(of, cy)] }));
    expect(reasons.slice(0, 2)).toEqual([
      'intent.vaultId: 11111111-2222-4333-8444-555555555555 is not the pinned vault 6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f',
      'intent.network: testnet, but the vault is on regtest',
    ]);
  });
});

describe('fee caps', () => {
  test("the intent's caps at the policy's are accepted; one sat or one msat/vB over is refused", () => {
    expect(refusal(withdrawal({ intent: intent({ maxFee: '1000000', feeRate: '100' }) }))).toEqual([]);
    const over = intent({ maxFee: '1000001', feeRate: '100.001' });
    expect(refusal(withdrawal({ intent: over, approvals: [approval(over, cy)] }))).toEqual([
      "fee: the intent's cap of 1000001 sat is above the policy's 1000000 sat",
      "fee: the intent's rate of 100.001 sat/vB is above the policy's 100 sat/vB",
    ]);
  });

  test('the actual fee, when given, is held to the caps too', () => {
    expect(refusal(withdrawal({ fee: { sats: 20_000n, vsize: 200 } }))).toEqual([]);
    expect(refusal(withdrawal({ fee: { sats: 20_001n, vsize: 200 } }))).toEqual(['fee: 20001 sat for about 200 vB is above the policy\'s 100 sat/vB']);
    expect(refusal(withdrawal({ fee: { sats: 1_000_001n, vsize: 100_000 } }))).toEqual(["fee: 1000001 sat is above the policy's cap of 1000000 sat"]);
  });
});

test('a refusal lists every reason at once', () => {
  const bad = intent({ pay: [[address(60), 3n * BTC]], maxFee: '2000000', policyHash: 'ee'.repeat(32) });
  const reasons = refusal(withdrawal({ intent: bad, proposer: aud.key, approvals: [approval(bad, aud)], proposalTime: NOW }));
  expect(reasons.map((r) => r.split(':')[0])).toEqual([
    'intent.policyHash', 'proposer', 'approvals[0]', 'approvals (tier "large")', 'approvals (tier "large")', 'delay', 'intent.outputs[0]', 'fee',
  ]);
});

test('a keyholder may propose too (proposing groups), and is then not an approver', () => {
  expect(refusal(withdrawal({ approvals: [approval(intent(), dee)], proposer: cat.key }))).toEqual([]);
});
