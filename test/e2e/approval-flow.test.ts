/**
 * Approvals with real processes: a vault whose pinned policy needs one approval. The listening
 * signers do not sign until a keyholder other than the proposer runs `approve`; the proposer's
 * own `approve` is refused by their signer before anything is sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { depositToFirstAddress, setUpCliVault, signer } from '../support/cli-vault';
import { type Coordinator, runSigner, spawnSigner, startCoordinator } from '../support/processes';
import { type TestDatabase, testDatabase } from '../support/test-database';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const ENV = { CONCLAVE_PASSPHRASE: 'e2e passphrase', CONCLAVE_TEST_FAST_KDF: '1' };

describe(`approval before signing, with real processes (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-e2e-approve-'));
    db = testDatabase();
    coordinator = await startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest' });
  });
  afterAll(async () => {
    await coordinator.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('signs only after a keyholder other than the proposer approved', async () => {
    const vault = await setUpCliVault({ root, coordinatorUrl: coordinator.url, env: ENV, createArgs: ['--approvals', '1'] });
    const [alice, bob, carol] = vault.keyholders as [typeof vault.keyholders[0], typeof vault.keyholders[0], typeof vault.keyholders[0]];
    await depositToFirstAddress(vault, root, 1_000_000n, ENV);
    const listener = spawnSigner(bob.home, ['--json', 'listen', '--yes', '--exit-after', '1'], ENV);
    let lines = '';
    listener.stdout!.on('data', (c: Buffer) => (lines += c.toString()));
    const exited = new Promise<number | null>((resolve) => listener.on('exit', resolve));

    const proposal = await signer(alice.home, ['propose', vault.vaultId, '--to', DESTINATION, '--amount', '250000', '--fee-rate', '2'], ENV);
    const id = String(proposal.withdrawalId);
    expect(proposal.state).toBe('awaiting_approval');

    const own = await runSigner(alice.home, ['--json', 'approve', id, '--yes'], ENV);
    expect(own.code).toBe(4);
    expect(JSON.parse(own.stdout.trim()).error.code).toBe('FORBIDDEN');
    const shown = await signer(alice.home, ['withdrawal', 'show', id], ENV);
    expect(shown.state).toBe('awaiting_approval');
    expect(lines).not.toContain('"signed"');

    const approved = await signer(carol.home, ['approve', id, '--yes'], ENV);
    expect(approved).toMatchObject({ withdrawalId: id, state: 'signing', approvals: 1, required: 1 });
    expect(await exited).toBe(0);
    expect(lines).toContain('"signed"');
    // Carol approved but has not signed: one signature of two so far.
    expect((await signer(alice.home, ['withdrawal', 'show', id], ENV)).signatures).toHaveLength(1);
  });

  it('lets a keyholder cancel a withdrawal nobody has signed', async () => {
    const vault = await setUpCliVault({ root: join(root, 'cancel'), coordinatorUrl: coordinator.url, env: ENV, names: ['dave', 'erin', 'frank'], createArgs: ['--approvals', '1'] });
    await depositToFirstAddress(vault, root, 500_000n, ENV);
    const proposal = await signer(vault.keyholders[0]!.home, ['propose', vault.vaultId, '--to', DESTINATION, '--amount', '100000', '--fee-rate', '2'], ENV);
    const cancelled = await signer(vault.keyholders[1]!.home, ['withdrawal', 'cancel', String(proposal.withdrawalId), '--reason', 'not needed'], ENV);
    expect(cancelled).toMatchObject({ withdrawalId: proposal.withdrawalId, state: 'cancelled' });
  });
});
