/**
 * Approvals through the REST API: under a policy of one approval, a proposal waits in
 * `awaiting_approval`, nobody can sign before the approval, the proposer cannot approve their
 * own withdrawal, and an intent under another policy or above its caps is refused.
 */
import { MESSAGE_TYPES, type VaultView, type WithdrawalView } from '../../protocol/api';
import { signVaultInputs } from '../../protocol/psbt';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';
import { deposit, intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';

type ErrorBody = { error: { code: string; message: string } };
const POLICY = { version: 1 as const, requiredApprovals: 1, maxFeeSats: '20000', maxFeeRate: '20' };

describe('approvals', () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  let vault: VaultView;

  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    keyholders = threeKeyholders();
    vault = await setupVault(coord, keyholders, 2, POLICY);
    await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
  });
  afterEach(async () => coord.close());

  const approve = (w: WithdrawalView, by: TestKeyholder, overrides: Record<string, string> = {}) =>
    coord.call<WithdrawalView & ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/approvals`, by.sign(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash, ...overrides }));
  const sign = (w: WithdrawalView, by: TestKeyholder) => coord.call<WithdrawalView & ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/signatures`, by.sign(MESSAGE_TYPES.withdrawalSignature, {
    withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid,
    partialSigs: signVaultInputs(w.psbt, by.account, { fingerprint: by.accountKey.fingerprint, path: by.accountPath }, [0]).partialSigs,
  }));

  it('holds a proposal until a keyholder other than the proposer approves it', async () => {
    const [alice, bob, carol] = keyholders as [TestKeyholder, TestKeyholder, TestKeyholder];
    const w = (await propose(coord, vault, alice, intent(vault))).body;
    expect(w.state).toBe('awaiting_approval');
    const early = await sign(w, bob);
    expect([early.status, early.body.error.code]).toEqual([409, 'WITHDRAWAL_STATE']);
    const own = await approve(w, alice);
    expect([own.status, own.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const outsider = testKeyholder('mallory', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
    await coord.call('POST', '/api/v1/members', outsider.sign(MESSAGE_TYPES.memberJoin, { name: 'mallory', network: 'regtest', accountKey: outsider.accountKey }));
    expect((await approve(w, outsider)).body.error.code).toBe('NOT_A_MEMBER');
    expect((await approve(w, bob, { intentHash: 'ab'.repeat(32) })).body.error.code).toBe('APPROVAL_INVALID');
    expect((await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${w.id}`)).body).toMatchObject({ state: 'awaiting_approval', approvals: [] });

    const approved = await approve(w, carol);
    expect(approved.status).toBe(200);
    expect(approved.body.state).toBe('signing');
    expect(approved.body.approvals).toHaveLength(1);
    await sign(w, bob);
    expect((await sign(w, carol)).body.state).toBe('exported');
    const kinds = (await coord.call<Array<{ kind: string }>>('GET', `/api/v1/audit?subject=${w.id}`)).body.map((e) => e.kind);
    expect(kinds).toEqual(['withdrawal.proposed', 'withdrawal.awaiting_approval', 'approval.received', 'withdrawal.approved', 'withdrawal.signing',
      'signature.received', 'signature.received', 'withdrawal.signed', 'withdrawal.exported']);
  });

  it('refuses an intent under another policy, and fees above the policy caps', async () => {
    const alice = keyholders[0]!;
    const other = await propose(coord, vault, alice, intent(vault, { policyHash: 'ab'.repeat(32) }));
    expect([other.status, (other.body as unknown as ErrorBody).error.code]).toEqual([422, 'POLICY_MISMATCH']);
    const fast = await propose(coord, vault, alice, intent(vault, { feeRate: '25' }));
    expect((fast.body as unknown as ErrorBody).error.code).toBe('POLICY_MISMATCH');
    const [count] = await coord.dataSource.query('SELECT COUNT(*) AS n FROM withdrawals');
    expect(Number(count.n)).toBe(0);
  });
});
