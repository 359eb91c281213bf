/**
 * Governance with real processes (issue 5; DESIGN.md invariant 8): a governed 2-of-3 vault whose
 * keyholders are its three admins. An address-book entry proposed by one is approved by the
 * other two and pinned by each signer itself (`governance sync`, and a listening signer on its
 * own), then cools off by the signers' clocks (6 s here); a new rule set waits out its 2-second delay on
 * the coordinator's and signers' real clocks; an entry approved by too few, and a keyholder's
 * credentials replaced without a quorum (a support-desk reset), stay pending everywhere.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCliKeyholders, type CliKeyholder, signer } from '../support/cli-vault';
import { type Coordinator, runSigner, spawnSigner, startCoordinator } from '../support/processes';
import { type TestDatabase, testDatabase } from '../support/test-database';

const ENV = { CONCLAVE_PASSPHRASE: 'e2e passphrase', CONCLAVE_TEST_FAST_KDF: '1' };
const PAYROLL = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const OTHER = 'bcrt1qcamf2mw7y3tpdhk6ev3m36wp6qfygj8ay3n9q4';
const NEW_KEY = 'f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9';
const DELAY_MS = 2_000;
/** Long enough to see an entry cooling off across a few CLI runs. */
const COOLING_OFF_MS = 6_000;
/** About forty CLI runs, each a fresh process. */
const TEST_TIMEOUT_MS = 180_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function policyFile(keyholders: CliKeyholder[], path: string): string {
  const quorum = (count: number) => [{ group: 'admins', count }];
  writeFileSync(path, JSON.stringify({
    rules: {
      format: 2,
      version: 1,
      maxFeeSats: '1000000',
      maxFeeRate: '500',
      withdrawals: { proposerGroups: ['keyholders'], tiers: [{ name: 'any', approvals: [], delaySeconds: 0 }], velocity: [] },
      addressBook: { quorum: quorum(2), coolingOffSeconds: COOLING_OFF_MS / 1000, expireAfterDisuseSeconds: 86_400 },
      // With three members, a member change can need only one admin besides the proposer and the member changed.
      changes: { policy: { quorum: quorum(2), delaySeconds: DELAY_MS / 1000 }, members: { quorum: quorum(1), delaySeconds: DELAY_MS / 1000, whenSubjectIn: [] } },
    },
    members: keyholders.map((k) => ({ identityKey: k.identityKey, name: k.name, groups: ['admins', 'keyholders'] })),
  }));
  return path;
}

describe(`governance of a vault's policy, with real processes (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;
  let listener: ChildProcess | undefined;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-e2e-governance-'));
    db = testDatabase();
    coordinator = await startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest' });
  });
  afterAll(async () => {
    if (listener !== undefined && listener.exitCode === null) listener.kill('SIGTERM');
    await coordinator.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('pins a change only with its quorum and after its delay, in every signer', async () => {
    const keyholders = await createCliKeyholders({ root, coordinatorUrl: coordinator.url, env: ENV, names: ['alice', 'bob', 'carol'] });
    const [alice, bob, carol] = keyholders as [CliKeyholder, CliKeyholder, CliKeyholder];
    const file = policyFile(keyholders, join(root, 'policy.json'));
    const created = await signer(alice.home, ['vault', 'create', '--name', 'governed', '--threshold', '2', '--member', 'alice', '--member', 'bob', '--member', 'carol', '--policy-file', file], ENV);
    const vaultId = String(created.vaultId);
    for (const k of keyholders) await signer(k.home, ['vault', 'pin', vaultId, '--yes'], ENV);

    // Bob listens: every governance push is told to him, and his signer pins what took effect by itself.
    listener = spawnSigner(bob.home, ['--json', 'listen', '--yes'], ENV);
    let heard = '';
    listener.stdout!.on('data', (c: Buffer) => (heard += c.toString()));
    await waitFor(() => heard.includes('"event":"connected"'), 'the listener connected');

    // An address-book entry: proposed by Alice, approved by Bob and Carol (two admins besides her).
    const proposed = await signer(alice.home, ['governance', 'propose', vaultId, '--op', 'address-book.add', '--address', PAYROLL, '--label', 'payroll', '--reason', 'monthly salaries', '--yes'], ENV);
    const entryChange = String(proposed.changeId);
    expect(proposed.description).toMatch(new RegExp(`^add address ${PAYROLL} labelled "payroll" to the address book; needs 2 from admins besides the proposer`));
    await waitFor(() => heard.includes('"event":"governance-proposed"') && heard.includes(entryChange), 'Bob was told of the proposal');

    const own = await runSigner(alice.home, ['--json', 'governance', 'approve', vaultId, entryChange, '--yes'], ENV);
    expect(own.code).toBe(4);
    expect(JSON.parse(own.stdout.trim()).error.code).toBe('FORBIDDEN');
    const listed = await signer(carol.home, ['governance', 'list', vaultId], ENV);
    expect(listed.changes).toEqual([expect.objectContaining({ changeId: entryChange, verdict: 'pending', op: 'address-book.add' })]);
    const byBob = await signer(bob.home, ['governance', 'approve', vaultId, entryChange, '--yes'], ENV);
    expect(byBob).toMatchObject({ approved: true, assessment: { verdict: 'pending', fill: { met: false } } });
    const byCarol = await signer(carol.home, ['governance', 'approve', vaultId, entryChange, '--yes'], ENV);
    expect(byCarol).toMatchObject({ approved: true, assessment: { verdict: 'ready', fill: { met: true } } });

    // Each signer pins it itself; Bob's listener did so on the push.
    await waitFor(() => heard.includes('"event":"governance-applied"'), 'Bob\'s listener pinned the entry');
    const shown = await signer(bob.home, ['policy', 'show', vaultId], ENV);
    expect(shown.addressBook).toEqual([expect.objectContaining({ address: PAYROLL, label: 'payroll', status: expect.objectContaining({ state: 'cooling-off' }) })]);
    expect(shown.appliedChanges).toEqual([expect.objectContaining({ changeId: entryChange, op: 'address-book.add' })]);
    for (const k of [alice, carol]) {
      const synced = await signer(k.home, ['governance', 'sync', vaultId], ENV);
      expect(synced.applied).toEqual([expect.objectContaining({ changeId: entryChange, op: 'address-book.add' })]);
    }
    const bobSync = await signer(bob.home, ['governance', 'sync', vaultId], ENV);
    expect(bobSync).toMatchObject({ applied: [], alreadyApplied: 1 });
    const usableFrom = Date.parse(((shown.addressBook as Array<{ status: { usableFrom: string } }>)[0]!.status.usableFrom));
    await sleep(usableFrom - Date.now() + 100);
    for (const k of keyholders) {
      const after = await signer(k.home, ['policy', 'show', vaultId], ENV);
      expect(after.addressBook).toEqual([expect.objectContaining({ address: PAYROLL, status: expect.objectContaining({ state: 'usable' }) })]);
      expect(after.hashes).toEqual(shown.hashes);
    }

    // Approved by too few: only Bob. Nobody pins it, however long they wait.
    const second = await signer(alice.home, ['governance', 'propose', vaultId, '--op', 'address-book.add', '--address', OTHER, '--label', 'unknown', '--yes'], ENV);
    await signer(bob.home, ['governance', 'approve', vaultId, String(second.changeId), '--yes'], ENV);

    // A support-desk reset: Carol's identity key replaced, proposed by Alice with nobody's approval. Carol's own never counts.
    const reset = await signer(alice.home, ['governance', 'propose', vaultId, '--op', 'member.replace-credentials', '--identity-key', 'carol', '--new-identity-key', NEW_KEY, '--reason', 'lost laptop', '--yes'], ENV);
    const selfApproval = await runSigner(carol.home, ['--json', 'governance', 'approve', vaultId, String(reset.changeId), '--yes'], ENV);
    expect(JSON.parse(selfApproval.stdout.trim()).error.code).toBe('FORBIDDEN');

    // A new rule set with the quorum: pending for its 2-second delay, then pinned.
    const rules = { ...(shown.rules as object), maxFeeRate: '250' };
    const rulesFile = join(root, 'rules-v2.json');
    writeFileSync(rulesFile, JSON.stringify(rules));
    const replace = await signer(alice.home, ['governance', 'propose', vaultId, '--op', 'policy.replace', '--policy-file', rulesFile, '--reason', 'lower the fee cap', '--yes'], ENV);
    expect(replace.change).toMatchObject({ policy: { version: 2, maxFeeRate: '250' } });
    await signer(bob.home, ['governance', 'approve', vaultId, String(replace.changeId), '--yes'], ENV);
    const quorate = await signer(carol.home, ['governance', 'approve', vaultId, String(replace.changeId), '--yes'], ENV);
    const assessment = quorate.assessment as { verdict: string; effectiveAt: string; reasons: string[] };
    expect(assessment.verdict).toBe('pending');
    expect(assessment.reasons).toEqual([expect.stringMatching(/^delay: the change takes effect at \S+ \([12] s left\)$/)]);
    expect(Date.parse(assessment.effectiveAt) - Date.now()).toBeLessThanOrEqual(DELAY_MS);

    // Bob's listener pins it by itself once the delay is over; the others when they sync.
    await waitFor(() => heard.includes(`"event":"governance-applied","vaultId":"${vaultId}","changeId":"${String(replace.changeId)}"`), 'Bob\'s listener pinned the new rule set');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(assessment.effectiveAt));
    for (const k of keyholders) {
      const synced = await signer(k.home, ['governance', 'sync', vaultId], ENV);
      expect((synced.applied as Array<{ changeId: string }>).map((a) => a.changeId)).toEqual(k === bob ? [] : [String(replace.changeId)]);
      // The coordinator's copy moved on with the same changes, part for part.
      expect(synced.differsFromCoordinator).toEqual([]);
      const stillPending = (synced.pending as Array<{ changeId: string; reasons: string[] }>);
      expect(stillPending.map((p) => p.changeId).sort()).toEqual([String(second.changeId), String(reset.changeId)].sort());
      expect(stillPending.find((p) => p.changeId === second.changeId)?.reasons).toEqual(['approvals: 1 of the 2 needed from admins (2 from admins, by distinct members)']);
      expect(stillPending.find((p) => p.changeId === reset.changeId)?.reasons).toEqual(['approvals: 0 of the 1 needed from admins (1 from admins, by distinct members)']);
      const policy = await signer(k.home, ['policy', 'show', vaultId], ENV);
      expect(policy.rules).toMatchObject({ version: 2, maxFeeRate: '250' });
      expect((policy.addressBook as unknown[]).length).toBe(1);
      expect((policy.members as Array<{ name: string; identityKey: string }>).find((m) => m.name === 'carol')?.identityKey).toBe(carol.identityKey);
    }
    // Every keyholder who listens is told of each step.
    expect(heard).toContain(`"event":"governance-proposed","vaultId":"${vaultId}","changeId":"${String(reset.changeId)}"`);
  }, TEST_TIMEOUT_MS);
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}
