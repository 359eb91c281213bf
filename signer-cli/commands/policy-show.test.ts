/**
 * `policy show`: the pinned governed policy, from state.json only (no coordinator), with each
 * address-book entry judged by this signer's clock and its own journal (a payment keeps an
 * entry alive), members with fingerprints computed here, and the changes it applied.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityFingerprint } from '../../protocol/identity';
import { pinnedStateHashes } from '../../protocol/policy-engine';
import { DAY, PAYEE, SUPPLIER, VAULT_ID, pinned } from '../../protocol/policy-engine/test-fixture';
import { pinnedVault } from '../governance/governance.fixture';
import { StateStore } from '../state/state-file';
import { runCliCaptured } from '../../test/support/cli-in-process';

const run = runCliCaptured;

describe('policy show', () => {
  const saved = { ...process.env };
  let home: string;
  // The fixture's entries, dated around the real clock: PAYEE approved 100 days ago and paid by
  // this signer 10 days ago; SUPPLIER approved an hour ago (cooling off for 2 days).
  const now = Date.now();
  const state = pinned({
    addressBook: {
      revision: 2,
      entries: [
        { address: PAYEE, label: 'payroll', approvedAt: new Date(now - 100 * DAY).toISOString(), changeId: 'ab'.repeat(32) },
        { address: SUPPLIER, label: 'supplier', approvedAt: new Date(now - 3600_000).toISOString(), changeId: 'cd'.repeat(32) },
      ],
    },
  });

  beforeAll(async () => {
    process.env.CONCLAVE_TEST_FAST_KDF = '1';
    process.env.CONCLAVE_PASSPHRASE = 'policy show passphrase';
    home = mkdtempSync(join(tmpdir(), 'conclave-policy-show-'));
    expect((await run('--home', home, '--json', 'init', '--network', 'regtest')).code).toBe(0);
    new StateStore(home).update((s) => {
      s.vaults.push({ ...pinnedVault(state), appliedChanges: [{ changeId: 'ab'.repeat(32), op: 'address-book.add', appliedAt: new Date(now - 100 * DAY).toISOString(), effectiveAt: null }] });
      s.journal.push({
        withdrawalId: '0b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c', vaultId: VAULT_ID, intentHash: '44'.repeat(32), unsignedTxid: '55'.repeat(32),
        inputs: [`${'66'.repeat(32)}:0`], signedAt: new Date(now - 10 * DAY).toISOString(), submittedAt: null, amountSats: '1000', destinations: [PAYEE],
      } as never);
    });
  });
  afterAll(() => {
    process.env = saved;
  });

  test('--json: hashes, rules, members with fingerprints, entries by this signer\'s clock and journal, applied changes', async () => {
    const { code, stdout } = await run('--home', home, '--json', 'policy', 'show', VAULT_ID);
    expect(code).toBe(0);
    const shown = JSON.parse(stdout);
    expect(shown).toMatchObject({ vaultId: VAULT_ID, name: 'treasury', hashes: pinnedStateHashes(state), rules: state.policy, membersRevision: 0, addressBookRevision: 2 });
    expect(shown.members).toHaveLength(7);
    expect(shown.members[0]).toMatchObject({ name: 'Ada', fingerprint: identityFingerprint(state.members.members[0]!.identityKey), you: false });
    // Unpaid, the payroll entry would have expired after 90 days; this signer paid it 10 days ago.
    expect(shown.addressBook[0]).toMatchObject({ address: PAYEE, lastUse: new Date(now - 10 * DAY).toISOString(), status: { state: 'usable', expiresAt: new Date(now + 80 * DAY).toISOString() } });
    expect(shown.addressBook[1]).toMatchObject({ address: SUPPLIER, lastUse: null, status: { state: 'cooling-off', usableFrom: new Date(now - 3600_000 + 2 * DAY).toISOString() } });
    expect(shown.appliedChanges).toEqual([expect.objectContaining({ op: 'address-book.add' })]);
  });

  test('for people: tiers with approvals by group and delays, velocity, address book, change rules, members', async () => {
    const { code, stdout } = await run('--home', home, 'policy', 'show', VAULT_ID);
    expect(code).toBe(0);
    const text = stdout.split('\n');
    expect(text).toEqual(expect.arrayContaining([
      `Vault "treasury" ${VAULT_ID} on regtest: governed policy, rule set version 1`,
      '  tier small: up to 1.00000000 BTC (100000000 sat): needs 1 from approvers; no delay',
      '  tier large: up to 10.00000000 BTC (1000000000 sat): needs 2 from approvers + 1 from admins; signed 1 d after the proposal at the earliest',
      '  above 10.00000000 BTC (1000000000 sat): refused',
      '  velocity: at most 12.00000000 BTC (1200000000 sat) within any 1 d (what this signer signed)',
      'Address book: an entry needs 2 from admins; payable 2 d after its quorum; expires after 90 d unused',
      'Changes: a new rule set needs 2 from admins, then waits 3 d',
      '  a member change needs 2 from admins, plus 1 from keyholders when the member is in keyholders, then waits 2 d',
    ]));
    expect(text.find((l) => l.startsWith(`  ${SUPPLIER}`))).toMatch(/"supplier": cooling off until .* \(1 d 23 h .*left\)$/);
    expect(text.find((l) => l.startsWith('  Cy '))).toBe(`  Cy  ${identityFingerprint(state.members.members[3]!.identityKey)}  approvers, keyholders`);
  });

  test('an unpinned vault is NOT_PINNED; a simple policy is POLICY_NOT_GOVERNED, with what to do', async () => {
    const unpinned = await run('--home', home, '--json', 'policy', 'show', '11111111-2222-4333-8444-555555555555');
    expect(JSON.parse(unpinned.stdout)).toMatchObject({ error: { code: 'NOT_PINNED' } });
    const simpleHome = mkdtempSync(join(tmpdir(), 'conclave-policy-show-'));
    new StateStore(simpleHome).update((s) => {
      s.vaults.push({ ...pinnedVault(state), policy: { version: 1, requiredApprovals: 1, maxFeeSats: '1000', maxFeeRate: '10' } });
    });
    const simple = await run('--home', simpleHome, '--json', 'policy', 'show', VAULT_ID);
    expect(simple.code).toBe(2);
    expect(JSON.parse(simple.stdout)).toMatchObject({ error: { code: 'POLICY_NOT_GOVERNED', message: expect.stringContaining('--policy-file') } });
  });
});
