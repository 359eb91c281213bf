/**
 * Withdrawals proposed in the web app: a passkey statement of type `withdrawal.propose` over the
 * intent, as a signer checks it (protocol/intent/proposal.ts). It counts only when made by a
 * passkey this signer pinned for the proposer in its own governed member set; the proposer is
 * the statement's signer and delays run from its signed `created`. Real P-256 assertions from a
 * software authenticator (test/support/software-passkey.ts).
 */
import { MESSAGE_TYPES } from '../api';
import {
  DAY, HOUR, NOW, ada, ben, adaPasskey, approve, approveByPasskey, at, bob, bobPasskey, governedIntent, reasonsOf, strayPasskey, verifyGoverned,
} from '../../test/support/governed-withdrawal-fixture';
import { honestIntent, verifyInput } from '../../test/support/withdrawal-fixture';
import { verifyWithdrawalForSigning } from './verify-withdrawal';

const small = governedIntent();
const large = governedIntent('large');
const proposeByPasskey = (intent: unknown, passkey = bobPasskey, signer = bob.identityKey, when = NOW) =>
  passkey.statement(MESSAGE_TYPES.withdrawalPropose, intent, signer, when);

describe('passkey proposals, governed policy', () => {
  test("Bob's proposal with his pinned passkey passes, with Bob as proposer, approved by Ada's passkey", () => {
    const result = verifyGoverned({ proposal: proposeByPasskey(small), approvals: [approveByPasskey(small, adaPasskey, ada)] });
    expect(reasonsOf(result)).toEqual([]);
    expect(result.ok && result.summary.proposer.identityKey).toBe(bob.identityKey);
  });

  test('the proposer never approves their own passkey proposal', () => {
    expect(reasonsOf(verifyGoverned({ proposal: proposeByPasskey(small), approvals: [approve(small, bob)] }))).toEqual([
      'approvals[0]: by the proposer, whose approval never counts',
      expect.stringMatching(/^approvals \(tier "small"\): 0 of the 1 needed from approvers/),
    ]);
  });

  test("a tier's delay runs from the statement's signed time", () => {
    const proposal = proposeByPasskey(large);
    const approvals = [approveByPasskey(large, adaPasskey, ada), approve(large, ben)];
    expect(reasonsOf(verifyGoverned({ amount: 'large', proposal, approvals, now: at(HOUR) }))).toEqual([
      'delay: tier "large" waits 1 d after the proposal; signable at 2026-03-02T12:00:00.000Z (23 h left)',
    ]);
    expect(reasonsOf(verifyGoverned({ amount: 'large', proposal, approvals, now: at(DAY + HOUR) }))).toEqual([]);
  });

  test('a passkey pinned for nobody, claiming to be Bob, proposes nothing', () => {
    expect(reasonsOf(verifyGoverned({ proposal: proposeByPasskey(small, strayPasskey) }))).toEqual([
      `proposal: statement.credentialId: ${strayPasskey.credentialId} is not a pinned passkey of ${bob.identityKey}`,
    ]);
  });

  test("Ada's passkey cannot propose as Bob", () => {
    expect(reasonsOf(verifyGoverned({ proposal: proposeByPasskey(small, adaPasskey) }))).toEqual([
      `proposal: statement.credentialId: ${adaPasskey.credentialId} is not a pinned passkey of ${bob.identityKey}`,
    ]);
  });

  test('a statement over another intent, or altered after it was made, is refused', () => {
    expect(reasonsOf(verifyGoverned({ proposal: proposeByPasskey(governedIntent('small', { memo: 'other' })) }))).toEqual([
      'proposal: the signed intent differs from the intent this withdrawal carries',
    ]);
    const backdated = { ...proposeByPasskey(large), created: at(-2 * DAY).toISOString() };
    expect(reasonsOf(verifyGoverned({ amount: 'large', proposal: backdated }))).toEqual([
      'proposal: statement.clientDataJSON.challenge: the assertion was made for another statement',
    ]);
  });

  test('an approval statement is not a proposal', () => {
    expect(reasonsOf(verifyGoverned({ proposal: approveByPasskey(small, bobPasskey, bob) }))).toEqual([
      'proposal: statement.type: expected "withdrawal.propose", got "withdrawal.approve"',
    ]);
  });

  test('a fee bump is never proposed by a passkey statement', () => {
    const bump = governedIntent('small', { replaces: 'aa'.repeat(32) });
    expect(reasonsOf(verifyGoverned({ intent: bump, proposal: proposeByPasskey(bump) }))).toContain(
      "proposal: a fee bump is proposed by a member's own signed withdrawal.bump envelope, not a passkey statement",
    );
  });
});

describe('passkey proposals, simple policy', () => {
  test('a simple policy pins no passkeys, so a passkey proposal is refused', () => {
    const intent = honestIntent();
    const input = verifyInput({ intent });
    const proposal = bobPasskey.statement(MESSAGE_TYPES.withdrawalPropose, intent, bob.identityKey, NOW);
    expect(reasonsOf(verifyWithdrawalForSigning({ ...input, withdrawal: { ...input.withdrawal, proposal } }))).toEqual([
      `proposal: statement.credentialId: ${bobPasskey.credentialId} is not a pinned passkey of ${bob.identityKey}`,
    ]);
  });
});
