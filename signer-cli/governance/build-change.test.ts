/**
 * `governance propose` options to a change for the pinned state, and the checks made before
 * anything is signed: each operation's fields and base, the next rule-set version, members by
 * name, and the changes every signer would refuse (wrong network, already in the book, a
 * proposer who is not a member, a removal that would lock the vault out).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinnedStateHashes } from '../../protocol/policy-engine';
import { NEW_ADDRESS, PAYEE, POLICY, ada, aud, ben, cy, pinned, zed } from '../../protocol/policy-engine/test-fixture';
import { buildChange, changePreviewProblems } from './build-change';
import { describeChange } from './describe';

const state = pinned();
const hashes = pinnedStateHashes(state);
const dir = mkdtempSync(join(tmpdir(), 'conclave-build-change-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

describe('building a change', () => {
  test('an address-book addition names the pinned book and reads in plain words', () => {
    const change = buildChange(state, { op: 'address-book.add', address: NEW_ADDRESS, label: 'exchange', reason: 'new account' });
    expect(change).toEqual({ vaultId: state.vaultId, base: hashes.addressBook, reason: 'new account', op: 'address-book.add', address: NEW_ADDRESS, label: 'exchange' });
    expect(changePreviewProblems(state, change, ada.key)).toEqual([]);
    expect(describeChange(state, change)).toBe(
      `add address ${NEW_ADDRESS} labelled "exchange" to the address book; needs 2 from admins besides the proposer; pinned at the quorum, payable 2 d after it (cooling-off)`,
    );
  });

  test('a new rule set gets the next version, from a rule-set file or a policy file, and says what it changes', () => {
    const rules = file('rules.json', { ...POLICY, maxFeeRate: '50' });
    const change = buildChange(state, { op: 'policy.replace', policyFile: rules });
    expect(change).toMatchObject({ base: hashes.policy, policy: { version: 2, maxFeeRate: '50' } });
    expect(describeChange(state, change)).toBe('replace rule set version 1 with version 2 (fee caps 1000000 sat and 50 sat/vB); needs 2 from admins besides the proposer; takes effect 3 d after the quorum');
    const wrapped = file('policy.json', { rules: { ...POLICY, version: 2 }, members: [] });
    expect(buildChange(state, { op: 'policy.replace', policyFile: wrapped })).toMatchObject({ policy: { version: 2 } });
    expect(() => buildChange(state, { op: 'policy.replace', policyFile: file('skip.json', { ...POLICY, version: 5 }) }))
      .toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: '--policy-file: version 5, but the pinned rule set is version 1, so the next is 2' }));
    expect(() => buildChange(state, { op: 'policy.replace', policyFile: file('bad.json', '{') })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => buildChange(state, { op: 'policy.replace', policyFile: join(dir, 'missing.json') })).toThrow(/--policy-file: cannot read .*ENOENT/);
  });

  test('member changes take a member by key or pinned name and name the member set', () => {
    expect(buildChange(state, { op: 'member.set-groups', identityKey: 'cy', groups: 'approvers, admins' }))
      .toMatchObject({ base: hashes.members, identityKey: cy.key, groups: ['approvers', 'admins'] });
    const reset = buildChange(state, { op: 'member.replace-credentials', identityKey: cy.key, newIdentityKey: zed.key, reason: 'lost laptop' });
    expect(describeChange(state, reset)).toMatch(/^replace the credentials of Cy \(.*\): its identity key with .*; needs 2 from admins \+ 1 from keyholders \(not the proposer, nor Cy \(.*\)\); takes effect 2 d after the quorum$/);
    const passkeys = file('passkeys.json', [{ credentialId: 'A'.repeat(22), publicKey: 'B'.repeat(60) }]);
    expect(buildChange(state, { op: 'member.replace-credentials', identityKey: 'Cy', passkeyFile: passkeys })).toMatchObject({ passkeys: [{ credentialId: 'A'.repeat(22) }] });
    const added = buildChange(state, { op: 'member.add', identityKey: zed.key, name: 'Zed', groups: 'auditors' });
    expect(added).toMatchObject({ member: { identityKey: zed.key, name: 'Zed', groups: ['auditors'] } });
    expect(buildChange(state, { op: 'member.add', memberFile: file('member.json', { identityKey: zed.key, name: 'Zed', groups: ['auditors'] }) })).toEqual(added);
  });

  test('a passkey from the enrolment page is added to the member\'s pinned ones, never twice', () => {
    const first = { credentialId: 'A'.repeat(22), publicKey: 'B'.repeat(60) };
    const second = { credentialId: 'C'.repeat(22), publicKey: 'D'.repeat(60) };
    const withFirst = { ...state, members: { ...state.members, members: state.members.members.map((m) => (m.identityKey === cy.key ? { ...m, passkeys: [first] } : m)) } };
    const enrolled = file('passkey.json', { passkeys: [second] });
    expect(buildChange(withFirst, { op: 'member.replace-credentials', identityKey: 'Cy', addPasskeyFile: enrolled })).toMatchObject({ identityKey: cy.key, passkeys: [first, second] });
    expect(buildChange(state, { op: 'member.replace-credentials', identityKey: 'Cy', addPasskeyFile: enrolled })).toMatchObject({ passkeys: [second] });
    expect(() => buildChange(withFirst, { op: 'member.replace-credentials', identityKey: 'Cy', addPasskeyFile: file('again.json', { passkeys: [first] }) }))
      .toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: `--add-passkey-file: passkey ${first.credentialId} is already pinned for this member` }));
    expect(() => buildChange(state, { op: 'member.replace-credentials', identityKey: 'Cy', addPasskeyFile: enrolled, passkeyFile: enrolled })).toThrow(/--passkey-file\/--add-passkey-file: give one/);
    expect(() => buildChange(state, { op: 'member.replace-credentials', identityKey: 'Cy', addPasskeyFile: file('junk.json', { passkeys: [{ credentialId: '' }] }) })).toThrow(/^--add-passkey-file/);
  });

  test('missing or unknown options say which option and what to do', () => {
    expect(() => buildChange(state, { op: 'address-book.add' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: '--address: required with --op address-book.add' }));
    expect(() => buildChange(state, { op: 'member.remove', identityKey: 'nobody' })).toThrow(/--identity-key: "nobody" is neither an identity key \(64 hex\) nor the name of a pinned member; run "policy show <vaultId>"/);
    expect(() => buildChange(state, { op: 'member.replace-credentials', identityKey: 'cy' })).toThrow(/--new-identity-key\/--passkey-file\/--add-passkey-file: give at least one/);
    expect(() => buildChange(state, { op: 'member.wipe' })).toThrow(/^--op: expected one of address-book.add, /);
    expect(() => buildChange(state, { op: 'member.set-groups', identityKey: 'cy', groups: 'Not A Group' })).toThrow(/^change\.groups\.0: expected a group name/);
  });

  test('changes every signer would refuse are caught before signing', () => {
    const problems = (options: Parameters<typeof buildChange>[1], who = ada.key) => changePreviewProblems(state, buildChange(state, options), who);
    expect(problems({ op: 'address-book.add', address: PAYEE, label: 'again' })).toEqual([`change.address: ${PAYEE} is already in the address book`]);
    expect(problems({ op: 'address-book.add', address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kmdr8h', label: 'mainnet' })[0])
      .toMatch(/^change\.address: bc1q.* is not a regtest address$/);
    expect(problems({ op: 'address-book.remove', address: NEW_ADDRESS })).toEqual([`change.address: ${NEW_ADDRESS} is not in the address book`]);
    expect(problems({ op: 'address-book.add', address: NEW_ADDRESS, label: 'x' }, zed.key)[0]).toMatch(/^proposal: you \(.*\) are not a pinned member/);
    // An auditor may go; without Ben, two admins besides Cat and the proposer could not be found to change Cat: locked out.
    expect(problems({ op: 'member.remove', identityKey: aud.key })).toEqual([]);
    expect(problems({ op: 'member.remove', identityKey: ben.key })).toEqual([
      'the state after this change: policy.changes.members.whenSubjectIn[0]: 2 from admins + 1 from keyholders cannot be met to change Cat, by the members besides them and the proposer',
    ]);
  });
});
