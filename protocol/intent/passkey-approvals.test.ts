/**
 * Approvals made with a passkey (protocol/webauthn/passkey-statement.ts) under a governed
 * policy, as a signer counts them: verified against the passkeys pinned for the statement's
 * signer in the member set, never a key that comes with the statement. Real P-256 assertions
 * from a software authenticator (test/support/software-passkey.ts).
 */
import {
  ada, adaPasskey, approve, approveByPasskey, ben, bob, bobPasskey, governedIntent, reasonsOf, strayPasskey, verifyGoverned, at, DAY,
} from '../../test/support/governed-withdrawal-fixture';

const intent = governedIntent();
const large = governedIntent('large');
const UP_ONLY = 0x01;

describe('passkey approvals, governed policy', () => {
  test("Bob's approval with his pinned passkey counts", () => {
    const result = verifyGoverned({ approvals: [approveByPasskey(intent, bobPasskey, bob)] });
    expect(reasonsOf(result)).toEqual([]);
    expect(result.ok && result.governed?.approvers).toEqual([{ identityKey: bob.identityKey, group: 'approvers' }]);
  });

  test('passkey and identity-key approvals fill one quorum together', () => {
    const approvals = [approveByPasskey(large, adaPasskey, ada), approve(large, bob)];
    expect(reasonsOf(verifyGoverned({ amount: 'large', approvals, now: at(2 * DAY) }))).toEqual([]);
    expect(reasonsOf(verifyGoverned({ amount: 'large', approvals: [approveByPasskey(large, adaPasskey, ada), approve(large, ben)], now: at(2 * DAY) }))).toEqual([]);
  });

  test('an assertion whose statement was altered afterwards does not count', () => {
    const made = approveByPasskey(intent, bobPasskey, bob);
    const altered = { ...made, created: at(-DAY).toISOString() };
    expect(reasonsOf(verifyGoverned({ approvals: [altered] }))).toEqual([
      'approvals[0]: statement.clientDataJSON.challenge: the assertion was made for another statement',
      expect.stringMatching(/^approvals \(tier "small"\): 0 of the 1 needed from approvers/),
    ]);
  });

  test('a bad signature does not count', () => {
    const made = approveByPasskey(intent, bobPasskey, bob);
    const other = approveByPasskey(governedIntent('small', { memo: 'other' }), bobPasskey, bob);
    expect(reasonsOf(verifyGoverned({ approvals: [{ ...made, signature: other.signature }] }))).toEqual([
      expect.stringMatching(/^approvals\[0\]: statement\.signature: does not verify under passkey /),
      expect.stringMatching(/^approvals \(tier "small"\)/),
    ]);
  });

  test('an assertion without user verification does not count', () => {
    expect(reasonsOf(verifyGoverned({ approvals: [approveByPasskey(intent, bobPasskey, bob, undefined, UP_ONLY)] }))).toEqual([
      'approvals[0]: statement.authenticatorData: the authenticator did not verify the user (UP and UV flags must both be set)',
      expect.stringMatching(/^approvals \(tier "small"\)/),
    ]);
  });

  test('a passkey pinned for nobody, claiming to be Bob, does not count', () => {
    expect(reasonsOf(verifyGoverned({ approvals: [approveByPasskey(intent, strayPasskey, bob)] }))).toEqual([
      `approvals[0]: statement.credentialId: ${strayPasskey.credentialId} is not a pinned passkey of ${bob.identityKey}`,
      expect.stringMatching(/^approvals \(tier "small"\)/),
    ]);
  });

  test("another member's passkey cannot approve as Bob", () => {
    expect(reasonsOf(verifyGoverned({ approvals: [approveByPasskey(intent, adaPasskey, bob)] }))).toEqual([
      `approvals[0]: statement.credentialId: ${adaPasskey.credentialId} is not a pinned passkey of ${bob.identityKey}`,
      expect.stringMatching(/^approvals \(tier "small"\)/),
    ]);
  });

  test('a passkey approval of another withdrawal does not count', () => {
    const other = approveByPasskey(governedIntent('small', { memo: 'other' }), bobPasskey, bob);
    expect(reasonsOf(verifyGoverned({ approvals: [other] }))).toEqual([
      'approvals[0]: approves another withdrawal or intent',
      expect.stringMatching(/^approvals \(tier "small"\)/),
    ]);
  });

  test('one person approving by envelope and by passkey counts once', () => {
    expect(reasonsOf(verifyGoverned({ amount: 'large', approvals: [approve(large, bob), approveByPasskey(large, bobPasskey, bob)], now: at(2 * DAY) }))).toEqual([
      expect.stringMatching(/^approvals\[1\]: a second approval by /),
      expect.stringMatching(/^approvals \(tier "large"\): 0 of the 1 needed from admins/),
    ]);
  });
});
