/**
 * The withdrawal workflow of a governed vault through the REST API of a real coordinator
 * (issue 5): only members of a proposing group propose; approvals fill the tier's seats by
 * group and never count the proposer; signing is requested only once the tier's delay, by the
 * coordinator's clock, is over; destinations come from the address book; velocity limits count
 * the coordinator's own records. Each refusal comes early, with its own code, and writes nothing.
 */
import type { WithdrawalView } from '../../protocol/api';
import { address } from '../../protocol/policy-engine/test-fixture';
import { WithdrawalProgress } from '../../server/withdrawals/withdrawal-progress';
import { DAY, HOUR, RULES, approveWithdrawal, proposeWithdrawal, signWithdrawal } from '../support/governed-vault';
import { type GovernedVaultStage, closeGovernedVault, stageGovernedVault } from '../support/governed-vault-stage';
import { DESTINATION } from '../support/vault-scenario';

describe(`governed withdrawals (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  // Filled in afresh by beforeEach: every test starts from its own coordinator and vault.
  let { coord, time, c, vault, gov } = {} as GovernedVaultStage;

  beforeEach(async () => {
    ({ coord, time, c, vault, gov } = await stageGovernedVault({ deposits: [400_000n, 400_000n, 400_000n, 600_000n], payees: [DESTINATION] }));
  });
  afterEach(() => closeGovernedVault({ coord, time }));

  const count = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const kinds = async (id: string) => (await coord.call<Array<{ kind: string }>>('GET', `/api/v1/audit?subject=${id}`)).body.map((e) => e.kind);

  it('lets only members of a proposing group propose, and refuses the rest before writing anything', async () => {
    const before = [await count('withdrawals'), await count('used_nonces')];
    const admin = await proposeWithdrawal(coord, vault, c.ada, time, [[DESTINATION, 100_000n]]);
    expect([admin.status, admin.body.error?.code, admin.body.error?.message]).toEqual([403, 'FORBIDDEN', expect.stringMatching(/ada may not propose withdrawals: only members of initiators, keyholders may/)]);
    const outsider = await proposeWithdrawal(coord, vault, c.zed, time, [[DESTINATION, 100_000n]]);
    expect([outsider.status, outsider.body.error?.code]).toEqual([403, 'NOT_A_MEMBER']);
    expect([await count('withdrawals'), await count('used_nonces')]).toEqual(before);
    // The initiator holds no key and never joined the coordinator: the policy makes them a proposer.
    const initiator = await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 100_000n]]);
    expect([initiator.status, initiator.body.state]).toEqual([201, 'awaiting_approval']);
  });

  it('counts approvals by the small tier\'s group, never the proposer, and then asks the keyholders to sign', async () => {
    const w = (await proposeWithdrawal(coord, vault, c.alice, time, [[DESTINATION, 250_000n]])).body;
    expect(w.state).toBe('awaiting_approval');
    const own = await approveWithdrawal(coord, w, c.alice, time);
    expect([own.status, own.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    const admin = await approveWithdrawal(coord, w, c.ada, time);
    expect([admin.status, admin.body.error?.code, admin.body.error?.message]).toEqual([403, 'FORBIDDEN', expect.stringMatching(/none of the groups .*\(tier "small": 1 from approvers\)/)]);
    const outsider = await approveWithdrawal(coord, w, c.zed, time);
    expect(outsider.body.error?.code).toBe('NOT_A_MEMBER');
    const approved = await approveWithdrawal(coord, w, c.bob, time);
    expect([approved.status, approved.body.state]).toEqual([200, 'signing']);
    await signWithdrawal(coord, w, c.bob, time);
    expect((await signWithdrawal(coord, w, c.carol, time)).body.state).toBe('exported');
    expect(await kinds(w.id)).toEqual(['withdrawal.proposed', 'withdrawal.awaiting_approval', 'approval.received', 'withdrawal.approved', 'withdrawal.signing',
      'signature.received', 'signature.received', 'withdrawal.signed', 'withdrawal.exported']);
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body).toMatchObject({ valid: true });
  });

  it('holds a large withdrawal until an approver and an admin approved, then until its delay is over', async () => {
    const w = (await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 500_000n]])).body;
    const proposedAt = time.now;
    expect((await approveWithdrawal(coord, w, c.alice, time)).body.state).toBe('awaiting_approval');
    time.advance(HOUR);
    const approved = await approveWithdrawal(coord, w, c.carol, time);
    expect(approved.body.state).toBe('approved');
    const early = await signWithdrawal(coord, w, c.bob, time);
    expect([early.status, (early.body as unknown as { error: { code: string } }).error.code]).toEqual([409, 'WITHDRAWAL_STATE']);
    const progress = coord.app.get(WithdrawalProgress);
    time.advance(5 * HOUR - 1000);
    expect(await progress.releaseDue()).toEqual([]);
    time.advance(1000);
    expect(time.now.getTime() - proposedAt.getTime()).toBe(RULES.withdrawals.tiers[1]!.delaySeconds * 1000);
    expect(await progress.releaseDue()).toEqual([w.id]);
    expect((await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${w.id}`)).body.state).toBe('signing');
    const audit = (await coord.call<Array<{ kind: string; payload: Record<string, unknown> }>>('GET', `/api/v1/audit?subject=${w.id}`)).body;
    expect(audit.map((e) => e.kind)).toEqual(['withdrawal.proposed', 'withdrawal.awaiting_approval', 'approval.received', 'approval.received', 'withdrawal.approved', 'withdrawal.signing']);
    expect(audit[1]!.payload).toMatchObject({ tier: 'large', quorum: '1 from approvers + 1 from admins', requiredApprovals: 2, delaySeconds: 6 * 3600 });
  });

  it('refuses a destination outside the address book, an amount above the highest tier, and one over the velocity limit', async () => {
    const before = await count('withdrawals');
    const stranger = await proposeWithdrawal(coord, vault, c.ian, time, [[address(70), 100_000n]]);
    expect([stranger.status, stranger.body.error?.code]).toEqual([422, 'DESTINATION_NOT_IN_ADDRESS_BOOK']);
    expect(stranger.body.error?.message).toMatch(/envelope\.body\.outputs\[0\]: .* is not in the address book/);
    const huge = await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 1_000_000n]]);
    expect([huge.status, huge.body.error?.code]).toEqual([422, 'POLICY_MISMATCH']);
    expect(await count('withdrawals')).toBe(before);

    expect((await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 500_000n]])).status).toBe(201);
    const over = await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 250_000n]]);
    expect([over.status, over.body.error?.code]).toEqual([422, 'VELOCITY_LIMIT_EXCEEDED']);
    expect(over.body.error?.message).toMatch(/500000 sat proposed in the last 1 d plus this withdrawal's 250000 sat is 750000 sat, over the cap of 700000 sat/);
    expect((await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 200_000n]])).status).toBe(201);
    // The window rolls: a day later the earlier payouts no longer count.
    time.advance(DAY + 1000);
    expect((await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 250_000n]])).status).toBe(201);
  });

  it('refuses approvals of a withdrawal made under a rule set that a change has since replaced', async () => {
    const w = (await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 100_000n]], { expiresAt: new Date(time.now.getTime() + 5 * DAY).toISOString() })).body;
    const change = await gov.pass(c.ada, { op: 'policy.replace', policy: { ...RULES, version: 2 } }, [c.ben, c.carol]);
    time.advance(2 * DAY);
    expect((await gov.get(change.changeId)).status).toBe('applied');
    const late = await approveWithdrawal(coord, w, c.bob, time);
    expect([late.status, late.body.error?.code]).toEqual([422, 'POLICY_MISMATCH']);
    const stale = await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 100_000n]]);
    expect(stale.body.error?.code).toBe('POLICY_MISMATCH');
    const current = (await gov.policy()).policyHash;
    expect((await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 100_000n]], { policyHash: current })).status).toBe(201);
  });
});
