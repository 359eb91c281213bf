/**
 * Withdrawals proposed through an API token (protocol/auth/access.ts token-proposal evidence),
 * as a signer checks them: the member's signed `propose` grant, valid when the coordinator's
 * statement was made, the statement signed by the coordinator key this signer pinned, naming
 * that token and this very intent. The proposer is the member who granted the token; since the
 * coordinator alone signs the statement's time, a backdated statement cannot shorten a delay.
 */
import { identityFingerprint } from '../identity';
import {
  DAY, HOUR, NOW, at, ben, bob, coordinator, governedIntent, ian, reasonsOf, tokenProposal, verifyGoverned, approve, zed,
} from '../../test/support/governed-withdrawal-fixture';
import { POLICY, alice, approval, honestIntent, verifyInput } from '../../test/support/withdrawal-fixture';
import { verifyWithdrawalForSigning } from './verify-withdrawal';

const small = governedIntent();
const large = governedIntent('large');

describe('token proposals, governed policy', () => {
  test('a withdrawal proposed through Ian\'s token passes, with Ian as its proposer', () => {
    const result = verifyGoverned({ proposal: tokenProposal(small) });
    expect(reasonsOf(result)).toEqual([]);
    expect(result.ok && result.summary.proposer.identityKey).toBe(ian.identityKey);
  });

  test('the member who granted the token never counts as an approver of what it proposed', () => {
    const grantedByBob = tokenProposal(small, { grantedBy: bob });
    expect(reasonsOf(verifyGoverned({ proposal: grantedByBob, approvals: [approve(small, bob)] }))).toEqual([
      'approvals[0]: by the proposer, whose approval never counts',
      expect.stringMatching(/^approvals \(tier "small"\): 0 of the 1 needed from approvers/),
    ]);
  });

  test('a statement not signed by the pinned coordinator key is refused', () => {
    expect(reasonsOf(verifyGoverned({ proposal: tokenProposal(small, { statementBy: zed }) }))).toEqual([
      `proposal.statement: signed by ${identityFingerprint(zed.identityKey)}, not by the pinned coordinator key ${identityFingerprint(coordinator.identityKey)}`,
    ]);
  });

  test('a signer that pinned no coordinator key believes no token proposal', () => {
    expect(reasonsOf(verifyGoverned({ proposal: tokenProposal(small), coordinatorKey: null }))).toEqual([
      'proposal.statement: this signer pinned no coordinator key, so it cannot believe a proposal made through an API token',
    ]);
  });

  test('a read-only token cannot propose', () => {
    expect(reasonsOf(verifyGoverned({ proposal: tokenProposal(small, { scope: 'read' }) }))).toEqual([
      'proposal.grant: token "payouts bot" has scope "read", which may not propose',
    ]);
  });

  test('a token expired when the statement was made is refused', () => {
    expect(reasonsOf(verifyGoverned({ proposal: tokenProposal(small, { expiresAt: at(-HOUR) }) }))).toEqual([
      `proposal.statement: made at ${NOW.toISOString()}, after token "payouts bot" expired at ${at(-HOUR).toISOString()}`,
    ]);
  });

  test('a statement dated before the grant is refused', () => {
    expect(reasonsOf(verifyGoverned({ proposal: tokenProposal(small, { grantedAt: at(HOUR / 2), statementAt: NOW }) }))).toEqual([
      `proposal.statement: made at ${NOW.toISOString()}, before the token was granted at ${at(HOUR / 2).toISOString()}`,
    ]);
  });

  test('a statement naming another token, or another intent, is refused', () => {
    expect(reasonsOf(verifyGoverned({ proposal: tokenProposal(small, { tokenId: 'ee'.repeat(32) }) }))).toEqual([
      expect.stringMatching(/^proposal\.statement: names token e{64}, not the token the grant shown created/),
    ]);
    expect(reasonsOf(verifyGoverned({ proposal: tokenProposal(small, { intent: governedIntent('small', { memo: 'other' }) }) }))).toEqual([
      'proposal.statement: the signed intent differs from the intent this withdrawal carries',
    ]);
  });

  test('a forged grant (a member\'s key named, another key signing) is refused', () => {
    const proposal = tokenProposal(small, { grantedBy: zed });
    const forged = { ...proposal, grant: { ...proposal.grant, signer: ian.identityKey } };
    expect(reasonsOf(verifyGoverned({ proposal: forged }))).toEqual([
      expect.stringMatching(/^proposal\.grant: envelope\.sig: signature by .* does not verify$/),
    ]);
  });

  test('a token granted by a stranger proposes for nobody', () => {
    expect(reasonsOf(verifyGoverned({ proposal: tokenProposal(small, { grantedBy: zed }) }))).toEqual([expect.stringMatching(/^proposer: .* is not a pinned member$/)]);
  });

  describe('a backdated statement does not shorten a delay', () => {
    const approvals = [approve(large, bob, NOW), approve(large, ben, NOW)];
    test('the delay runs from the first approval when the coordinator dates its statement earlier', () => {
      const backdated = tokenProposal(large, { grantedAt: at(-5 * DAY), statementAt: at(-2 * DAY) });
      expect(reasonsOf(verifyGoverned({ amount: 'large', proposal: backdated, approvals, now: at(HOUR) }))).toEqual([
        'delay: tier "large" waits 1 d after the proposal; signable at 2026-03-02T12:00:00.000Z (23 h left)',
      ]);
      expect(reasonsOf(verifyGoverned({ amount: 'large', proposal: backdated, approvals, now: at(DAY) }))).toEqual([]);
    });

    test('a member\'s own proposal of the same date is believed (control)', () => {
      expect(reasonsOf(verifyGoverned({ amount: 'large', proposedAt: at(-2 * DAY), approvals, now: at(HOUR) }))).toEqual([]);
    });

    test('the statement time counts when it is the later one', () => {
      const late = [approve(large, bob, at(-3 * DAY)), approve(large, ben, at(-3 * DAY))];
      const proposal = tokenProposal(large, { grantedAt: at(-5 * DAY), statementAt: NOW });
      expect(reasonsOf(verifyGoverned({ amount: 'large', proposal, approvals: late, now: at(HOUR) }))).toEqual([expect.stringMatching(/^delay: tier "large" waits 1 d/)]);
    });
  });

  test('a fee bump is never proposed through a token', () => {
    const bump = governedIntent('small', { replaces: 'cd'.repeat(32) });
    expect(reasonsOf(verifyGoverned({ intent: bump, proposal: tokenProposal(bump), approvals: [approve(bump, bob)] }))).toEqual(expect.arrayContaining([
      "proposal: a fee bump is proposed by a member's own signed withdrawal.bump, never through an API token",
    ]));
  });
});

describe('token proposals, simple policy (version 1)', () => {
  const intent = honestIntent();
  const withToken = (grantedBy: { identitySecret: Uint8Array; identityKey: string }) => {
    const base = verifyInput({ intent, approvals: [approval(intent, bob)] });
    return {
      ...base,
      withdrawal: { ...base.withdrawal, proposal: tokenProposal(intent, { grantedBy, grantedAt: at(-HOUR), expiresAt: at(DAY) }) },
      pinned: { ...base.pinned, policy: POLICY, coordinatorKey: coordinator.identityKey },
    };
  };

  test('a pinned keyholder\'s token proposes as that keyholder', () => {
    const result = verifyWithdrawalForSigning(withToken(alice));
    expect(reasonsOf(result)).toEqual([]);
    expect(result.ok && result.summary.proposer.identityKey).toBe(alice.identityKey);
  });

  test('a token of someone who holds no key of the vault is refused', () => {
    expect(reasonsOf(verifyWithdrawalForSigning(withToken(ian)))).toEqual([
      `proposal: signed by ${identityFingerprint(ian.identityKey)}, who is not a keyholder of the pinned vault`,
    ]);
  });
});
