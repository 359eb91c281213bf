/**
 * The signer moving its own pinned policy on (applyReadyChanges over relayed change views):
 * only what applyChange accepts now is pinned, in the order bases allow, durably with its
 * record; too few approvals, a running delay, a stale or replayed change, forged approvals or
 * a coordinator filing a change under another id pin nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { policyRulesHash } from '../../protocol/policy-engine';
import {
  DAY, HOUR, NEW_ADDRESS, NOW, POLICY, SECOND, VAULT_ID, ada, address, approveChange, at, ben, cat, cy, dee, ian, pinned, propose, zed,
} from '../../protocol/policy-engine/test-fixture';
import { identityPublicKey } from '../../protocol/envelope';
import { identityFingerprint } from '../../protocol/identity';
import { StateStore, findPinned } from '../state/state-file';
import { pinnedForSigning } from '../vault/pinned';
import { governedHome, pinnedStateIn, pinnedVault, view } from './governance.fixture';
import { applyReadyChanges } from './sync';

const T0 = at(-4 * DAY);
const after = (ms: number) => new Date(T0.getTime() + ms);
const clock = (date: Date) => () => date;

/** A governed home whose pinned keyholders are the policy's: Cat, Cy, Dee, in descriptor order. */
function keyholdersHome(): ReturnType<typeof governedHome> {
  const home = governedHome();
  home.store.update((s) => {
    findPinned(s, VAULT_ID).members = [cat, cy, dee].map((p) => ({ identityKey: p.key, name: p.name, fingerprint: identityFingerprint(p.key) }));
  });
  return home;
}

describe('governance sync', () => {
  test('an address-book addition approved by the quorum is pinned, with its record, in state.json', () => {
    const { home, store } = governedHome();
    const state = pinnedStateIn(store, VAULT_ID);
    const proposal = propose(state, { op: 'address-book.add', address: NEW_ADDRESS, label: 'exchange' }, ada, T0);
    const approvals = [approveChange(proposal, ben, after(HOUR)), approveChange(proposal, cat, after(2 * HOUR))];

    const report = applyReadyChanges(store, VAULT_ID, [view(proposal, approvals)], clock(NOW));

    expect(report.applied).toEqual([expect.objectContaining({ changeId: view(proposal, []).changeId, op: 'address-book.add', appliedAt: NOW.toISOString(), effectiveAt: after(2 * HOUR).toISOString() })]);
    expect(report.applied[0]!.description).toMatch(new RegExp(`^add address ${NEW_ADDRESS} labelled "exchange"`));
    expect(report).toMatchObject({ pending: [], refused: [], alreadyApplied: 0 });
    // Read back from disk by a fresh store: the new entry, dated at the quorum, and the record.
    const onDisk = findPinned(new StateStore(home).read(), VAULT_ID);
    expect(onDisk.policy.version === 2 && onDisk.policy.addressBook.entries.at(-1)).toMatchObject({ address: NEW_ADDRESS, label: 'exchange', approvedAt: after(2 * HOUR).toISOString() });
    expect(onDisk.appliedChanges).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(home, 'state.json'), 'utf8')).vaults[0].appliedChanges[0].op).toBe('address-book.add');

    // A second run pins nothing more and counts it as applied before.
    const again = applyReadyChanges(store, VAULT_ID, [view(proposal, approvals)], clock(NOW));
    expect(again).toMatchObject({ applied: [], alreadyApplied: 1, pending: [], refused: [] });
  });

  test('approved by too few, or only by the proposer and strangers: pending, nothing pinned', () => {
    const { store } = governedHome();
    const before = readPinned(store);
    const state = pinnedStateIn(store, VAULT_ID);
    const proposal = propose(state, { op: 'address-book.add', address: NEW_ADDRESS, label: 'x' }, ada, T0);
    const report = applyReadyChanges(store, VAULT_ID, [view(proposal, [approveChange(proposal, ada, after(HOUR)), approveChange(proposal, zed, after(HOUR)), approveChange(proposal, ben, after(HOUR))])], clock(NOW));
    expect(report.applied).toEqual([]);
    expect(report.pending).toHaveLength(1);
    expect(report.pending[0]).toMatchObject({ verdict: 'pending', effectiveAt: null });
    expect(report.pending[0]!.reasons).toEqual([
      'approvals[0]: by the proposer, whose approval never counts',
      expect.stringMatching(/^approvals\[1\]: by .*, who is not a pinned member$/),
      'approvals: 1 of the 2 needed from admins (2 from admins, by distinct members)',
    ]);
    expect(readPinned(store)).toEqual(before);
  });

  test("a member's credentials replaced with the quorum wait for the delay by the signer's clock, then are pinned", () => {
    const { store } = governedHome();
    const state = pinnedStateIn(store, VAULT_ID);
    const proposal = propose(state, { op: 'member.replace-credentials', identityKey: cy.key, newIdentityKey: zed.key }, ada, T0);
    // Cy is a keyholder: two admins and another keyholder; Cy's own approval never counts.
    const approvals = [approveChange(proposal, ben, after(HOUR)), approveChange(proposal, cat, after(HOUR)), approveChange(proposal, dee, after(HOUR)), approveChange(proposal, cy, after(HOUR))];
    const effective = after(HOUR + 48 * HOUR);

    const early = applyReadyChanges(store, VAULT_ID, [view(proposal, approvals)], clock(new Date(effective.getTime() - SECOND)));
    expect(early.applied).toEqual([]);
    expect(early.pending[0]).toMatchObject({ effectiveAt: effective });
    expect(early.pending[0]!.reasons).toContain(`delay: the change takes effect at ${effective.toISOString()} (1 s left)`);
    expect(early.pending[0]!.reasons).toContain('approvals[3]: by the member this change is about, whose approval never counts');

    const late = applyReadyChanges(store, VAULT_ID, [view(proposal, approvals)], clock(effective));
    expect([late.pending, late.refused].flat().flatMap((a) => a.reasons)).toEqual([]);
    expect(late.applied.map((a) => a.op)).toEqual(['member.replace-credentials']);
    const members = pinnedStateIn(store, VAULT_ID).members.members;
    expect(members.find((m) => m.name === 'Cy')?.identityKey).toBe(zed.key);
  });

  test("a keyholder's replaced identity key replaces it in the pinned keyholders too, in the same write, at the same position", () => {
    const { home, store } = keyholdersHome();
    const replacement = identityPublicKey(new Uint8Array(32).fill(77));
    const proposal = propose(pinnedStateIn(store, VAULT_ID), { op: 'member.replace-credentials', identityKey: cy.key, newIdentityKey: replacement }, ada, T0);
    const approvals = [approveChange(proposal, ben, after(HOUR)), approveChange(proposal, cat, after(HOUR)), approveChange(proposal, dee, after(HOUR))];
    const before = findPinned(store.read(), VAULT_ID);

    // Pending: the pinned keyholders stay as they are.
    applyReadyChanges(store, VAULT_ID, [view(proposal, approvals)], clock(after(HOUR)));
    expect(findPinned(store.read(), VAULT_ID).members).toEqual(before.members);

    const report = applyReadyChanges(store, VAULT_ID, [view(proposal, approvals)], clock(after(HOUR + 48 * HOUR)));
    expect(report.applied.map((a) => a.op)).toEqual(['member.replace-credentials']);
    const onDisk = findPinned(new StateStore(home).read(), VAULT_ID);
    expect(onDisk.members).toEqual([
      before.members[0],
      { identityKey: replacement, name: 'Cy', fingerprint: identityFingerprint(replacement) },
      before.members[2],
    ]);
    // The descriptor and this signer's position stay: the keyholder keeps the seed.
    expect([onDisk.descriptor, onDisk.ownIndex]).toEqual([before.descriptor, before.ownIndex]);
    expect(pinnedForSigning(onDisk).memberKeys).toEqual([cat.key, replacement, dee.key]);
  });

  test('a change that replaces only passkeys leaves the pinned keyholders alone', () => {
    const { store } = keyholdersHome();
    const before = findPinned(store.read(), VAULT_ID).members;
    const passkeys = [{ credentialId: 'A'.repeat(22), publicKey: 'B'.repeat(40) }];
    const proposal = propose(pinnedStateIn(store, VAULT_ID), { op: 'member.replace-credentials', identityKey: cy.key, passkeys }, ada, T0);
    const approvals = [approveChange(proposal, ben, after(HOUR)), approveChange(proposal, cat, after(HOUR)), approveChange(proposal, dee, after(HOUR))];
    expect(applyReadyChanges(store, VAULT_ID, [view(proposal, approvals)], clock(after(HOUR + 48 * HOUR))).applied).toHaveLength(1);
    expect(findPinned(store.read(), VAULT_ID).members).toEqual(before);
  });

  test('changes built on one another are pinned in base order, whatever order they are listed in', () => {
    const { store } = governedHome();
    const first = pinnedStateIn(store, VAULT_ID);
    const add = propose(first, { op: 'address-book.add', address: address(60), label: 'a' }, ada, T0);
    // What the book becomes after `add`, as another signer already pinned it: the second change's base.
    const { store: ahead } = governedHome();
    applyReadyChanges(ahead, VAULT_ID, [view(add, [approveChange(add, ben, after(HOUR)), approveChange(add, cat, after(HOUR))])], clock(NOW));
    const second = propose(pinnedStateIn(ahead, VAULT_ID), { op: 'address-book.add', address: address(61), label: 'b' }, ada, after(2 * HOUR));
    const views = [
      view(second, [approveChange(second, ben, after(3 * HOUR)), approveChange(second, cat, after(3 * HOUR))]),
      view(add, [approveChange(add, ben, after(HOUR)), approveChange(add, cat, after(HOUR))]),
    ];
    const report = applyReadyChanges(store, VAULT_ID, views, clock(NOW));
    expect(report.applied.map((a) => a.changeId)).toEqual([views[1]!.changeId, views[0]!.changeId]);
    expect(pinnedStateIn(store, VAULT_ID).addressBook.entries.map((e) => e.label)).toEqual(['payroll', 'supplier', 'a', 'b']);
  });

  test('two sound changes for the same base: the one in effect first wins, the other is refused as stale', () => {
    const { store } = governedHome();
    const state = pinnedStateIn(store, VAULT_ID);
    const early = propose(state, { op: 'policy.replace', policy: { ...POLICY, version: 2, maxFeeSats: '2000000' } }, ian, T0);
    const later = propose(state, { op: 'policy.replace', policy: { ...POLICY, version: 2, maxFeeSats: '3000000' } }, ian, after(HOUR));
    const views = [
      view(later, [approveChange(later, ben, after(2 * HOUR)), approveChange(later, cat, after(2 * HOUR))]),
      view(early, [approveChange(early, ben, after(HOUR)), approveChange(early, cat, after(HOUR))]),
    ];
    const report = applyReadyChanges(store, VAULT_ID, views, clock(NOW));
    expect(report.applied.map((a) => a.changeId)).toEqual([views[1]!.changeId]);
    expect(pinnedStateIn(store, VAULT_ID).policy.maxFeeSats).toBe('2000000');
    expect(report.refused.map((a) => a.changeId)).toEqual([views[0]!.changeId]);
    expect(report.refused[0]!.reasons[0]).toMatch(/^change\.base: made for policy .* \(an earlier or another state: stale or replayed\)$/);
    // The rule-set hash intents must now name moved on with it.
    expect(report.policyHash).toBe(policyRulesHash({ ...POLICY, version: 2, maxFeeSats: '2000000' }));
  });

  test('a coordinator filing a change under another id, or forging its approvals, pins nothing', () => {
    const { store } = governedHome();
    const before = readPinned(store);
    const state = pinnedStateIn(store, VAULT_ID);
    const proposal = propose(state, { op: 'address-book.add', address: NEW_ADDRESS, label: 'x' }, ada, T0);
    const approvals = [approveChange(proposal, ben, after(HOUR)), approveChange(proposal, cat, after(HOUR))];
    const forged = approvals.map((a) => ({ ...a, signer: cy.key }));
    const report = applyReadyChanges(store, VAULT_ID, [
      view(proposal, approvals, { changeId: 'ee'.repeat(32) }),
      view(proposal, forged),
    ], clock(NOW));
    expect(report.applied).toEqual([]);
    expect(report.refused[0]!.reasons).toEqual([`the coordinator lists it as ${'ee'.repeat(32)}, but its signed proposal is change ${view(proposal, []).changeId}`]);
    expect(report.pending[0]!.reasons[0]).toMatch(/^approvals\[0\]: envelope\.sig: signature by .* does not verify$/);
    expect(readPinned(store)).toEqual(before);
  });

  test('a vault with the simple policy has no governance: POLICY_NOT_GOVERNED', () => {
    const { store } = governedHome();
    store.update((s) => {
      s.vaults[0] = { ...pinnedVault(pinned()), policy: { version: 1, requiredApprovals: 1, maxFeeSats: '1000', maxFeeRate: '10' } };
    });
    expect(() => applyReadyChanges(store, VAULT_ID, [], clock(NOW))).toThrow(expect.objectContaining({ code: 'POLICY_NOT_GOVERNED' }));
  });
});

function readPinned(store: StateStore) {
  return findPinned(store.read(), VAULT_ID);
}
