/**
 * Fee bumping (RBF) with real processes: a 2-of-3 vault needing one approval. A withdrawal is
 * signed and exported; a keyholder bumps its fee; it is approved and signed again; the new
 * transaction spends exactly the same coin, pays the same destination, pays a higher fee,
 * and conflicts with the first, so only one can ever confirm. The audit log verifies
 * throughout, and bad bumps are refused with their codes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transaction } from '@scure/btc-signer';
import { hexToBytes } from '@noble/hashes/utils.js';
import { depositToFirstAddress, setUpCliVault, signer } from '../support/cli-vault';
import { type Coordinator, runSigner, spawnSigner, startCoordinator } from '../support/processes';
import { type TestDatabase, testDatabase } from '../support/test-database';
import { memberFetch } from '../support/member-fetch';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const ENV = { CONCLAVE_PASSPHRASE: 'e2e passphrase', CONCLAVE_TEST_FAST_KDF: '1' };

function parseTx(hex: string) {
  const tx = Transaction.fromRaw(hexToBytes(hex), { allowUnknownOutputs: true });
  const inputs = Array.from({ length: tx.inputsLength }, (_, i) => tx.getInput(i)).map((i) => `${Buffer.from(i.txid!).toString('hex')}:${i.index}`);
  const outputs = Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i)).map((o) => ({ script: Buffer.from(o.script!).toString('hex'), amount: o.amount! }));
  return { id: tx.id, inputs, outputs, witnesses: Array.from({ length: tx.inputsLength }, (_, i) => tx.getInput(i).finalScriptWitness?.length ?? 0) };
}

describe(`fee bump (RBF) with real processes (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-e2e-bump-'));
    db = testDatabase();
    coordinator = await startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest' });
  });
  afterAll(async () => {
    await coordinator.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  const signOnce = (homes: string[]) => Promise.all(homes.map((home) => new Promise<number | null>((resolve) => {
    spawnSigner(home, ['--json', 'listen', '--yes', '--exit-after', '1'], ENV).on('exit', resolve);
  })));
  const transaction = async (id: string) => (await (await memberFetch(coordinator.url, join(root, 'alice'), `/api/v1/withdrawals/${id}/transaction`)).json()) as { hex: string };

  it('replaces an exported withdrawal\'s transaction with one that pays more fee from the same coin, approved and signed again', async () => {
    const vault = await setUpCliVault({ root, coordinatorUrl: coordinator.url, env: ENV, createArgs: ['--approvals', '1'] });
    const [alice, bob, carol] = vault.keyholders as [typeof vault.keyholders[0], typeof vault.keyholders[0], typeof vault.keyholders[0]];
    const coin = await depositToFirstAddress(vault, root, 1_000_000n, ENV);

    const proposal = await signer(alice.home, ['propose', vault.vaultId, '--to', DESTINATION, '--amount', '250000', '--fee-rate', '2'], ENV);
    const id = String(proposal.withdrawalId);
    const firstSigning = signOnce([bob.home, carol.home]);
    await signer(carol.home, ['approve', id, '--yes'], ENV);
    expect(await firstSigning).toEqual([0, 0]);
    const first = await signer(alice.home, ['withdrawal', 'show', id], ENV);
    expect(first.state).toBe('exported');
    const tx1 = parseTx((await transaction(id)).hex);

    // Refused bumps first: not a higher fee rate; and nothing changed.
    const lower = await runSigner(alice.home, ['--json', 'withdrawal', 'bump', id, '--fee-rate', '1'], ENV);
    expect(lower.code).not.toBe(0);
    expect(JSON.parse(lower.stdout.trim()).error.code).toBe('FEE_BUMP_INVALID');
    expect((await signer(alice.home, ['withdrawal', 'show', id], ENV)).state).toBe('exported');

    const bumped = await signer(bob.home, ['withdrawal', 'bump', id, '--fee-rate', '8'], ENV);
    expect(bumped).toMatchObject({ withdrawalId: id, state: 'awaiting_approval', replaces: first.intentHash });
    expect(BigInt(String(bumped.fee))).toBeGreaterThan(BigInt(String(first.fee)));

    // The bumper may not approve their own replacement; another keyholder does.
    const own = await runSigner(bob.home, ['--json', 'approve', id, '--yes'], ENV);
    expect(JSON.parse(own.stdout.trim()).error.code).toBe('FORBIDDEN');
    const secondSigning = signOnce([bob.home, carol.home]);
    await signer(alice.home, ['approve', id, '--yes'], ENV);
    expect(await secondSigning).toEqual([0, 0]);
    const second = await signer(alice.home, ['withdrawal', 'show', id], ENV);
    expect(second).toMatchObject({ state: 'exported', intentHash: bumped.intentHash });
    const tx2 = parseTx((await transaction(id)).hex);

    // Same coin, same payment, higher fee, a different transaction: they conflict.
    expect(tx2.id).not.toBe(tx1.id);
    expect(tx2.inputs).toEqual(tx1.inputs);
    expect(tx2.inputs).toEqual([`${coin.txid}:${coin.vout}`]);
    const paid = (tx: typeof tx1) => tx.outputs.find((o) => o.amount === 250_000n);
    expect(paid(tx2)).toEqual(paid(tx1));
    const total = (tx: typeof tx1) => tx.outputs.reduce((sum, o) => sum + o.amount, 0n);
    expect(1_000_000n - total(tx2)).toBe(BigInt(String(second.fee)));
    expect(1_000_000n - total(tx2)).toBeGreaterThan(1_000_000n - total(tx1));
    expect(tx2.witnesses).toEqual([4]);

    // A second bump needs a still higher rate; the audit log verifies, for the coordinator and for a signer.
    const stale = await runSigner(alice.home, ['--json', 'withdrawal', 'bump', id, '--fee-rate', '8'], ENV);
    expect(JSON.parse(stale.stdout.trim()).error.code).toBe('FEE_BUMP_INVALID');
    expect(await (await memberFetch(coordinator.url, join(root, 'alice'), `/api/v1/audit/verify`)).json()).toMatchObject({ valid: true });
    expect(await signer(carol.home, ['audit', 'verify'], ENV)).toMatchObject({ valid: true });
  });

  it('refuses to bump a withdrawal that has no signed transaction yet', async () => {
    const vault = await setUpCliVault({ root: join(root, 'early'), coordinatorUrl: coordinator.url, env: ENV, names: ['dave', 'erin', 'frank'], createArgs: ['--approvals', '1'] });
    await depositToFirstAddress(vault, root, 500_000n, ENV);
    const proposal = await signer(vault.keyholders[0]!.home, ['propose', vault.vaultId, '--to', DESTINATION, '--amount', '100000', '--fee-rate', '2'], ENV);
    const early = await runSigner(vault.keyholders[1]!.home, ['--json', 'withdrawal', 'bump', String(proposal.withdrawalId), '--fee-rate', '5'], ENV);
    expect(JSON.parse(early.stdout.trim()).error.code).toBe('WITHDRAWAL_STATE');
  });
});
