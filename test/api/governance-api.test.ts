/**
 * Governance through the REST API of a real coordinator (issue 5; invariant 8): a governed vault
 * is created with its policy; members propose changes to the address book, the members and the
 * rule set and approve them by signed statements; the coordinator's copy of the policy takes a
 * change only once its quorum (by group, never the proposer nor the member changed) and its
 * delay (by the coordinator's clock) are met; a change made for an earlier state is refused or
 * superseded; every keyholder is told; every step is an audit event that verifies.
 */
import { MESSAGE_TYPES, type VaultView } from '../../protocol/api';
import type { ChangeView } from '../../protocol/governance-api';
import { formatVaultDescriptor } from '../../protocol/descriptor';
import { type GovernedPolicy, policyHash } from '../../protocol/policy';
import { address } from '../../protocol/policy-engine/test-fixture';
import { ChangeSettlement } from '../../server/governance/change-settlement';
import { GovernanceChangeEntity } from '../../server/governance/governance-change.entity';
import { startInProcessCoordinator } from '../support/in-process-coordinator';
import { DAY, type ErrorBody, HOUR, RULES, cast, eventually, governedPolicy, listen } from '../support/governed-vault';
import { type GovernedVaultStage, closeGovernedVault, stageGovernedVault } from '../support/governed-vault-stage';
import { DESTINATION, setupVault } from '../support/vault-scenario';

const SECOND_ADDRESS = address(60);

describe(`governance API (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  // Filled in afresh by beforeEach: every test starts from its own coordinator and vault.
  let { coord, time, c, vault, gov } = {} as GovernedVaultStage;

  beforeEach(async () => {
    ({ coord, time, c, vault, gov } = await stageGovernedVault());
  });
  afterEach(() => closeGovernedVault({ coord, time }));

  const count = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const auditKinds = async (subject: string) => (await coord.call<Array<{ kind: string; actor: string | null }>>('GET', `/api/v1/audit?subject=${subject}`)).body;
  const expectVerified = async () => expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body).toMatchObject({ valid: true });

  it('creates a vault with a governed policy and shows it, with the hashes of its parts', async () => {
    expect(vault.policy).toEqual(governedPolicy(c));
    expect(vault.policyHash).toBe(policyHash(governedPolicy(c)));
    const view = await gov.policy();
    expect(view).toMatchObject({ vaultId: vault.id, version: 2, policyHash: vault.policyHash });
    expect(Object.keys(view.parts!)).toEqual(['policy', 'members', 'addressBook']);
  });

  it('refuses a governed policy whose keyholders group is not the vault\'s keyholders, whose address book is not empty, or whose quorums cannot be met', async () => {
    const create = (policy: GovernedPolicy, threshold = 3) => coord.call<ErrorBody>('POST', '/api/v1/vaults', c.alice.sign(MESSAGE_TYPES.vaultCreate, {
      name: 'other', network: 'regtest', threshold, members: c.keyholders.map((k) => k.identityKey),
      descriptor: formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: 'regtest', threshold, keys: c.keyholders.map((k) => k.accountKey) }), policy,
    }));
    const wrongGroup = governedPolicy(c);
    wrongGroup.members.members[2] = { ...wrongGroup.members.members[2]!, groups: ['admins'] };
    wrongGroup.members.members[3] = { ...wrongGroup.members.members[3]!, groups: ['admins', 'keyholders'] };
    const withBook = governedPolicy(c);
    withBook.addressBook = { revision: 1, entries: [{ address: DESTINATION, label: 'x', approvedAt: new Date().toISOString(), changeId: 'ab'.repeat(32) }] };
    const unreachable = governedPolicy(c, { ...RULES, addressBook: { ...RULES.addressBook, quorum: [{ group: 'admins', count: 5 }] } });
    const before = await count('vaults');
    for (const [policy, message] of [[wrongGroup, /keyholder carol is not in group "keyholders"/], [withBook, /must start empty/], [unreachable, /addressBook\.quorum/]] as const) {
      const res = await create(policy);
      expect([res.status, res.body.error.code]).toEqual([400, 'POLICY_RULES_INVALID']);
      expect(res.body.error.message).toMatch(message);
    }
    expect(await count('vaults')).toBe(before);
  });

  it('adds an address with two admins besides the proposer, tells every keyholder, and logs each step', async () => {
    const bob = await listen(coord, c.bob);
    const proposed = await gov.propose(c.carol, { op: 'address-book.add', address: DESTINATION, label: 'payroll' });
    expect(proposed.status).toBe(201);
    const id = proposed.body.changeId;
    expect(proposed.body).toMatchObject({ status: 'pending', op: 'address-book.add', proposer: c.carol.identityKey, quorum: { description: '2 from admins', met: false }, approvals: [] });

    const own = await gov.approve(id, c.carol);
    expect([own.status, own.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    const first = await gov.approve(id, c.ada);
    expect(first.body).toMatchObject({ status: 'pending', quorum: { byGroup: [{ group: 'admins', needed: 2, filled: 1 }] } });
    expect((await gov.policy()).policy).toMatchObject({ addressBook: { entries: [] } });
    const second = await gov.approve(id, c.ben);
    expect(second.body).toMatchObject({ status: 'applied', quorum: { met: true }, problems: [] });
    expect(second.body.approvals).toHaveLength(2);
    const policy = (await gov.policy()).policy;
    expect(policy).toMatchObject({ addressBook: { revision: 1, entries: [{ address: DESTINATION, label: 'payroll', changeId: id, approvedAt: time.now.toISOString() }] } });
    // An address-book change leaves the rule set, so intents keep their policy hash.
    expect((await coord.call<VaultView>('GET', `/api/v1/vaults/${vault.id}`)).body.policyHash).toBe(vault.policyHash);

    await eventually(() => bob.events.filter((e) => e.kind.startsWith('governance.')).length === 4);
    expect(bob.events.filter((e) => e.kind.startsWith('governance.')).map((e) => e.kind))
      .toEqual(['governance.proposed', 'governance.approved', 'governance.approved', 'governance.applied']);
    expect(bob.events.find((e) => e.kind === 'governance.applied')).toMatchObject({ vaultId: vault.id, changeId: id });
    bob.close();
    const events = await auditKinds(id);
    expect(events.map((e) => [e.kind, e.actor])).toEqual([
      ['governance.proposed', c.carol.identityKey], ['governance.approved', c.ada.identityKey], ['governance.approved', c.ben.identityKey], ['governance.applied', null],
    ]);
    await expectVerified();
  });

  it('replaces the rule set only after its quorum and its delay by the coordinator\'s clock', async () => {
    const next = { ...RULES, version: 2, maxFeeRate: '10' };
    const view = await gov.pass(c.ada, { op: 'policy.replace', policy: next }, [c.ben, c.carol]);
    expect(view).toMatchObject({ status: 'pending', quorum: { met: true }, delaySeconds: 48 * 3600 });
    expect(view.effectiveAt).toBe(new Date(time.now.getTime() + 2 * DAY).toISOString());
    expect(view.problems.join()).toMatch(/delay: the change takes effect at/);
    time.advance(2 * DAY - 1000);
    expect((await gov.get(view.changeId)).status).toBe('pending');
    expect((await gov.policy()).policyHash).toBe(vault.policyHash);
    time.advance(1000);
    const applied = await gov.get(view.changeId);
    expect(applied).toMatchObject({ status: 'applied', settledAt: time.now.toISOString() });
    const current = await gov.policy();
    expect(current.policy).toMatchObject({ rules: { version: 2, maxFeeRate: '10' } });
    expect(current.policyHash).not.toBe(vault.policyHash);
    expect((await coord.call<VaultView>('GET', `/api/v1/vaults/${vault.id}`)).body.policyHash).toBe(current.policyHash);
    await expectVerified();
  });

  it('applies a change whose delay ended by the periodic sweep, without anyone reading', async () => {
    const view = await gov.pass(c.ada, { op: 'member.set-groups', identityKey: c.ian.identityKey, groups: ['approvers', 'initiators'] }, [c.ben, c.carol]);
    expect(view.status).toBe('pending');
    time.advance(DAY);
    const stored = () => coord.dataSource.getRepository(GovernanceChangeEntity).findOneByOrFail({ changeId: view.changeId });
    expect((await stored()).status).toBe('pending');
    expect(await coord.app.get(ChangeSettlement).settleAll()).toEqual([view.changeId]);
    expect((await stored()).status).toBe('applied');
  });

  it('adds, regroups and removes a member, each with the members quorum and delay', async () => {
    const newcomer = cast().zed;
    const add = await gov.pass(c.ada, { op: 'member.add', member: { identityKey: newcomer.identityKey, name: 'nina', groups: ['approvers'] } }, [c.ben, c.carol]);
    time.advance(DAY);
    expect((await gov.get(add.changeId)).status).toBe('applied');
    const regroup = await gov.pass(c.ada, { op: 'member.set-groups', identityKey: newcomer.identityKey, groups: ['admins', 'approvers'] }, [c.ben, c.carol]);
    time.advance(DAY);
    expect((await gov.get(regroup.changeId)).status).toBe('applied');
    expect((await gov.policy()).policy).toMatchObject({ members: { revision: 2 } });
    // nina is an admin now: her approval counts, but never for a change about herself.
    const remove = await gov.propose(c.ada, { op: 'member.remove', identityKey: newcomer.identityKey });
    const self = await gov.approve(remove.body.changeId, newcomer);
    expect([self.status, self.body.error?.code, self.body.error?.message]).toEqual([403, 'FORBIDDEN', expect.stringMatching(/about, whose approval never counts/)]);
    await gov.approve(remove.body.changeId, c.ben);
    await gov.approve(remove.body.changeId, c.carol);
    time.advance(DAY);
    expect((await gov.get(remove.body.changeId)).status).toBe('applied');
    const members = ((await gov.policy()).policy as { members: { members: Array<{ identityKey: string }> } }).members.members;
    expect(members.map((m) => m.identityKey)).not.toContain(newcomer.identityKey);
    await expectVerified();
  });

  it('replaces a keyholder\'s credentials only with the admins and another keyholder, never the keyholder changed', async () => {
    const replacement = cast().zed.identityKey;
    const proposed = await gov.propose(c.ada, { op: 'member.replace-credentials', identityKey: c.alice.identityKey, newIdentityKey: replacement });
    expect(proposed.body.quorum.description).toBe('2 from admins + 1 from keyholders');
    const self = await gov.approve(proposed.body.changeId, c.alice);
    expect(self.body.error?.code).toBe('FORBIDDEN');
    await gov.approve(proposed.body.changeId, c.ben);
    const admins = await gov.approve(proposed.body.changeId, c.carol);
    // carol is an admin and a keyholder, but one person fills one seat.
    expect(admins.body.quorum).toMatchObject({ met: false, byGroup: [{ group: 'admins', needed: 2, filled: 2 }, { group: 'keyholders', needed: 1, filled: 0 }] });
    const full = await gov.approve(proposed.body.changeId, c.bob);
    expect(full.body.quorum.met).toBe(true);
    time.advance(DAY);
    expect((await gov.get(proposed.body.changeId)).status).toBe('applied');
    // The replacement ended every session of alice's old key, this test's reader until now.
    expect((await coord.call('GET', `/api/v1/vaults/${vault.id}/policy`)).status).toBe(401);
    coord.actAs(c.carol);
    const members = ((await gov.policy()).policy as { members: { members: Array<{ identityKey: string; name: string }> } }).members.members;
    expect(members.find((m) => m.name === 'alice')?.identityKey).toBe(replacement);
  });

  it('supersedes a pending change once another change to the same part applies, and refuses a proposal for an old base', async () => {
    const oldBase = (await gov.body({ op: 'address-book.add' })).base as string;
    const first = await gov.propose(c.carol, { op: 'address-book.add', address: DESTINATION, label: 'a' });
    const second = await gov.propose(c.carol, { op: 'address-book.add', address: SECOND_ADDRESS, label: 'b' });
    await gov.approve(first.body.changeId, c.ada);
    await gov.approve(first.body.changeId, c.ben);
    const superseded = await gov.get(second.body.changeId);
    expect(superseded).toMatchObject({ status: 'superseded', settledAt: time.now.toISOString() });
    expect(superseded.problems.join()).toMatch(/change\.base: made for addressBook/);
    const late = await gov.approve(second.body.changeId, c.ada);
    expect([late.status, late.body.error?.code]).toEqual([409, 'CHANGE_NOT_PENDING']);

    const before = await count('governance_changes');
    const stale = await coord.call<ChangeView & ErrorBody>('POST', `/api/v1/vaults/${vault.id}/changes`, c.carol.sign(MESSAGE_TYPES.governancePropose, {
      vaultId: vault.id, base: oldBase, reason: 'replayed', op: 'address-book.add', address: SECOND_ADDRESS, label: 'b',
    }, time.now));
    expect([stale.status, stale.body.error.code]).toEqual([422, 'POLICY_CHANGE_REFUSED']);
    expect(stale.body.error.message).toMatch(/stale or replayed/);
    expect(await count('governance_changes')).toBe(before);
    const kinds = (await auditKinds(second.body.changeId)).map((e) => e.kind);
    expect(kinds).toEqual(['governance.proposed', 'governance.superseded']);
    await expectVerified();
  });

  it('refuses bad statements with stable codes and writes nothing', async () => {
    const proposed = await gov.propose(c.carol, { op: 'address-book.add', address: DESTINATION, label: 'payroll' });
    const id = proposed.body.changeId;
    const tables = async () => [await count('governance_changes'), await count('governance_approvals'), await count('audit_events'), await count('used_nonces')];
    const before = await tables();
    const post = (path: string, body: unknown) => coord.call<ErrorBody>('POST', `/api/v1/vaults/${vault.id}${path}`, body);
    const body = await gov.body({ op: 'address-book.add', address: SECOND_ADDRESS, label: 'x' });
    const cases: Array<[string, Promise<{ status: number; body: ErrorBody }>, number, string]> = [
      ['wrong type', post('/changes', c.carol.sign(MESSAGE_TYPES.governanceApprove, body, time.now)), 400, 'ENVELOPE_WRONG_TYPE'],
      ['bad signature', post('/changes', { ...c.carol.sign(MESSAGE_TYPES.governancePropose, body, time.now), signer: c.ada.identityKey }), 401, 'ENVELOPE_BAD_SIGNATURE'],
      ['not a change', post('/changes', c.carol.sign(MESSAGE_TYPES.governancePropose, { ...body, op: 'vault.delete' }, time.now)), 400, 'VALIDATION_FAILED'],
      ['other vault', post('/changes', c.carol.sign(MESSAGE_TYPES.governancePropose, { ...body, vaultId: '8b3e4c60-af5d-4e7c-9091-2c3d4e5f6071' }, time.now)), 400, 'VALIDATION_FAILED'],
      ['outsider proposes', post('/changes', c.zed.sign(MESSAGE_TYPES.governancePropose, body, time.now)), 403, 'NOT_A_MEMBER'],
      ['outsider approves', post(`/changes/${id}/approvals`, c.zed.sign(MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId: id }, time.now)), 403, 'NOT_A_MEMBER'],
      ['approval of another change', post(`/changes/${id}/approvals`, c.ada.sign(MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId: 'cd'.repeat(32) }, time.now)), 400, 'VALIDATION_FAILED'],
      ['unknown change', post(`/changes/${'cd'.repeat(32)}/approvals`, c.ada.sign(MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId: 'cd'.repeat(32) }, time.now)), 404, 'CHANGE_NOT_FOUND'],
      ['expired', post(`/changes/${id}/approvals`, c.ada.sign(MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId: id }, new Date(time.now.getTime() - 2 * HOUR))), 401, 'ENVELOPE_EXPIRED'],
      ['not JSON', post('/changes', '{"v":'), 400, 'MALFORMED_JSON'],
    ];
    for (const [name, reply, status, code] of cases) {
      const res = await reply;
      expect([name, res.status, res.body.error?.code]).toEqual([name, status, code]);
    }
    expect((await coord.call<ErrorBody>('GET', `/api/v1/vaults/${vault.id}/changes/nothex`)).body.error.code).toBe('VALIDATION_FAILED');
    expect((await coord.call<ErrorBody>('GET', `/api/v1/vaults/${vault.id}/changes?status=done`)).body.error.code).toBe('VALIDATION_FAILED');
    expect(await tables()).toEqual(before);

    const approval = c.ada.sign(MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId: id }, time.now);
    expect((await post(`/changes/${id}/approvals`, approval)).status).toBe(200);
    const replayed = await post(`/changes/${id}/approvals`, approval);
    expect([replayed.status, replayed.body.error.code]).toEqual([409, 'ENVELOPE_REPLAYED']);
  });

  it('re-sending the same proposal returns the filed change, and lists filter by status', async () => {
    const envelope = c.carol.sign(MESSAGE_TYPES.governancePropose, await gov.body({ op: 'address-book.add', address: DESTINATION, label: 'p' }), time.now);
    const first = await coord.call<ChangeView>('POST', `/api/v1/vaults/${vault.id}/changes`, envelope);
    const again = await coord.call<ChangeView>('POST', `/api/v1/vaults/${vault.id}/changes`, envelope);
    expect([first.status, again.status, again.body.changeId]).toEqual([201, 200, first.body.changeId]);
    expect((await coord.call<ChangeView[]>('GET', `/api/v1/vaults/${vault.id}/changes?status=pending`)).body.map((v) => v.changeId)).toEqual([first.body.changeId]);
    expect((await coord.call<ChangeView[]>('GET', `/api/v1/vaults/${vault.id}/changes?status=applied`)).body).toEqual([]);
  });

  it('refuses changes on a vault with a simple policy', async () => {
    const fresh = await startInProcessCoordinator();
    try {
      const simple = await setupVault(fresh, c.keyholders, 2);
      const res = await fresh.call<ErrorBody>('POST', `/api/v1/vaults/${simple.id}/changes`, c.alice.sign(MESSAGE_TYPES.governancePropose, {
        vaultId: simple.id, base: 'ab'.repeat(32), reason: '', op: 'address-book.add', address: DESTINATION, label: 'x',
      }));
      expect([res.status, res.body.error.code]).toEqual([409, 'POLICY_NOT_GOVERNED']);
      expect((await fresh.call<{ version: number; parts: null }>('GET', `/api/v1/vaults/${simple.id}/policy`)).body).toMatchObject({ version: 1, parts: null });
    } finally {
      await fresh.close();
    }
  });
});
