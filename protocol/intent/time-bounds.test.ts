/**
 * Time bounds a signer enforces so a hostile coordinator cannot freeze coins or keep an intent
 * alive: no delaying locktime, and no intent valid for longer than 30 days after its proposal.
 */
import { signEnvelope } from '../envelope';
import { NOW, alice, fixedRandom, honestIntent, psbt, verifyInput as input } from '../../test/support/withdrawal-fixture';
import { MAX_INTENT_LIFETIME_DAYS, verifyWithdrawalForSigning } from './verify-withdrawal';

function reasons(args: Parameters<typeof verifyWithdrawalForSigning>[0]): string[] {
  const result = verifyWithdrawalForSigning(args);
  return result.ok ? [] : result.reasons;
}

describe('time bounds', () => {
  test('a block-height locktime far ahead (coins frozen for millennia) is refused', () => {
    expect(reasons(input({ psbt: psbt({ locktime: 499_999_999 }) }))).toEqual(['psbt: locktime 499999999 would delay the transaction; only locktime 0 is signed for now']);
  });

  test('any non-zero locktime is refused until signers can bound it by a chain view of their own', () => {
    expect(reasons(input({ psbt: psbt({ locktime: 1 }) }))).toHaveLength(1);
    expect(reasons(input({ psbt: psbt({ locktime: 0 }) }))).toEqual([]);
  });

  test(`an intent valid for more than ${MAX_INTENT_LIFETIME_DAYS} days after its proposal is refused`, () => {
    const longLived = honestIntent({ expiresAt: new Date(NOW.getTime() + (MAX_INTENT_LIFETIME_DAYS + 1) * 86_400_000).toISOString() });
    const args = input({ intent: longLived });
    expect(reasons(args)).toEqual([expect.stringMatching(/^intent\.expiresAt: more than 30 days after the proposal was signed$/)]);
  });

  test(`an intent valid for exactly ${MAX_INTENT_LIFETIME_DAYS} days is signed`, () => {
    const intent = honestIntent({ expiresAt: new Date(NOW.getTime() + MAX_INTENT_LIFETIME_DAYS * 86_400_000).toISOString() });
    const args = input({ intent });
    const proposal = signEnvelope('withdrawal.propose', intent, alice.identitySecret, { now: NOW, randomBytes: fixedRandom });
    expect(reasons({ ...args, withdrawal: { ...args.withdrawal, proposal } })).toEqual([]);
  });
});
