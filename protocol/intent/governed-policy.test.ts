/**
 * A vault pinned with a governed policy (version 2), through the signer's whole decision
 * (verifyWithdrawalForSigning): tiers with approvals by group, the proposer never counted,
 * delays from the signed proposal time, the address book by the signer's own clock and
 * journal, velocity over the journal, and the pinned rule set only. Real PSBTs and signatures.
 */
import { policyRulesHash } from '../policy-engine';
import {
  DAY, DESTINATION, HOUR, RULES, ada, approve, at, ben, bob, bookEntry, carol, governedInput, governedIntent, governedPolicy,
  ian, reasonsOf, signed, verifyGoverned, zed,
} from '../../test/support/governed-withdrawal-fixture';
import { ATTACKER } from '../../test/support/withdrawal-fixture';
import { verifyWithdrawalForSigning } from './verify-withdrawal';

const large = governedIntent('large');

describe('a governed policy, as a signer enforces it before signing', () => {
  test('an honest small withdrawal passes, with the engine\'s verdict and what to journal', () => {
    const result = verifyGoverned();
    expect(reasonsOf(result)).toEqual([]);
    if (!result.ok) return;
    expect(result.governed).toMatchObject({ amount: 200_000n, tier: { name: 'small' }, requiredApprovals: 1, approvers: [{ identityKey: bob.identityKey, group: 'approvers' }] });
    expect(result.journalRecord).toMatchObject({ vaultId: governedIntent().vaultId, amountSats: '200000', destinations: [DESTINATION] });
  });

  describe('tiers set the approvals by group', () => {
    test('a large withdrawal needs an admin besides the approver', () => {
      expect(reasonsOf(verifyGoverned({ amount: 'large', approvals: [approve(large, bob)], now: at(2 * DAY) }))).toEqual([
        expect.stringMatching(/^approvals \(tier "large"\): 0 of the 1 needed from admins/),
      ]);
    });

    test('an approver and an admin fill the large tier', () => {
      const result = verifyGoverned({ amount: 'large', approvals: [approve(large, bob), approve(large, ben)], now: at(2 * DAY) });
      expect(reasonsOf(result)).toEqual([]);
      expect(result.ok && result.governed?.tier.name).toBe('large');
    });

    test('one person in two groups fills one seat only', () => {
      expect(reasonsOf(verifyGoverned({ amount: 'large', approvals: [approve(large, ada)], now: at(2 * DAY) }))).toEqual([
        expect.stringMatching(/^approvals \(tier "large"\): 0 of the 1 needed from (approvers|admins)/),
      ]);
    });

    test('an approval by someone in no group with a seat does not count', () => {
      expect(reasonsOf(verifyGoverned({ approvals: [approve(governedIntent(), carol)] }))).toEqual([
        expect.stringMatching(/^approvals \(tier "small"\): 0 of the 1 needed from approvers/),
        expect.stringMatching(/^approvals\[0\]: Carol \(keyholders\) is in no group with an open seat/),
      ]);
    });

    test('an approval by a key that is no pinned member does not count', () => {
      expect(reasonsOf(verifyGoverned({ approvals: [approve(governedIntent(), zed)] }))).toEqual(expect.arrayContaining([
        expect.stringMatching(/^approvals\[0\]: by .*, who is not a pinned member$/),
      ]));
    });
  });

  describe('the proposer', () => {
    test('never counts as an approver, even in the approvers group', () => {
      expect(reasonsOf(verifyGoverned({ proposer: bob, approvals: [approve(governedIntent(), bob)] }))).toEqual([
        'approvals[0]: by the proposer, whose approval never counts',
        expect.stringMatching(/^approvals \(tier "small"\): 0 of the 1 needed from approvers/),
      ]);
    });

    test('must be in a proposing group', () => {
      expect(reasonsOf(verifyGoverned({ proposer: ben }))).toEqual(['proposer: Ben is in none of the proposing groups (initiators, keyholders)']);
    });

    test('an initiator who holds no key may propose (unlike under a simple policy)', () => {
      expect(reasonsOf(verifyGoverned({ proposer: ian }))).toEqual([]);
    });

    test('a stranger may not', () => {
      expect(reasonsOf(verifyGoverned({ proposer: zed }))).toEqual([expect.stringMatching(/^proposer: .* is not a pinned member$/)]);
    });
  });

  describe('delays run from the signed proposal time, by the signer\'s clock', () => {
    const approvals = [approve(large, bob), approve(large, ben)];
    test('a large withdrawal waits a day after its proposal', () => {
      expect(reasonsOf(verifyGoverned({ amount: 'large', approvals, now: at(23 * HOUR) }))).toEqual([
        'delay: tier "large" waits 1 d after the proposal; signable at 2026-03-02T12:00:00.000Z (1 h left)',
      ]);
      expect(reasonsOf(verifyGoverned({ amount: 'large', approvals, now: at(DAY) }))).toEqual([]);
    });

    test('an approver is not held back by the delay or missing approvals', () => {
      expect(verifyGoverned({ amount: 'large', approvals: [], now: at(HOUR), purpose: 'approve' }).ok).toBe(true);
    });
  });

  describe('the address book, by the signer\'s clock and journal', () => {
    test('an address never pinned is refused, whatever approvals come with it', () => {
      const intent = governedIntent('small', { outputs: [{ address: ATTACKER, amount: '200000' }] });
      const policy = governedPolicy();
      const result = verifyWithdrawalForSigning({
        ...governedInput({ intent, policy, approvals: [approve(intent, bob), approve(intent, ada), approve(intent, ben)] }),
      });
      expect(reasonsOf(result)).toEqual(expect.arrayContaining([
        `intent.outputs[0]: ${ATTACKER} is not in the address book; add it through its quorum first`,
      ]));
    });

    test('an entry still cooling off is refused until its delay has passed', () => {
      const policy = governedPolicy({ entries: [bookEntry(DESTINATION, at(-DAY))] });
      expect(reasonsOf(verifyGoverned({ policy }))).toEqual([expect.stringMatching(/^intent\.outputs\[0\]: .* is cooling off until 2026-03-02T12:00:00\.000Z \(23 h left\)$/)]);
      expect(reasonsOf(verifyGoverned({ policy, now: at(DAY) }))).toEqual([]);
    });

    test('an entry unused for longer than its expiry is refused; one this signer paid recently is alive', () => {
      const policy = governedPolicy({ entries: [bookEntry(DESTINATION, at(-100 * DAY))] });
      expect(reasonsOf(verifyGoverned({ policy }))).toEqual([expect.stringMatching(/^intent\.outputs\[0\]: the address-book entry for .* expired at 2026-02-19T12:00:00\.000Z after 90 d unused/)]);
      expect(reasonsOf(verifyGoverned({ policy, journal: [signed(1000n, at(-20 * DAY))] }))).toEqual([]);
    });

    test('a use in another vault\'s journal does not keep the entry alive', () => {
      const policy = governedPolicy({ entries: [bookEntry(DESTINATION, at(-100 * DAY))] });
      const elsewhere = signed(1000n, at(-20 * DAY), { vaultId: '11111111-2222-4333-8444-555555555555' });
      expect(reasonsOf(verifyGoverned({ policy, journal: [elsewhere] }))).toEqual([expect.stringMatching(/expired at/)]);
    });
  });

  describe('velocity over the signer\'s own journal', () => {
    test('what this signer signed in the window, plus this, must stay within the cap', () => {
      // Exactly at the cap is within it.
      expect(reasonsOf(verifyGoverned({ journal: [signed(700_000n, at(-2 * HOUR)), signed(100_000n, at(-HOUR))] }))).toEqual([]);
      expect(reasonsOf(verifyGoverned({ journal: [signed(700_000n, at(-2 * HOUR)), signed(100_001n, at(-HOUR))] }))).toEqual([
        'velocity: 800001 sat signed in the last 1 d plus this withdrawal\'s 200000 sat is 1000001 sat, over the cap of 1000000 sat by 1 sat',
      ]);
    });

    test('what fell out of the window no longer counts', () => {
      expect(reasonsOf(verifyGoverned({ now: at(HOUR), journal: [signed(900_000n, at(-23 * HOUR - 1))] }))).toEqual([]);
    });

    test('a journal entry that does not say what it paid is a reason while inside the window', () => {
      const old = signed(0n, at(-HOUR));
      delete old.amountSats;
      expect(reasonsOf(verifyGoverned({ journal: [old] }))).toEqual([expect.stringMatching(/^journal: the entry for withdrawal .* does not record what it paid/)]);
      const older = { ...old, signedAt: at(-2 * DAY).toISOString() };
      expect(reasonsOf(verifyGoverned({ journal: [older] }))).toEqual([]);
    });
  });

  describe('only the pinned rule set applies', () => {
    test('an intent under the previous rule set is refused once a change took effect', () => {
      const moved = { ...RULES, version: 2, withdrawals: { ...RULES.withdrawals, velocity: [{ windowSeconds: 24 * 3600, capSats: '300000' }] } };
      const intent = governedIntent(); // names version 1
      const result = verifyGoverned({ intent, policy: governedPolicy({ rules: moved }) });
      expect(reasonsOf(result)).toEqual([
        `intent.policyHash: ${policyRulesHash(RULES)} is not the pinned rule set ${policyRulesHash(moved)} (version 2); an older or another policy is never applied`,
      ]);
      const current = governedIntent('small', { policyHash: policyRulesHash(moved) });
      expect(reasonsOf(verifyGoverned({ intent: current, policy: governedPolicy({ rules: moved }), approvals: [approve(current, bob)] }))).toEqual([]);
    });

    test('the policy\'s fee caps hold whatever the intent says', () => {
      const intent = governedIntent('small', { maxFee: '30000' });
      expect(reasonsOf(verifyGoverned({ intent, approvals: [approve(intent, bob)] }))).toEqual(["fee: the intent's cap of 30000 sat is above the policy's 20000 sat"]);
    });
  });
});
