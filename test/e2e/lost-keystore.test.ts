/**
 * A lost laptop, with real processes (issue 5; DESIGN.md: no support-desk reset): in a governed
 * 2-of-3 vault, keyholder Bob loses his signer home. He restores his seed into a new home, which
 * makes a new identity key; Alice proposes `member.replace-credentials` for him, Carol approves
 * (an admin besides the proposer, and another keyholder: the members quorum), and
 * after the 2-second members delay the coordinator applies it. Alice's and Carol's signers pin
 * it, Bob's new home joins and pins the vault again, and Bob (new key) and Carol sign a
 * withdrawal to an address-book entry until it is exported. The old keystore is shut out, and
 * the audit log still verifies. Each step runs the commands docs/policy.md ("A lost laptop") gives.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MESSAGE_TYPES } from '../../protocol/api';
import { unlockKeystore } from '../../signer-cli/keystore/keystore';
import { createCliKeyholders, type CliKeyholder, signer } from '../support/cli-vault';
import { fakeFundingTx } from '../support/funding-tx';
import { memberFetch } from '../support/member-fetch';
import { type Coordinator, runSigner, spawnSigner, startCoordinator } from '../support/processes';
import { type TestDatabase, testDatabase } from '../support/test-database';
import { TRANSCRIPT_MNEMONICS } from '../support/test-keyholder';

const PASSPHRASE = 'e2e passphrase';
const ENV = { CONCLAVE_PASSPHRASE: PASSPHRASE, CONCLAVE_TEST_FAST_KDF: '1' };
const PAYROLL = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const DELAY_MS = 2_000;
const COOLING_OFF_MS = 2_000;
/** About thirty CLI runs, each a fresh process, and two short delays. */
const TEST_TIMEOUT_MS = 180_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function policyFile(keyholders: CliKeyholder[], path: string): string {
  const quorum = (group: string, count: number) => [{ group, count }];
  writeFileSync(path, JSON.stringify({
    rules: {
      format: 2,
      version: 1,
      maxFeeSats: '1000000',
      maxFeeRate: '500',
      withdrawals: { proposerGroups: ['keyholders'], tiers: [{ name: 'any', approvals: [], delaySeconds: 0 }], velocity: [] },
      addressBook: { quorum: quorum('admins', 2), coolingOffSeconds: COOLING_OFF_MS / 1000, expireAfterDisuseSeconds: 86_400 },
      changes: {
        policy: { quorum: quorum('admins', 2), delaySeconds: DELAY_MS / 1000 },
        // One admin besides the proposer and the member changed. Everyone here is an admin and a keyholder, and a
        // person fills one seat: with three members a separate keyholders seat (whenSubjectIn) could never be met.
        members: { quorum: quorum('admins', 1), delaySeconds: DELAY_MS / 1000, whenSubjectIn: [] },
      },
    },
    members: keyholders.map((k) => ({ identityKey: k.identityKey, name: k.name, groups: ['admins', 'keyholders'] })),
  }));
  return path;
}

interface ChangeRow { changeId: string; status: string }

describe(`a keyholder who lost their keystore goes on with a new identity key, with real processes (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;
  const listeners: ChildProcess[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-e2e-lost-keystore-'));
    db = testDatabase();
    coordinator = await startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest' });
  });
  afterAll(async () => {
    for (const l of listeners) if (l.exitCode === null) l.kill('SIGTERM');
    await coordinator.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('replaces Bob\'s identity key by quorum; his new home pins the vault and signs; the old key is shut out', async () => {
    const names = ['alice', 'bob', 'carol'];
    // Each keyholder wrote their recovery words down at init.
    names.forEach((name, i) => writeFileSync(join(root, `${name}.words`), TRANSCRIPT_MNEMONICS[i]!));
    for (const name of names) await signer(join(root, name), ['init', '--network', 'regtest', '--mnemonic-file', join(root, `${name}.words`)], ENV);
    const keyholders = await createCliKeyholders({ root, coordinatorUrl: coordinator.url, env: ENV, names, skipInit: true });
    const [alice, bob, carol] = keyholders as [CliKeyholder, CliKeyholder, CliKeyholder];
    const created = await signer(alice.home, ['vault', 'create', '--name', 'governed', '--threshold', '2', ...names.flatMap((n) => ['--member', n]), '--policy-file', policyFile(keyholders, join(root, 'policy.json'))], ENV);
    const vaultId = String(created.vaultId);
    let firstAddress = '';
    for (const k of keyholders) firstAddress = String((await signer(k.home, ['vault', 'pin', vaultId, '--yes'], ENV)).firstAddress);

    // The payroll address, approved while Bob still had his laptop; it cools off meanwhile.
    const entry = await signer(alice.home, ['governance', 'propose', vaultId, '--op', 'address-book.add', '--address', PAYROLL, '--label', 'payroll', '--yes'], ENV);
    for (const k of [bob, carol]) await signer(k.home, ['governance', 'approve', vaultId, String(entry.changeId), '--yes'], ENV);
    for (const k of keyholders) await signer(k.home, ['governance', 'sync', vaultId], ENV);
    const funding = fakeFundingTx([{ address: firstAddress, amount: 1_000_000n }], 'regtest');
    writeFileSync(join(root, 'funding.hex'), funding.hex);
    await signer(alice.home, ['deposit', vaultId, '--tx-file', join(root, 'funding.hex')], ENV);

    // 1. Bob's laptop is gone. On a new machine he restores his seed; init makes a NEW identity key.
    const newHome = join(root, 'bob-new');
    const restored = await signer(newHome, ['init', '--network', 'regtest', '--mnemonic-file', join(root, 'bob.words')], ENV);
    expect(restored).toMatchObject({ restored: true, accountKey: expect.objectContaining({ xpub: bob.xpub }) });
    const whoami = await signer(newHome, ['whoami'], ENV);
    const newKey = String(whoami.identityKey);
    expect(newKey).toBe(restored.identityKey);
    expect(newKey).not.toBe(bob.identityKey);

    // 2. Alice proposes the replacement; Carol's approval fills the quorum.
    const proposed = await signer(alice.home, ['governance', 'propose', vaultId, '--op', 'member.replace-credentials', '--identity-key', 'bob', '--new-identity-key', newKey, '--reason', 'lost laptop', '--yes'], ENV);
    const changeId = String(proposed.changeId);
    const approved = await signer(carol.home, ['governance', 'approve', vaultId, changeId, '--yes'], ENV);
    expect(approved).toMatchObject({ approved: true, assessment: { verdict: 'pending', fill: { met: true } } });
    const effectiveAt = Date.parse((approved.assessment as { effectiveAt: string }).effectiveAt);

    // The coordinator applies it by its own clock once the delay is over.
    await waitFor(async () => {
      const response = await memberFetch(coordinator.url, alice.home, `/api/v1/vaults/${vaultId}/changes`, PASSPHRASE);
      return ((await response.json()) as ChangeRow[]).some((c) => c.changeId === changeId && c.status === 'applied');
    }, 'the coordinator applied the replacement');
    expect(Date.now()).toBeGreaterThanOrEqual(effectiveAt);

    // 3. Alice's and Carol's signers pin it.
    for (const k of [alice, carol]) {
      const synced = await signer(k.home, ['governance', 'sync', vaultId], ENV);
      expect(synced.applied).toEqual([expect.objectContaining({ changeId, op: 'member.replace-credentials' })]);
      expect(synced.differsFromCoordinator).toEqual([]);
      const shown = await signer(k.home, ['policy', 'show', vaultId], ENV);
      expect((shown.members as Array<{ name: string; identityKey: string }>).find((m) => m.name === 'bob')?.identityKey).toBe(newKey);
    }

    // 4. Bob's new home joins (his member row carries the new key now) and pins the vault again.
    const joined = await signer(newHome, ['--coordinator', coordinator.url, 'join', '--name', 'bob'], ENV);
    expect(joined).toMatchObject({ identityKey: newKey, alreadyJoined: true });
    const pinned = await signer(newHome, ['vault', 'pin', vaultId, '--yes'], ENV);
    expect(pinned).toMatchObject({ firstAddress, ownIndex: expect.any(Number), alreadyPinned: false });
    expect((pinned.members as Array<{ name: string; identityKey: string; you: boolean }>).find((m) => m.you)).toMatchObject({ name: 'bob', identityKey: newKey });
    const bobPolicy = await signer(newHome, ['policy', 'show', vaultId], ENV);
    expect(bobPolicy.addressBook).toEqual([expect.objectContaining({ address: PAYROLL })]);

    // A withdrawal to the payroll entry, once it cooled off: Bob (new home) and Carol sign it.
    const usableFrom = Date.parse((bobPolicy.addressBook as Array<{ status: { usableFrom: string } }>)[0]!.status.usableFrom);
    await sleep(Math.max(0, usableFrom - Date.now() + 200));
    const signing = [listenOnce(newHome), listenOnce(carol.home)];
    const withdrawal = await signer(alice.home, ['propose', vaultId, '--to', PAYROLL, '--amount', '250000', '--fee-rate', '2'], ENV);
    const withdrawalId = String(withdrawal.withdrawalId);
    for (const result of await Promise.all(signing)) {
      expect(result.code).toBe(0);
      expect(result.lines.some((l) => l.event === 'signed' && l.withdrawalId === withdrawalId)).toBe(true);
    }
    const shown = await signer(alice.home, ['withdrawal', 'show', withdrawalId], ENV);
    expect(shown.state).toBe('exported');
    expect((shown.signatures as Array<{ identityKey: string }>).map((s) => s.identityKey).sort()).toEqual([newKey, carol.identityKey].sort());

    // The old keystore (a thief's copy) is refused: it cannot sign in, nor approve as Bob.
    const old = unlockKeystore(bob.home, PASSPHRASE);
    const { coordinatorKey } = (await (await fetch(`${coordinator.url}/api/v1/info`)).json()) as { coordinatorKey: string };
    const envelope = old.signEnvelope(MESSAGE_TYPES.sessionOpen, { coordinatorKey }, { now: new Date() });
    old.wipe();
    const signIn = await fetch(`${coordinator.url}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(envelope) });
    expect(signIn.status).toBeGreaterThanOrEqual(400);
    expect(signIn.status).toBeLessThan(500);
    expect(((await signIn.json()) as { error: { code: string } }).error.code).toBe('NOT_A_MEMBER');
    const next = await signer(alice.home, ['governance', 'propose', vaultId, '--op', 'address-book.remove', '--address', PAYROLL, '--yes'], ENV);
    const oldApproval = await runSigner(bob.home, ['--json', 'governance', 'approve', vaultId, String(next.changeId), '--yes'], ENV);
    expect(oldApproval.code).not.toBe(0);
    expect(JSON.parse(oldApproval.stdout.trim()).error.code).toBe('NOT_A_MEMBER');

    // The audit log, replacement included, verifies from Alice's signer.
    const audit = await signer(alice.home, ['audit', 'verify'], ENV);
    expect(audit).toMatchObject({ valid: true });
  }, TEST_TIMEOUT_MS);

  function listenOnce(home: string): Promise<{ code: number | null; lines: Array<Record<string, unknown>> }> {
    const child = spawnSigner(home, ['--json', 'listen', '--yes', '--exit-after', '1'], ENV);
    listeners.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    return new Promise((resolve) => child.on('exit', (code) => resolve({ code, lines: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) })));
  }
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await sleep(200);
  }
}
