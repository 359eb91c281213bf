/**
 * The pinned policy and the approvals, as each signer enforces them before it signs: a
 * coordinator that skips, forges or miscounts approvals, or presents another policy, is
 * refused, with a reason that names what is wrong.
 */
import { signEnvelope } from '../envelope';
import { policyHash } from '../policy';
import {
  NOW, POLICY, alice, approval, bob, carol, fixedRandom, honestIntent, mallory, verifyInput as input,
} from '../../test/support/withdrawal-fixture';
import { verifyWithdrawalForSigning } from './verify-withdrawal';

function reasons(args: Parameters<typeof verifyWithdrawalForSigning>[0]): string[] {
  const result = verifyWithdrawalForSigning(args);
  return result.ok ? [] : result.reasons;
}

describe('approvals required by the pinned policy', () => {
  const intent = honestIntent();

  test('one valid approval by another keyholder is enough for a policy of one', () => {
    expect(reasons(input({ approvals: [approval(intent, bob)] }))).toEqual([]);
  });

  test('no approval at all is refused', () => {
    expect(reasons(input({ approvals: [] }))).toEqual(['approvals: 0 valid of the 1 the pinned policy requires']);
  });

  test('the initiator approving their own withdrawal does not count', () => {
    expect(reasons(input({ approvals: [approval(intent, alice)] }))).toEqual([
      'approvals[0]: by the proposer, who may not approve their own withdrawal',
      'approvals: 0 valid of the 1 the pinned policy requires',
    ]);
  });

  test('an approval by a key outside the pinned vault does not count', () => {
    expect(reasons(input({ approvals: [approval(intent, mallory)] }))).toEqual([
      expect.stringMatching(/^approvals\[0\]: by .* who is not a pinned keyholder$/),
      'approvals: 0 valid of the 1 the pinned policy requires',
    ]);
  });

  test('a forged approval (body altered after signing) does not count', () => {
    const forged = { ...approval(intent, bob), body: { withdrawalId: '0b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c', vaultId: '6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f', intentHash: 'cd'.repeat(32) } };
    expect(reasons(input({ approvals: [forged] }))[0]).toMatch(/^approvals\[0\]: envelope\.sig: signature by .* does not verify/);
  });

  test('an approval of another intent or withdrawal, replayed here, does not count', () => {
    expect(reasons(input({ approvals: [approval(intent, bob, { intentHash: 'ef'.repeat(32) })] }))[0]).toBe('approvals[0]: approves another withdrawal or intent');
    expect(reasons(input({ approvals: [approval(intent, bob, { withdrawalId: '11111111-2222-4333-8444-555555555555' })] }))[0]).toBe('approvals[0]: approves another withdrawal or intent');
  });

  test('an envelope of another type does not count as an approval', () => {
    const proposal = signEnvelope('withdrawal.propose', intent, bob.identitySecret, { now: NOW, randomBytes: fixedRandom });
    expect(reasons(input({ approvals: [proposal] }))[0]).toMatch(/^approvals\[0\]: envelope\.type/);
  });

  test('two approvals by one person count once', () => {
    const policy = { ...POLICY, requiredApprovals: 2 };
    const twice = input({ intent: honestIntent({ policyHash: policyHash(policy) }), policy });
    const one = approval(twice.withdrawal.intent as typeof intent, bob);
    expect(reasons({ ...twice, withdrawal: { ...twice.withdrawal, approvals: [one, one] } })).toEqual([
      expect.stringMatching(/^approvals\[1\]: a second approval by /),
      'approvals: 1 valid of the 2 the pinned policy requires',
    ]);
    const both = [approval(twice.withdrawal.intent as typeof intent, bob), approval(twice.withdrawal.intent as typeof intent, carol)];
    expect(reasons({ ...twice, withdrawal: { ...twice.withdrawal, approvals: both } })).toEqual([]);
  });

  test('an approver checking the withdrawal is not held back by the missing approvals', () => {
    const args = { ...input({ approvals: [] }), purpose: 'approve' as const };
    expect(verifyWithdrawalForSigning(args).ok).toBe(true);
  });
});

describe('the pinned policy', () => {
  test('an intent under another policy is refused', () => {
    const other = { ...POLICY, requiredApprovals: 0 };
    const intent = honestIntent({ policyHash: policyHash(other) });
    expect(reasons(input({ intent, approvals: [approval(intent)] }))).toEqual([`intent.policyHash: ${policyHash(other)} is not the pinned policy ${policyHash(POLICY)}`]);
  });

  test('the policy fee caps hold whatever the intent allows', () => {
    const policy = { ...POLICY, maxFeeSats: '900', maxFeeRate: '3' };
    const intent = honestIntent({ policyHash: policyHash(policy) });
    expect(reasons(input({ intent, policy, approvals: [approval(intent)] }))).toEqual([
      'fee: 1000 sat exceeds the policy\'s cap of 900 sat',
      expect.stringMatching(/^fee: .* sat\/vB is above the policy's cap of 3 sat\/vB$/),
    ]);
  });
});
