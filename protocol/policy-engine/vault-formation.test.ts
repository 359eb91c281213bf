/**
 * Forming a vault with a governed policy: built from a policy file, and refused unless its
 * "keyholders" group is exactly the vault's keyholders and the pinned state has no problem.
 */
import { ConclaveError } from '../errors';
import { identityFingerprint } from '../identity';
import { MEMBERS, RULES, alice, bob, carol, ian } from '../../test/support/governed-withdrawal-fixture';
import { governedPolicyFromFile, governedPolicyProblems } from './vault-formation';

const VAULT = '6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f';
const keyholders = [alice, bob, carol].map((k) => k.identityKey);
const file = { rules: RULES, members: MEMBERS.map((m) => ({ ...m, groups: [...m.groups].reverse() })) };

describe('a governed policy at vault formation', () => {
  test('a policy file becomes revision 0 with an empty address book and sorted groups, and fits its keyholders', () => {
    const policy = governedPolicyFromFile(file);
    expect(policy).toMatchObject({ version: 2, rules: RULES, members: { revision: 0 }, addressBook: { revision: 0, entries: [] } });
    expect(policy.members.members.map((m) => m.groups)).toEqual(MEMBERS.map((m) => m.groups));
    expect(governedPolicyProblems(policy, keyholders, VAULT, 'regtest')).toEqual([]);
  });

  test('a malformed policy file is POLICY_RULES_INVALID', () => {
    expect(() => governedPolicyFromFile({ rules: RULES })).toThrow(ConclaveError);
    expect(() => governedPolicyFromFile({ rules: { ...RULES, format: 1 }, members: MEMBERS })).toThrow(/policy file: rules\.format/);
  });

  test('a keyholder missing from the members, or outside the keyholders group, is a problem', () => {
    const policy = governedPolicyFromFile({ rules: RULES, members: file.members.filter((m) => m.identityKey !== carol.identityKey) });
    expect(governedPolicyProblems(policy, keyholders, VAULT, 'regtest')).toContain(`members: keyholder ${identityFingerprint(carol.identityKey)} is not a member`);
    const demoted = governedPolicyFromFile({ rules: RULES, members: file.members.map((m) => (m.identityKey === carol.identityKey ? { ...m, groups: ['approvers'] } : m)) });
    expect(governedPolicyProblems(demoted, keyholders, VAULT, 'regtest')).toContain('members: keyholder Carol is not in group "keyholders"');
  });

  test('someone who holds no key may not sit in the keyholders group', () => {
    const policy = governedPolicyFromFile({ rules: RULES, members: file.members.map((m) => (m.identityKey === ian.identityKey ? { ...m, groups: ['initiators', 'keyholders'] } : m)) });
    expect(governedPolicyProblems(policy, keyholders, VAULT, 'regtest')).toEqual(['members[5]: Ian is in group "keyholders" but holds no key of this vault']);
  });

  test('problems of the pinned state itself are listed too (a quorum nobody can meet)', () => {
    const rules = { ...RULES, addressBook: { ...RULES.addressBook, quorum: [{ group: 'treasurers', count: 1 }] } };
    expect(governedPolicyProblems(governedPolicyFromFile({ ...file, rules }), keyholders, VAULT, 'regtest').join('\n')).toMatch(/treasurers/);
  });

  test('a value that is no governed policy lists its schema problems', () => {
    expect(governedPolicyProblems({ version: 2 }, keyholders, VAULT, 'regtest')[0]).toMatch(/^policy\.rules: /);
  });
});
