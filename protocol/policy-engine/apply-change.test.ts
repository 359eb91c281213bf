/**
 * Changes to the policy, the address book and the members, as a signer pins them: only with
 * the quorum of its current pinned rules, after the delay, for exactly the state it pinned.
 * Attacks: one admin alone changing the policy; an initiator approving their own change; an
 * old policy version presented later; a forged address-book entry; a freshly added address
 * used before its cooling-off; a member's credentials replaced without quorum (a support-desk
 * reset), and with it after the delay.
 */
import fc from 'fast-check';
import { identityPublicKey } from '../envelope';
import { type ApplyChangeResult, applyChange, reviewChange } from './apply-change';
import { changeId } from './changes';
import { evaluateWithdrawal } from './evaluate-withdrawal';
import { policyRulesHash, type PolicyRules } from './rules';
import { type PinnedPolicyState, pinnedStateHashes } from './state';
import {
  BTC, DAY, HOUR, NEW_ADDRESS, NOW, PEOPLE, POLICY, SECOND, ada, approval, approveChange, at, aud, ben, cat, cy, dee, ian, intent, pinned, propose, zed,
} from './test-fixture';

const T0 = at(-4 * DAY);
const after = (ms: number) => new Date(T0.getTime() + ms);
const POLICY_2: PolicyRules = { ...POLICY, version: 2, maxFeeSats: '2000000' };

function reasons(result: ApplyChangeResult): string[] {
  return result.ok ? [] : result.reasons;
}

function accepted(result: ApplyChangeResult): PinnedPolicyState {
  if (!result.ok) throw new Error(`refused: ${result.reasons.join('; ')}`);
  return result.state;
}

describe('policy changes', () => {
  const state = pinned();
  const proposal = propose(state, { op: 'policy.replace', policy: POLICY_2 }, ian, T0);
  const quorum = [approveChange(proposal, ben, after(HOUR)), approveChange(proposal, cat, after(2 * HOUR))];
  // Quorum at T0 + 2 h, then 72 h.
  const effective = after(74 * HOUR);

  test('with the admin quorum, after the delay, the new rule set is pinned', () => {
    const result = applyChange({ state, proposal, approvals: quorum, now: effective });
    expect(accepted(result).policy).toEqual(POLICY_2);
    expect(result.review).toMatchObject({ quorumReachedAt: after(2 * HOUR), effectiveAt: effective });
    expect(result.review.fill?.seated).toEqual([{ identityKey: ben.key, group: 'admins' }, { identityKey: cat.key, group: 'admins' }]);
  });

  test('one second before the delay is over it is refused, with the time left', () => {
    expect(reasons(applyChange({ state, proposal, approvals: quorum, now: new Date(effective.getTime() - SECOND) }))).toEqual([
      `delay: the change takes effect at ${effective.toISOString()} (1 s left)`,
    ]);
  });

  test('one admin alone cannot change the policy, approving their own proposal or not', () => {
    const own = propose(state, { op: 'policy.replace', policy: POLICY_2 }, ada, T0);
    expect(reasons(applyChange({ state, proposal: own, approvals: [approveChange(own, ada, after(HOUR))], now: NOW }))).toEqual([
      'approvals[0]: by the proposer, whose approval never counts',
      'approvals: 0 of the 2 needed from admins (2 from admins, by distinct members)',
    ]);
    expect(reasons(applyChange({ state, proposal: own, approvals: [approveChange(own, ben, after(HOUR))], now: NOW }))).toEqual([
      'approvals: 1 of the 2 needed from admins (2 from admins, by distinct members)',
    ]);
  });

  test('approvals by non-admins, strangers, twice, or of another change do not count', () => {
    const other = propose(state, { op: 'policy.replace', policy: POLICY_2, reason: 'another' }, ian, T0);
    const result = applyChange({
      state, proposal, now: NOW,
      approvals: [approveChange(proposal, cy, after(HOUR)), approveChange(proposal, zed, after(HOUR)), approveChange(proposal, ben, after(HOUR)), approveChange(proposal, ben, after(HOUR)), approveChange(other, cat, after(HOUR))],
    });
    expect(reasons(result)).toEqual([
      expect.stringMatching(/^approvals\[1\]: by .*, who is not a pinned member$/),
      expect.stringMatching(/^approvals\[3\]: a second approval by /),
      'approvals[4]: approves another change',
      'approvals: 1 of the 2 needed from admins (2 from admins, by distinct members)',
      'approvals[0]: Cy (approvers, keyholders) is in no group with an open seat of 2 from admins',
    ]);
  });

  test('junk approvals appended beside a full quorum do not block the change', () => {
    const junk = [approveChange(proposal, zed, after(HOUR)), approveChange(proposal, ian, after(HOUR)), { not: 'an envelope' }];
    expect(accepted(applyChange({ state, proposal, approvals: [...junk, ...quorum], now: effective })).policy).toEqual(POLICY_2);
  });

  test('an old policy version presented later is refused', () => {
    const current = accepted(applyChange({ state, proposal, approvals: quorum, now: effective }));
    // The same change again: it names the rule set it replaced.
    expect(reasons(applyChange({ state: current, proposal, approvals: quorum, now: NOW }))).toEqual([
      `change.base: made for policy ${policyRulesHash(POLICY)}, but the pinned policy is ${policyRulesHash(POLICY_2)} (an earlier or another state: stale or replayed)`,
      'change.policy.version: 2, but the next version is 3',
    ]);
    // The old rules proposed anew, even with the right base, are an old version.
    const back = propose(current, { op: 'policy.replace', policy: POLICY }, ian, T0);
    expect(reasons(applyChange({ state: current, proposal: back, approvals: [approveChange(back, ben, after(HOUR)), approveChange(back, cat, after(HOUR))], now: NOW })))
      .toEqual(['change.policy.version: 1, but the next version is 3']);
    // And a withdrawal under the old rule set is refused by the signer that moved on.
    const of = intent();
    const result = evaluateWithdrawal({ ...current, intent: of, withdrawalId: '0b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c', proposer: ian.key, proposalTime: at(-HOUR), approvals: [approval(of, cy)], now: NOW, journal: [] });
    expect(result.ok ? [] : result.reasons).toEqual([expect.stringMatching(/^intent\.policyHash: .* is not the pinned rule set .* \(version 2\)/)]);
  });

  test('a version that skips ahead is refused', () => {
    const skip = propose(state, { op: 'policy.replace', policy: { ...POLICY, version: 3 } }, ian, T0);
    expect(reasons(applyChange({ state, proposal: skip, approvals: [approveChange(skip, ben, after(HOUR)), approveChange(skip, cat, after(HOUR))], now: NOW })))
      .toEqual(['change.policy.version: 3, but the next version is 2']);
  });

  test('a rule set that would lock the vault out is refused', () => {
    const locked = { ...POLICY_2, changes: { ...POLICY.changes, policy: { quorum: [{ group: 'admins', count: 4 }], delaySeconds: 0 } } };
    const p = propose(state, { op: 'policy.replace', policy: locked }, ian, T0);
    expect(reasons(applyChange({ state, proposal: p, approvals: [approveChange(p, ben, after(HOUR)), approveChange(p, cat, after(HOUR))], now: NOW }))).toEqual([
      'the state after this change: policy.changes.policy.quorum: 4 from admins cannot be met by the members besides the proposer',
    ]);
  });

  test('the delay runs from the quorum: a later approval does not restart it', () => {
    const late = [...quorum, approveChange(proposal, ada, NOW)];
    expect(applyChange({ state, proposal, approvals: late, now: effective }).review.effectiveAt).toEqual(effective);
  });

  test('a proposal altered after signing, or approvals dated in the future, are refused', () => {
    const altered = { ...proposal, body: { ...(proposal.body as object), policy: { ...POLICY_2, maxFeeSats: '9000000' } } };
    expect(reasons(applyChange({ state, proposal: altered, approvals: quorum, now: NOW }))[0]).toMatch(/^proposal: envelope\.sig: signature by .* does not verify/);
    const future = [approveChange(proposal, ben, at(DAY)), approveChange(proposal, cat, at(DAY))];
    expect(reasons(applyChange({ state, proposal, approvals: future, now: NOW }))).toEqual([
      `approvals: the quorum is dated ${at(DAY).toISOString()}, in the future; check the clocks`,
    ]);
  });

  test('a change for another vault is refused', () => {
    const p = propose(state, { op: 'policy.replace', policy: POLICY_2, vaultId: '11111111-2222-4333-8444-555555555555' }, ian, T0);
    expect(reasons(applyChange({ state, proposal: p, approvals: [], now: NOW }))[0]).toBe(
      'change.vaultId: 11111111-2222-4333-8444-555555555555 is not the pinned vault 6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f',
    );
  });

  test('reviewChange shows progress to the people deciding, without a clock', () => {
    const review = reviewChange({ state, proposal, approvals: quorum.slice(0, 1) });
    expect(review).toMatchObject({ problems: [], quorumReachedAt: null, effectiveAt: null, fill: { met: false, byGroup: [{ group: 'admins', needed: 2, filled: 1 }] } });
    expect(review.next?.policy).toEqual(POLICY_2);
  });
});

describe('address-book changes', () => {
  const state = pinned();
  const T = at(-DAY);
  const add = propose(state, { op: 'address-book.add', address: NEW_ADDRESS, label: 'new supplier' }, ian, T);
  const quorum = [approveChange(add, ada, new Date(T.getTime() + HOUR)), approveChange(add, ben, new Date(T.getTime() + 2 * HOUR))];

  test('an entry approved by the quorum is pinned at once, dated when the quorum was reached', () => {
    const next = accepted(applyChange({ state, proposal: add, approvals: quorum, now: NOW }));
    expect(next.addressBook.revision).toBe(state.addressBook.revision + 1);
    expect(next.addressBook.entries.at(-1)).toEqual({ address: NEW_ADDRESS, label: 'new supplier', approvedAt: new Date(T.getTime() + 2 * HOUR).toISOString(), changeId: changeId(add) });
  });

  test('a freshly added address used before its cooling-off is refused; after it, accepted', () => {
    const next = accepted(applyChange({ state, proposal: add, approvals: quorum, now: NOW }));
    const of = intent({ pay: [[NEW_ADDRESS, BTC / 10n]] });
    const pay = (now: Date) => evaluateWithdrawal({ ...next, intent: of, withdrawalId: '0b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c', proposer: ian.key, proposalTime: at(-HOUR), approvals: [approval(of, cy)], now, journal: [] });
    const usableFrom = new Date(T.getTime() + 50 * HOUR);
    expect(pay(NOW)).toEqual({ ok: false, reasons: [`intent.outputs[0]: ${NEW_ADDRESS} ("new supplier") is cooling off until ${usableFrom.toISOString()} (1 d 2 h left)`] });
    expect(pay(new Date(usableFrom.getTime() - SECOND)).ok).toBe(false);
    expect(pay(usableFrom).ok).toBe(true);
  });

  test('one admin alone, or a coordinator forging approvals, cannot add an entry', () => {
    const own = propose(state, { op: 'address-book.add', address: NEW_ADDRESS, label: 'mine' }, ada, T);
    expect(reasons(applyChange({ state, proposal: own, approvals: [approveChange(own, ada, T), approveChange(own, ben, T)], now: NOW }))).toEqual([
      'approvals[0]: by the proposer, whose approval never counts',
      'approvals: 1 of the 2 needed from admins (2 from admins, by distinct members)',
    ]);
    const forged = propose(state, { op: 'address-book.add', address: NEW_ADDRESS, label: 'forged' }, zed, T);
    expect(reasons(applyChange({ state, proposal: forged, approvals: [approveChange(forged, zed, T)], now: NOW }))).toEqual([
      expect.stringMatching(/^proposal: signed by .*, who is not a pinned member$/),
      expect.stringMatching(/^approvals\[0\]: by .*, who is not a pinned member$/),
      'approvals: 0 of the 2 needed from admins (2 from admins, by distinct members)',
    ]);
  });

  test('a removed entry cannot come back by replaying its old addition', () => {
    const added = accepted(applyChange({ state, proposal: add, approvals: quorum, now: NOW }));
    const remove = propose(added, { op: 'address-book.remove', address: NEW_ADDRESS }, ian, NOW);
    const removed = accepted(applyChange({ state: added, proposal: remove, approvals: [approveChange(remove, ada, NOW), approveChange(remove, cat, NOW)], now: NOW }));
    expect(removed.addressBook.entries).toEqual(state.addressBook.entries);
    expect(reasons(applyChange({ state: removed, proposal: add, approvals: quorum, now: NOW }))).toEqual([
      `change.base: made for addressBook ${pinnedStateHashes(state).addressBook}, but the pinned addressBook is ${pinnedStateHashes(removed).addressBook} (an earlier or another state: stale or replayed)`,
    ]);
  });

  test('an address of another network, or already in the book, is refused', () => {
    const mainnet = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';
    const p = propose(state, { op: 'address-book.add', address: mainnet, label: 'x' }, ian, T);
    expect(reviewChange({ state, proposal: p, approvals: [] }).problems).toEqual([`change.address: ${mainnet} is not a regtest address`]);
    const again = propose(state, { op: 'address-book.add', address: state.addressBook.entries[0]!.address.toUpperCase(), label: 'x' }, ian, T);
    expect(reviewChange({ state, proposal: again, approvals: [] }).problems[0]).toMatch(/is already in the address book$/);
  });
});

describe('membership changes: no support-desk reset', () => {
  const state = pinned();
  const newKey = identityPublicKey(new Uint8Array(32).fill(20));
  const replace = propose(state, { op: 'member.replace-credentials', identityKey: cy.key, newIdentityKey: newKey }, ian, T0);
  const full = [approveChange(replace, ada, after(HOUR)), approveChange(replace, ben, after(HOUR)), approveChange(replace, dee, after(2 * HOUR))];
  // Quorum at T0 + 2 h, then 48 h.
  const effective = after(50 * HOUR);

  test("a member's key replaced without quorum is refused", () => {
    expect(reasons(applyChange({ state, proposal: replace, approvals: [approveChange(replace, ben, after(HOUR))], now: NOW }))).toEqual([
      'approvals: 1 of the 2 needed from admins (2 from admins + 1 from keyholders, by distinct members)',
      'approvals: 0 of the 1 needed from keyholders (2 from admins + 1 from keyholders, by distinct members)',
    ]);
  });

  test("a keyholder's key needs another keyholder too, and never counts the keyholder's own (maybe stolen) key", () => {
    const admins = full.slice(0, 2);
    expect(reasons(applyChange({ state, proposal: replace, approvals: [...admins, approveChange(replace, cy, after(HOUR))], now: NOW }))).toEqual([
      'approvals[2]: by the member this change is about, whose approval never counts',
      'approvals: 0 of the 1 needed from keyholders (2 from admins + 1 from keyholders, by distinct members)',
    ]);
  });

  test('with the quorum, before the delay: refused with the time left; after it: accepted', () => {
    expect(reasons(applyChange({ state, proposal: replace, approvals: full, now: new Date(effective.getTime() - SECOND) }))).toEqual([
      `delay: the change takes effect at ${effective.toISOString()} (1 s left)`,
    ]);
    const next = accepted(applyChange({ state, proposal: replace, approvals: full, now: effective }));
    expect(next.members.revision).toBe(1);
    expect(next.members.members.find((m) => m.name === 'Cy')).toEqual({ ...cy.member, identityKey: newKey });
  });

  test('after the replacement the old key approves nothing, and the new one does', () => {
    const next = accepted(applyChange({ state, proposal: replace, approvals: full, now: effective }));
    const of = intent();
    const base = { ...next, intent: of, withdrawalId: '0b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c', proposer: ian.key, proposalTime: at(-HOUR), now: NOW, journal: [] };
    expect(evaluateWithdrawal({ ...base, approvals: [approval(of, cy)] }).ok).toBe(false);
    const newCy = { ...cy, secret: new Uint8Array(32).fill(20), key: newKey };
    expect(evaluateWithdrawal({ ...base, approvals: [approval(of, newCy)] }).ok).toBe(true);
  });

  test('a coordinator (or anyone outside) proposing and approving a reset gets nowhere', () => {
    const reset = propose(state, { op: 'member.replace-credentials', identityKey: ada.key, newIdentityKey: zed.key }, zed, T0);
    expect(reasons(applyChange({ state, proposal: reset, approvals: [approveChange(reset, zed, T0)], now: NOW }))).toEqual([
      expect.stringMatching(/^proposal: signed by .*, who is not a pinned member$/),
      expect.stringMatching(/^approvals\[0\]: by .*, who is not a pinned member$/),
      'approvals: 0 of the 2 needed from admins (2 from admins, by distinct members)',
    ]);
  });

  test('a new keyholder needs the keyholders too; a new auditor only the admins', () => {
    const newcomer = { identityKey: newKey, name: 'Neo', groups: ['keyholders'] };
    const add = propose(state, { op: 'member.add', member: newcomer }, ian, T0);
    expect(reviewChange({ state, proposal: add, approvals: [] }).quorum).toEqual([{ group: 'admins', count: 2 }, { group: 'keyholders', count: 1 }]);
    const auditor = propose(state, { op: 'member.add', member: { ...newcomer, groups: ['auditors'] } }, ian, T0);
    const approvals = [approveChange(auditor, ada, after(HOUR)), approveChange(auditor, ben, after(HOUR))];
    const next = accepted(applyChange({ state, proposal: auditor, approvals, now: NOW }));
    expect(next.members.members.at(-1)).toEqual({ ...newcomer, groups: ['auditors'] });
  });

  test('a change that would leave a quorum nobody can meet is refused', () => {
    // With Ben no longer an admin, Ada and Cat are the last two admins.
    const twoAdmins = pinned({ members: { revision: 0, members: PEOPLE.map((p) => (p === ben ? { ...p.member, groups: ['approvers'] } : p.member)) } });
    const demote = propose(twoAdmins, { op: 'member.set-groups', identityKey: cat.key, groups: ['keyholders'] }, ian, T0);
    const approvals = [approveChange(demote, ada, after(HOUR)), approveChange(demote, ben, after(HOUR)), approveChange(demote, dee, after(HOUR))];
    expect(reasons(applyChange({ state: twoAdmins, proposal: demote, approvals, now: NOW }))).toEqual([
      'the state after this change: policy.addressBook.quorum: 2 from admins cannot be met by the members besides the proposer',
      'the state after this change: policy.changes.policy.quorum: 2 from admins cannot be met by the members besides the proposer',
      'the state after this change: policy.changes.members.quorum: 2 from admins cannot be met by the members besides the proposer',
      expect.stringMatching(/^the state after this change: policy\.changes\.members\.whenSubjectIn\[0\]: /),
      // Ben is no admin in this state, and Cat is the member changed.
      'approvals: 1 of the 2 needed from admins (2 from admins + 1 from keyholders, by distinct members)',
      'approvals[1]: Ben (approvers) is in no group with an open seat of 2 from admins + 1 from keyholders',
    ]);
  });

  test('a removed member is gone, and a stale membership change is refused after another applied', () => {
    const remove = propose(state, { op: 'member.remove', identityKey: aud.key }, ian, T0);
    const next = accepted(applyChange({ state, proposal: remove, approvals: [approveChange(remove, ada, T0), approveChange(remove, ben, T0)], now: NOW }));
    expect(next.members.members.map((m) => m.name)).toEqual(['Ada', 'Ben', 'Cat', 'Cy', 'Dee', 'Ian']);
    expect(reasons(applyChange({ state: next, proposal: replace, approvals: full, now: NOW }))[0]).toMatch(/^change\.base: made for members /);
  });
});

describe('property: a change is pinned exactly when the quorum of admins, besides the proposer, approved it', () => {
  test('over random proposers and approver sets', () => {
    const state = pinned();
    const admins = new Set([ada.key, ben.key, cat.key]);
    // Signed once per proposer: signing dominates the run time, not the engine.
    const signed = new Map(PEOPLE.map((proposer) => {
      const p = propose(state, { op: 'policy.replace', policy: POLICY_2 }, proposer, T0);
      return [proposer, { p, approvals: new Map(PEOPLE.map((a) => [a, approveChange(p, a, T0)])) }] as const;
    }));
    fc.assert(fc.property(fc.constantFrom(...PEOPLE), fc.subarray(PEOPLE), (proposer, approvers) => {
      const { p, approvals } = signed.get(proposer)!;
      const result = applyChange({ state, proposal: p, approvals: approvers.map((a) => approvals.get(a)!), now: NOW });
      // The proposer's own approval never counts, and takes nothing away from the others'.
      const expected = approvers.filter((a) => a !== proposer && admins.has(a.key)).length >= 2;
      expect(result.ok).toBe(expected);
    }), { numRuns: 80 });
  });
});

describe('property: any evidence at all is answered with reasons, never a crash or a change', () => {
  test('random proposals and approvals', () => {
    const state = pinned();
    const valid = propose(state, { op: 'policy.replace', policy: POLICY_2 }, ian, T0);
    // Garbage, the valid proposal with garbage approvals, or its signature over another body.
    const proposal = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant<unknown>(valid), fc.jsonValue({ maxDepth: 3 }).map((body) => ({ ...valid, body })));
    fc.assert(fc.property(proposal, fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), (p, approvals) => {
      const result = applyChange({ state, proposal: p, approvals, now: NOW });
      expect(result.ok).toBe(false);
    }), { numRuns: 200 });
  });
});
