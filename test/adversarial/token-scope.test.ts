/**
 * Named attacks on API tokens and roles (issue 5; DESIGN.md: "A stolen API token can only
 * propose"). With a stolen propose token an attacker tries to approve a withdrawal, to add an
 * address-book entry and to change the policy; expired and revoked tokens are tried; and an
 * auditor signs statements that would change things. Every attempt is refused by the access
 * gate, and nothing in the database moves.
 */
import { MESSAGE_TYPES } from '../../protocol/api';
import { type AccessCast, accessCast } from '../support/access-cast';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { DESTINATION, intent } from '../support/vault-scenario';

type Reply = { error?: { code: string; message: string } };

describe('token scope and roles under attack', () => {
  let coord: RunningCoordinator;
  let cast: AccessCast;
  beforeAll(async () => {
    coord = await startInProcessCoordinator();
    cast = await accessCast(coord);
  }, 120_000);
  afterAll(async () => coord.close());

  /** Everything an attack could have changed. */
  async function snapshot() {
    const n = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    const policies = await coord.dataSource.query('SELECT policy, policy_hash FROM vaults ORDER BY id');
    return {
      audit: await n('audit_events'), approvals: await n('approvals'), withdrawals: await n('withdrawals'), changes: await n('governance_changes'),
      tokens: await n('api_tokens'), revoked: await n('api_tokens WHERE revoked_at IS NOT NULL'), signatures: await n('partial_signatures'), policies,
    };
  }

  async function refused(reply: Promise<{ status: number; body: Reply }>, status: number, code: string): Promise<void> {
    const res = await reply;
    expect([res.status, res.body.error?.code]).toEqual([status, code]);
  }

  it('a propose token cannot approve a withdrawal, not even the one it proposed', async () => {
    const before = await snapshot();
    const w = cast.byToken;
    const approval = { withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash };
    await refused(coord.call('POST', `/api/v1/withdrawals/${w.id}/approvals`, approval, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    await refused(coord.call('POST', `/api/v1/withdrawals/${w.id}/signatures`, {}, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    await refused(coord.call('POST', `/api/v1/withdrawals/${w.id}/cancel`, {}, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    await refused(coord.call('POST', `/api/v1/withdrawals/${w.id}/bump`, { ...w.intent, feeRate: '9', replaces: w.intentHash }, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    expect(await snapshot()).toEqual(before);
  });

  it('a propose token cannot add an address-book entry', async () => {
    const before = await snapshot();
    const change = { vaultId: cast.governed.id, op: 'address-book.add', entry: { address: DESTINATION, label: 'attacker' } };
    await refused(coord.call('POST', `/api/v1/vaults/${cast.governed.id}/changes`, change, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    await refused(coord.call('POST', `/api/v1/vaults/${cast.governed.id}/changes/${'ab'.repeat(32)}/approvals`, {}, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    expect(await snapshot()).toEqual(before);
  });

  it('a propose token cannot change the policy, nor grant or revoke tokens', async () => {
    const before = await snapshot();
    const change = { vaultId: cast.governed.id, op: 'policy.replace', rules: { maxFeeSats: '99999999' } };
    await refused(coord.call('POST', `/api/v1/vaults/${cast.governed.id}/changes`, change, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    await refused(coord.call('POST', '/api/v1/vaults', {}, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    await refused(coord.call('POST', '/api/v1/tokens', { name: 'more', scope: 'propose' }, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    await refused(coord.call('POST', '/api/v1/tokens/revoke', {}, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    await refused(coord.call('GET', '/api/v1/tokens', undefined, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    // Nor read anything but its own withdrawals.
    await refused(coord.call('GET', '/api/v1/audit', undefined, { bearer: cast.tokens.propose }), 403, 'ACCESS_DENIED');
    expect((await coord.call('GET', `/api/v1/withdrawals/${cast.byToken.id}`, undefined, { bearer: cast.tokens.propose })).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  it('a read token changes nothing, and proposes nothing', async () => {
    const before = await snapshot();
    await refused(coord.call('POST', '/api/v1/withdrawals', { intent: intent(cast.simple) }, { bearer: cast.tokens.read }), 403, 'ACCESS_DENIED');
    await refused(coord.call('POST', `/api/v1/withdrawals/${cast.byToken.id}/approvals`, {}, { bearer: cast.tokens.read }), 403, 'ACCESS_DENIED');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an expired and a revoked token, whatever they ask', async () => {
    const before = await snapshot();
    await refused(coord.call('GET', '/api/v1/vaults', undefined, { bearer: cast.tokens.expired }), 401, 'AUTH_REQUIRED');
    await refused(coord.call('GET', `/api/v1/withdrawals/${cast.byToken.id}`, undefined, { bearer: cast.tokens.revoked }), 401, 'AUTH_REQUIRED');
    await refused(coord.call('POST', '/api/v1/withdrawals', { intent: intent(cast.simple) }, { bearer: cast.tokens.revoked }), 401, 'AUTH_REQUIRED');
    await refused(coord.call('POST', '/api/v1/withdrawals', { intent: intent(cast.simple) }, { bearer: 'ct_not-a-token-anyone-granted' }), 401, 'AUTH_REQUIRED');
    expect(await snapshot()).toEqual(before);
  });

  it("refuses an auditor's crafted POSTs: a valid signature by an auditor changes nothing", async () => {
    const before = await snapshot();
    const w = cast.byToken;
    const approve = cast.aud.sign(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash });
    await refused(coord.call('POST', `/api/v1/withdrawals/${w.id}/approvals`, approve), 403, 'ACCESS_DENIED');
    const cancel = cast.aud.sign(MESSAGE_TYPES.withdrawalCancel, { withdrawalId: w.id, intentHash: w.intentHash, reason: 'audit' });
    await refused(coord.call('POST', `/api/v1/withdrawals/${w.id}/cancel`, cancel), 403, 'ACCESS_DENIED');
    const propose = cast.aud.sign(MESSAGE_TYPES.withdrawalPropose, intent(cast.governed));
    await refused(coord.call('POST', `/api/v1/vaults/${cast.governed.id}/withdrawals`, propose), 403, 'ACCESS_DENIED');
    const change = cast.aud.sign(MESSAGE_TYPES.governancePropose, { vaultId: cast.governed.id, op: 'address-book.add' });
    await refused(coord.call('POST', `/api/v1/vaults/${cast.governed.id}/changes`, change), 403, 'ACCESS_DENIED');
    // With the auditor's session instead of a statement: the same refusal.
    await refused(coord.call('POST', `/api/v1/withdrawals/${w.id}/approvals`, {}, { bearer: await coord.sessionFor(cast.aud) }), 403, 'ACCESS_DENIED');
    // The auditor reads everything.
    expect((await coord.call('GET', '/api/v1/audit/verify', undefined, { as: cast.aud })).status).toBe(200);
    expect((await coord.call('GET', `/api/v1/withdrawals/${w.id}`, undefined, { as: cast.aud })).status).toBe(200);
    const after = await snapshot();
    expect(after).toEqual(before);
  });

  it('keeps the token proposal as evidence a signer can check: the grant and the coordinator\'s statement', async () => {
    const w = cast.byToken;
    expect(w.proposedBy).toBe(cast.alice.identityKey);
    const proposal = w.proposal as { format: string; grant: { signer: string; type: string }; statement: { signer: string; type: string; body: { tokenId: string } } };
    expect(proposal.format).toBe('token');
    expect(proposal.grant).toMatchObject({ type: MESSAGE_TYPES.tokenCreate, signer: cast.alice.identityKey });
    const info = await coord.call<{ coordinatorKey: string }>('GET', '/api/v1/info');
    expect(proposal.statement).toMatchObject({ type: MESSAGE_TYPES.withdrawalProposeByToken, signer: info.body.coordinatorKey });
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify', undefined, { as: cast.aud })).body.valid).toBe(true);
  });
});
