/**
 * Time bounds a signer enforces so a hostile coordinator cannot freeze coins or keep an intent
 * alive: no locktime beyond the height the network can have reached by the signer's clock
 * (locktime.ts), and no intent valid for longer than 30 days after its proposal.
 */
import { signEnvelope } from '../envelope';
import { NOW, alice, fixedRandom, honestIntent, psbt, verifyInput as input } from '../../test/support/withdrawal-fixture';
import { REGTEST_MAX_LOCKTIME } from './locktime';
import { MAX_INTENT_LIFETIME_DAYS, verifyWithdrawalForSigning } from './verify-withdrawal';

function reasons(args: Parameters<typeof verifyWithdrawalForSigning>[0]): string[] {
  const result = verifyWithdrawalForSigning(args);
  return result.ok ? [] : result.reasons;
}

describe('time bounds', () => {
  test('a block-height locktime far ahead (coins frozen for millennia) is refused', () => {
    expect(reasons(input({ psbt: psbt({ locktime: 499_999_999 }) }))).toEqual([
      `psbt: locktime 499999999 is above height ${REGTEST_MAX_LOCKTIME}, the highest regtest can have reached by this signer's clock; it would delay the transaction`,
    ]);
  });

  test('a block-height locktime within the network\'s bound (anti-fee-sniping) is signed, and shown', () => {
    expect(reasons(input({ psbt: psbt({ locktime: 0 }) }))).toEqual([]);
    const verdict = verifyWithdrawalForSigning(input({ psbt: psbt({ locktime: 1 }) }));
    expect(verdict).toMatchObject({ ok: true, summary: { locktime: 1 } });
    expect(reasons(input({ psbt: psbt({ locktime: REGTEST_MAX_LOCKTIME }) }))).toEqual([]);
    expect(reasons(input({ psbt: psbt({ locktime: REGTEST_MAX_LOCKTIME + 1 }) }))).toHaveLength(1);
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
