/**
 * Signed webhook endpoints (issue 6) through a real coordinator in process: registration by
 * administrators only (the secret shown once, never stored in the clear), listing by
 * administrators and auditors, refused registrations and URLs with nothing written, and the
 * governance changes of a governed vault told to every endpoint registered for it, signed.
 * Deliveries of withdrawals, retries and disabling are in webhook-deliveries-api.test.ts.
 */
import type { AuditEventView } from '../../protocol/api';
import { verifyWebhook } from '../../protocol/webhooks';
import { type ErrorBody, Governance, type TestTime } from '../support/governed-vault';
import { DESTINATION } from '../support/vault-scenario';
import { type OpenWebhookStage, WebhookStage } from '../support/webhook-stage';

describe('signed webhooks: endpoints', () => {
  const stage = new WebhookStage();
  const { dan, pump, receiver, create, list, deliveries, count } = stage;
  // Filled in by beforeAll: one coordinator for the suite, its tests in order.
  let { coord, cast, ops } = {} as OpenWebhookStage;

  beforeAll(async () => {
    ({ coord, cast, ops } = await stage.open());
  }, 120_000);
  afterAll(() => stage.close());

  it('lets an administrator register an endpoint, shows its secret once, and lists it to administrators and auditors without it', async () => {
    const hook = await receiver();
    const governed = await create(cast.ada, { url: hook.url, events: ['governance.proposed', 'governance.approved', 'governance.applied'], vaultIds: [cast.governed.id] });
    expect(governed.status).toBe(201);
    expect(governed.body).toMatchObject({ url: hook.url, vaultIds: [cast.governed.id], createdBy: cast.ada.identityKey, status: 'active', description: 'test' });
    expect(governed.body.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    // A keyholder of a simple vault administers it; with no vaultIds, every vault the signer administers.
    const simple = await create(cast.alice, { url: hook.url, events: ['withdrawal.approved'] });
    expect([simple.status, simple.body.vaultIds]).toEqual([201, [cast.simple.id]]);

    const byAuditor = await list(cast.aud);
    expect(byAuditor.status).toBe(200);
    expect(byAuditor.body.map((e) => e.id)).toEqual([governed.body.id]);
    expect(JSON.stringify(byAuditor.body)).not.toContain(governed.body.secret);
    expect(byAuditor.body[0]).not.toHaveProperty('secret');
    expect((await list(cast.ada)).body.map((e) => e.id)).toEqual([governed.body.id]);
    expect((await list(cast.alice)).body.map((e) => e.id)).toEqual([simple.body.id]);

    // Stored sealed: the database does not hold the secret.
    const rows = await coord.dataSource.query('SELECT * FROM webhook_endpoints');
    expect(JSON.stringify(rows)).not.toContain(governed.body.secret.slice('whsec_'.length));
    const created = (await coord.call<AuditEventView[]>('GET', `/api/v1/audit?subject=${governed.body.id}`)).body;
    expect(created.map((e) => e.kind)).toEqual(['webhook.created']);
    expect(JSON.stringify(created)).not.toContain(governed.body.secret.slice('whsec_'.length));
  });

  it('refuses to let an auditor, an initiator, or someone who does not administer the vault register one, and writes nothing', async () => {
    await coord.sessionFor(cast.ian); // signing in consumes a nonce of its own; open it before counting
    const before = { endpoints: await count('webhook_endpoints'), nonces: await count('used_nonces'), audit: await count('audit_events') };
    const body = { url: 'https://hooks.example.com/', events: ['withdrawal.approved'], vaultIds: [cast.governed.id] };
    const auditor = await create(cast.aud, body);
    expect([auditor.status, auditor.body.error?.code]).toEqual([403, 'ACCESS_DENIED']);
    const initiator = await create(cast.ian, body);
    expect([initiator.status, initiator.body.error?.code]).toEqual([403, 'ACCESS_DENIED']);
    // Alice is a keyholder of the governed vault, not one of its admins.
    const keyholderOfGoverned = await create(cast.alice, body);
    expect([keyholderOfGoverned.status, keyholderOfGoverned.body.error?.code]).toEqual([403, 'WEBHOOK_NOT_ADMIN']);
    const { vaultIds: _all, ...anyVault } = body;
    const approver = await create(cast.apo, anyVault);
    expect([approver.status, approver.body.error?.code]).toEqual([403, 'ACCESS_DENIED']);
    // An auditor reads; an initiator and an API token do not.
    expect((await list(cast.ian)).body.error?.code).toBe('ACCESS_DENIED');
    expect((await coord.call<ErrorBody>('GET', '/api/v1/webhooks', undefined, { bearer: cast.tokens.read })).body.error.code).toBe('ACCESS_DENIED');
    expect({ endpoints: await count('webhook_endpoints'), nonces: await count('used_nonces'), audit: await count('audit_events') }).toEqual(before);
  });

  it('refuses bad URLs, unknown events and unknown vaults with stable codes, and writes nothing', async () => {
    const before = { endpoints: await count('webhook_endpoints'), nonces: await count('used_nonces'), audit: await count('audit_events') };
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ url: 'ftp://hooks.example.com/in' }, 400, 'WEBHOOK_URL_INVALID'],
      [{ url: 'javascript:alert(1)' }, 400, 'WEBHOOK_URL_INVALID'],
      [{ url: 'https://user:password@hooks.example.com/in' }, 400, 'WEBHOOK_URL_INVALID'],
      [{ url: 'https://hooks.example.com/in#part' }, 400, 'WEBHOOK_URL_INVALID'],
      [{ url: 'hooks.example.com/in' }, 400, 'WEBHOOK_URL_INVALID'],
      [{ url: `https://hooks.example.com/${'a'.repeat(2100)}` }, 400, 'VALIDATION_FAILED'],
      [{ events: ['withdrawal.teleported'] }, 400, 'VALIDATION_FAILED'],
      [{ events: [] }, 400, 'VALIDATION_FAILED'],
      [{ vaultIds: ['00000000-0000-4000-8000-000000000000'] }, 404, 'VAULT_NOT_FOUND'],
      [{ secret: 'chosen by me' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [change, status, code] of cases) {
      const res = await create(dan, { url: 'https://hooks.example.com/in', events: ['withdrawal.approved'], vaultIds: [ops.id], ...change });
      expect([JSON.stringify(change).slice(0, 60), res.status, res.body.error?.code]).toEqual([JSON.stringify(change).slice(0, 60), status, code]);
    }
    expect({ endpoints: await count('webhook_endpoints'), nonces: await count('used_nonces'), audit: await count('audit_events') }).toEqual(before);
  });

  it('notifies governance changes to the governed vault\'s endpoint, and the audit chain still verifies', async () => {
    const hook = await receiver();
    const created = await create(cast.ada, { url: hook.url, events: ['governance.proposed', 'governance.approved', 'governance.applied'], vaultIds: [cast.governed.id] });
    const gov = new Governance(coord, cast.governed.id, { get now() { return new Date(); } } as unknown as TestTime);
    const change = await gov.pass(cast.carol, { op: 'address-book.add', address: DESTINATION, label: 'payee' }, [cast.ada, cast.ben]);
    expect(change.status).toBe('applied');
    await pump(stage.clock);
    expect(hook.requests.map((r) => [r.payload.event, r.payload.state, r.payload.op, r.payload.changeId, r.payload.vaultId])).toEqual([
      ['governance.proposed', 'pending', 'address-book.add', change.changeId, cast.governed.id],
      ['governance.approved', 'pending', 'address-book.add', change.changeId, cast.governed.id],
      ['governance.approved', 'pending', 'address-book.add', change.changeId, cast.governed.id],
      ['governance.applied', 'applied', 'address-book.add', change.changeId, cast.governed.id],
    ]);
    for (const r of hook.requests) expect(verifyWebhook(r.headers['conclave-signature'] as string, r.body, created.body.secret, new Date(stage.clock)).ok).toBe(true);
    // The first endpoint of this vault (registered before the change) got the same four; the auditor reads its log.
    const first = (await list(cast.aud)).body.find((e) => e.id !== created.body.id)!;
    expect((await deliveries(first.id, cast.aud)).map((d) => d.event)).toEqual(['governance.applied', 'governance.approved', 'governance.approved', 'governance.proposed']);
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
  });
});
