/**
 * The governance commands against a real coordinator in this process (real HTTP, real SQLite):
 * `propose` refuses locally what every signer would refuse; `approve` reviews the relayed
 * evidence against the signer's own pinned state, so the proposer, a proposal altered in the
 * coordinator's database and a stale change are refused with a clear code; `sync` pins what
 * applyChange accepts and `list` shows where each change stands by this signer's checks.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningCoordinator, startInProcessCoordinator } from '../../test/support/in-process-coordinator';
import { runCliJson } from '../../test/support/cli-in-process';

const ADDRESS_1 = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const ADDRESS_2 = 'bcrt1qcamf2mw7y3tpdhk6ev3m36wp6qfygj8ay3n9q4';
const ADDRESS_3 = 'bcrt1qd65dh2rg7ueeqwggg4gc5jhucqzuupucckk3ap';
const MAINNET = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';

interface Run { code: number; json: Record<string, unknown> }

async function run(home: string, ...args: string[]): Promise<Run> {
  return runCliJson('--home', home, ...args);
}

async function ok(home: string, ...args: string[]): Promise<Record<string, unknown>> {
  const result = await run(home, ...args);
  if (result.code !== 0) throw new Error(`${args.join(' ')}: exit ${result.code}: ${JSON.stringify(result.json)}`);
  return result.json;
}

describe('governance commands', () => {
  const saved = { ...process.env };
  let coordinator: RunningCoordinator;
  let root: string;
  let vaultId: string;
  const home: Record<'alice' | 'bob' | 'carol', string> = { alice: '', bob: '', carol: '' };

  beforeAll(async () => {
    process.env.CONCLAVE_TEST_FAST_KDF = '1';
    process.env.CONCLAVE_PASSPHRASE = 'governance commands';
    coordinator = await startInProcessCoordinator({ CONCLAVE_NETWORK: 'regtest' });
    root = mkdtempSync(join(tmpdir(), 'conclave-governance-cmd-'));
    const keys: Record<string, string> = {};
    for (const name of ['alice', 'bob', 'carol'] as const) {
      home[name] = join(root, name);
      keys[name] = String((await ok(home[name], 'init', '--network', 'regtest')).identityKey);
      await ok(home[name], '--coordinator', coordinator.url, 'join', '--name', name);
    }
    const quorum = (count: number) => [{ group: 'admins', count }];
    const policyFile = join(root, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({
      rules: {
        format: 2, version: 1, maxFeeSats: '1000000', maxFeeRate: '500',
        withdrawals: { proposerGroups: ['keyholders'], tiers: [{ name: 'any', approvals: [], delaySeconds: 0 }], velocity: [] },
        addressBook: { quorum: quorum(2), coolingOffSeconds: 3600, expireAfterDisuseSeconds: 86_400 },
        changes: { policy: { quorum: quorum(2), delaySeconds: 3600 }, members: { quorum: quorum(1), delaySeconds: 3600, whenSubjectIn: [] } },
      },
      members: Object.entries(keys).map(([name, identityKey]) => ({ identityKey, name, groups: ['admins', 'keyholders'] })),
    }));
    const created = await ok(home.alice, 'vault', 'create', '--name', 'governed', '--threshold', '2', '--member', 'alice', '--member', 'bob', '--member', 'carol', '--policy-file', policyFile);
    vaultId = String(created.vaultId);
    for (const name of ['alice', 'bob', 'carol'] as const) await ok(home[name], 'vault', 'pin', vaultId, '--yes');
  });
  afterAll(async () => {
    process.env = saved;
    await coordinator.close();
  });

  const changesAtCoordinator = async () => Number((await coordinator.dataSource.query('SELECT COUNT(*) AS n FROM governance_changes'))[0].n);

  test('propose refuses, before signing, a change every signer would refuse', async () => {
    const refused = await run(home.alice, 'governance', 'propose', vaultId, '--op', 'address-book.add', '--address', MAINNET, '--label', 'x', '--yes');
    expect(refused.code).toBe(3);
    expect(refused.json).toMatchObject({ error: { code: 'POLICY_CHANGE_REFUSED', message: expect.stringContaining('is not a regtest address'), hint: expect.any(String) } });
    const missing = await run(home.alice, 'governance', 'propose', vaultId, '--op', 'member.set-groups', '--identity-key', 'bob', '--yes');
    expect(missing).toMatchObject({ code: 2, json: { error: { code: 'VALIDATION_FAILED', message: '--groups: required with --op member.set-groups' } } });
    expect(await changesAtCoordinator()).toBe(0);
  });

  test('approve reviews the relayed change against the pinned state, then sync pins it in each signer', async () => {
    const proposed = await ok(home.alice, 'governance', 'propose', vaultId, '--op', 'address-book.add', '--address', ADDRESS_1, '--label', 'payroll', '--reason', 'salaries', '--yes');
    const changeId = String(proposed.changeId);
    expect(proposed).toMatchObject({ status: 'pending', description: expect.stringMatching(/^add address .* labelled "payroll" to the address book; needs 2 from admins besides the proposer; pinned at the quorum, payable 1 h after it/) });

    const own = await run(home.alice, 'governance', 'approve', vaultId, changeId, '--yes');
    expect(own).toMatchObject({ code: 4, json: { error: { code: 'FORBIDDEN', message: expect.stringContaining('you proposed it') } } });

    const byBob = await ok(home.bob, 'governance', 'approve', vaultId, changeId, '--yes');
    expect(byBob).toMatchObject({ approved: true, assessment: { verdict: 'pending', reasons: ['approvals: 1 of the 2 needed from admins (2 from admins, by distinct members)'] } });
    expect(await ok(home.bob, 'governance', 'approve', vaultId, changeId, '--yes')).toMatchObject({ approved: false, alreadyApproved: true });
    expect((await ok(home.carol, 'governance', 'list', vaultId)).changes).toEqual([expect.objectContaining({ changeId, verdict: 'pending', approvedBy: [expect.any(String)] })]);
    expect(await ok(home.carol, 'governance', 'approve', vaultId, changeId, '--yes')).toMatchObject({ approved: true, assessment: { verdict: 'ready' } });

    for (const name of ['alice', 'bob', 'carol'] as const) {
      const synced = await ok(home[name], 'governance', 'sync', vaultId);
      expect(synced).toMatchObject({ applied: [expect.objectContaining({ changeId, op: 'address-book.add' })], pending: [], refused: [], differsFromCoordinator: [] });
      expect((await ok(home[name], 'policy', 'show', vaultId)).addressBook).toEqual([expect.objectContaining({ address: ADDRESS_1, label: 'payroll', status: expect.objectContaining({ state: 'cooling-off' }) })]);
    }
    expect((await ok(home.carol, 'governance', 'list', vaultId)).changes).toEqual([]);
    expect((await ok(home.carol, 'governance', 'list', vaultId, '--all')).changes).toEqual([expect.objectContaining({ changeId, verdict: 'applied' })]);
    expect(await ok(home.bob, 'governance', 'approve', vaultId, changeId, '--yes')).toMatchObject({ approved: false });
  });

  test('of two changes made for the same address book, the second is stale once the first is pinned', async () => {
    const first = String((await ok(home.alice, 'governance', 'propose', vaultId, '--op', 'address-book.remove', '--address', ADDRESS_1, '--yes')).changeId);
    const second = String((await ok(home.bob, 'governance', 'propose', vaultId, '--op', 'address-book.add', '--address', ADDRESS_2, '--label', 'late', '--yes')).changeId);
    await ok(home.bob, 'governance', 'approve', vaultId, first, '--yes');
    await ok(home.carol, 'governance', 'approve', vaultId, first, '--yes');
    const synced = await ok(home.carol, 'governance', 'sync', vaultId);
    expect(synced).toMatchObject({ applied: [expect.objectContaining({ changeId: first, op: 'address-book.remove' })] });
    expect(synced.refused).toEqual([expect.objectContaining({ changeId: second, reasons: [expect.stringMatching(/^change\.base: made for addressBook .* \(an earlier or another state: stale or replayed\)$/)] })]);
    const stale = await run(home.carol, 'governance', 'approve', vaultId, second, '--yes');
    expect(stale).toMatchObject({ code: 3, json: { error: { code: 'POLICY_CHANGE_REFUSED', message: expect.stringContaining('stale or replayed') } } });
    for (const name of ['alice', 'bob'] as const) {
      expect((await ok(home[name], 'governance', 'sync', vaultId)).applied).toEqual([expect.objectContaining({ changeId: first })]);
    }
  });

  test('a member change with its quorum waits for its delay: pending with the time it takes effect', async () => {
    const proposed = await ok(home.alice, 'governance', 'propose', vaultId, '--op', 'member.set-groups', '--identity-key', 'carol', '--groups', 'admins,keyholders,approvers', '--yes');
    const changeId = String(proposed.changeId);
    expect(await run(home.carol, 'governance', 'approve', vaultId, changeId, '--yes')).toMatchObject({ code: 4, json: { error: { code: 'FORBIDDEN', message: expect.stringContaining('it is about you') } } });
    const approved = await ok(home.bob, 'governance', 'approve', vaultId, changeId, '--yes');
    const assessment = approved.assessment as { verdict: string; effectiveAt: string; reasons: string[] };
    expect(assessment.verdict).toBe('pending');
    expect(assessment.reasons).toEqual([expect.stringMatching(/^delay: the change takes effect at .* \((59 min [0-9]+ s|1 h)( left)?\)/)]);
    const synced = await ok(home.bob, 'governance', 'sync', vaultId);
    expect(synced.applied).toEqual([]);
    expect(synced.pending).toEqual(expect.arrayContaining([expect.objectContaining({ changeId, effectiveAt: assessment.effectiveAt })]));
  });

  test("a proposal altered in the coordinator's database is refused by every signer that reads it", async () => {
    const proposed = await ok(home.alice, 'governance', 'propose', vaultId, '--op', 'address-book.add', '--address', ADDRESS_3, '--label', 'decoy', '--yes');
    const changeId = String(proposed.changeId);
    const [row] = await coordinator.dataSource.query('SELECT proposal FROM governance_changes WHERE change_id = ?', [changeId]) as Array<{ proposal: string }>;
    await coordinator.dataSource.query('UPDATE governance_changes SET proposal = ? WHERE change_id = ?', [row!.proposal.replace('"decoy"', '"attacker"'), changeId]);
    const tampered = await run(home.bob, 'governance', 'approve', vaultId, changeId, '--yes');
    expect(tampered).toMatchObject({ code: 3, json: { error: { code: 'POLICY_CHANGE_REFUSED', message: expect.stringMatching(/proposal: envelope\.sig: signature by .* does not verify/) } } });
    const listed = (await ok(home.carol, 'governance', 'list', vaultId)).changes as Array<{ changeId: string; verdict: string }>;
    expect(listed.find((c) => c.changeId === changeId)).toMatchObject({ verdict: 'refused' });
    const synced = await ok(home.carol, 'governance', 'sync', vaultId);
    expect(synced.applied).toEqual([]);
    expect(synced.refused).toEqual(expect.arrayContaining([expect.objectContaining({ changeId })]));
  });

  test('a vault id that is not pinned, or a change id that is not one, are refused with what to do', async () => {
    expect(await run(home.bob, 'governance', 'sync', '11111111-2222-4333-8444-555555555555')).toMatchObject({ code: 3, json: { error: { code: 'NOT_PINNED' } } });
    expect(await run(home.bob, 'governance', 'approve', vaultId, 'not-a-change')).toMatchObject({ code: 2, json: { error: { code: 'VALIDATION_FAILED' } } });
    const unknown = await run(home.bob, 'governance', 'approve', vaultId, 'ab'.repeat(32), '--yes');
    expect(unknown).toMatchObject({ code: 5, json: { error: { code: 'CHANGE_NOT_FOUND', hint: expect.any(String) } } });
  });
});
