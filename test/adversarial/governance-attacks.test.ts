/**
 * Attacks on a governed vault through the coordinator's REST API (DESIGN.md, "Why it exists";
 * invariants 2 and 8): one admin changing the policy alone, a member's credentials replaced
 * without the quorum (the support-desk reset), many small withdrawals that add up past the
 * velocity limit, a freshly added address paid before its cooling-off, and an address-book
 * entry that expired from disuse. Each must be refused, and the pinned policy stay as it was.
 */
import { MESSAGE_TYPES } from '../../protocol/api';
import { address } from '../../protocol/policy-engine/test-fixture';
import { DAY, type ErrorBody, HOUR, RULES, addToAddressBook, approveWithdrawal, proposeWithdrawal } from '../support/governed-vault';
import { type GovernedVaultStage, closeGovernedVault, stageGovernedVault } from '../support/governed-vault-stage';
import { DESTINATION, deposit } from '../support/vault-scenario';

describe(`governance attacks (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  // Filled in afresh by beforeEach: every test starts from its own coordinator and vault.
  let { coord, time, c, vault, gov } = {} as GovernedVaultStage;

  beforeEach(async () => {
    ({ coord, time, c, vault, gov } = await stageGovernedVault());
  });
  afterEach(() => closeGovernedVault({ coord, time }));

  it('one admin alone cannot change the policy: their own approval never counts, a forged one fails, and the delay never makes up the quorum', async () => {
    const before = await gov.policy();
    const proposed = await gov.propose(c.ada, { op: 'policy.replace', policy: { ...RULES, version: 2, withdrawals: { ...RULES.withdrawals, velocity: [] } } });
    const id = proposed.body.changeId;
    const own = await gov.approve(id, c.ada);
    expect([own.status, own.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    // An approval "by ben" that ada signed herself.
    const forged = { ...c.ada.sign(MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId: id }, time.now), signer: c.ben.identityKey };
    const res = await coord.call<ErrorBody>('POST', `/api/v1/vaults/${vault.id}/changes/${id}/approvals`, forged);
    expect([res.status, res.body.error.code]).toEqual([401, 'ENVELOPE_BAD_SIGNATURE']);
    // Someone outside the policy, e.g. the coordinator's operator.
    expect((await gov.approve(id, c.zed)).body.error?.code).toBe('NOT_A_MEMBER');
    // One accomplice is still one short of the two admins besides the proposer.
    await gov.approve(id, c.ben);
    time.advance(30 * DAY);
    const view = await gov.get(id);
    expect(view).toMatchObject({ status: 'pending', quorum: { met: false, byGroup: [{ group: 'admins', needed: 2, filled: 1 }] } });
    expect(view.problems.join()).toMatch(/approvals: 1 of the 2 needed from admins/);
    const after = await gov.policy();
    expect([after.policyHash, after.parts]).toEqual([before.policyHash, before.parts]);
  });

  it("a member's credentials replaced without the quorum stay pending, and the old key stays pinned", async () => {
    const thief = c.zed;
    const proposed = await gov.propose(c.ada, { op: 'member.replace-credentials', identityKey: c.alice.identityKey, newIdentityKey: thief.identityKey });
    const id = proposed.body.changeId;
    // The admins agree (a fooled support desk), but no other keyholder does.
    await gov.approve(id, c.ben);
    await gov.approve(id, c.carol);
    // The new key cannot vouch for itself, nor can the member being replaced (nor someone posing as them).
    expect((await gov.approve(id, thief)).body.error?.code).toBe('NOT_A_MEMBER');
    expect((await gov.approve(id, c.alice)).body.error?.code).toBe('FORBIDDEN');
    time.advance(7 * DAY);
    const view = await gov.get(id);
    expect(view).toMatchObject({ status: 'pending', quorum: { met: false } });
    expect(view.problems.join()).toMatch(/0 of the 1 needed from keyholders/);
    const members = ((await gov.policy()).policy as { members: { members: Array<{ identityKey: string; name: string }> } }).members.members;
    expect(members.find((m) => m.name === 'alice')?.identityKey).toBe(c.alice.identityKey);
    expect(members.map((m) => m.identityKey)).not.toContain(thief.identityKey);
    // The thief's key proposes nothing either.
    expect((await proposeWithdrawal(coord, vault, thief, time, [[DESTINATION, 10_000n]])).body.error?.code).toBe('NOT_A_MEMBER');
  });

  it('many small withdrawals that add up past the velocity limit are refused', async () => {
    await deposit(coord, vault, c.alice, Array.from({ length: 8 }, () => 200_000n));
    await addToAddressBook(gov, c, DESTINATION);
    time.advance(DAY);
    const outcomes: string[] = [];
    for (let i = 0; i < 8; i += 1) {
      const res = await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 100_000n]]);
      outcomes.push(res.status === 201 ? 'ok' : res.body.error!.code);
      if (res.status === 201) await approveWithdrawal(coord, res.body, c.bob, time);
      time.advance(HOUR);
    }
    // Cap 700 000 sat per rolling day: seven of 100 000, then refused.
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'VELOCITY_LIMIT_EXCEEDED']);
    const [n] = await coord.dataSource.query('SELECT COUNT(*) AS n FROM withdrawals');
    expect(Number(n.n)).toBe(7);
  });

  it('a freshly added address cannot be paid before its cooling-off is over', async () => {
    await deposit(coord, vault, c.alice, [400_000n]);
    const fresh = address(80);
    await addToAddressBook(gov, c, fresh);
    const early = await proposeWithdrawal(coord, vault, c.ian, time, [[fresh, 100_000n]]);
    expect([early.status, early.body.error?.code]).toEqual([422, 'DESTINATION_NOT_IN_ADDRESS_BOOK']);
    expect(early.body.error?.message).toMatch(/is cooling off until .* \(1 d left\)/);
    time.advance(RULES.addressBook.coolingOffSeconds * 1000 - 1000);
    expect((await proposeWithdrawal(coord, vault, c.ian, time, [[fresh, 100_000n]])).body.error?.code).toBe('DESTINATION_NOT_IN_ADDRESS_BOOK');
    time.advance(1000);
    expect((await proposeWithdrawal(coord, vault, c.ian, time, [[fresh, 100_000n]])).status).toBe(201);
  });

  it('an address-book entry unused for longer than the policy allows has expired', async () => {
    await deposit(coord, vault, c.alice, [400_000n]);
    await addToAddressBook(gov, c, DESTINATION);
    time.advance(RULES.addressBook.expireAfterDisuseSeconds * 1000);
    const late = await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 100_000n]]);
    expect([late.status, late.body.error?.code]).toEqual([422, 'DESTINATION_NOT_IN_ADDRESS_BOOK']);
    expect(late.body.error?.message).toMatch(/expired at .* after 30 d unused; approve it again/);
  });
});
