/**
 * Signed webhooks (issue 6) through a real coordinator in process and a real HTTP receiver on
 * loopback: registration by administrators only (the secret shown once), listing by
 * administrators and auditors, refused URLs with nothing written, signed deliveries that match
 * the audit log, retries after a 500 and a time-out with back-off, failure after the last
 * attempt, disabled endpoints, and a restart that resumes pending and interrupted deliveries.
 * Time is the test's: every pass is `pump(at)` with an explicit clock (the background sweep is
 * set to a day), so nothing depends on how fast the machine is.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { MESSAGE_TYPES, type AuditEventView, type VaultView, type WithdrawalView } from '../../protocol/api';
import { signVaultInputs } from '../../protocol/psbt';
import {
  type WebhookCreatedView, type WebhookDeliveryView, type WebhookEndpointView, type WebhookPayload, verifyWebhook, webhookSecret,
} from '../../protocol/webhooks';
import { createCoordinator } from '../../server/bootstrap';
import { loadConfig } from '../../server/config/config';
import { type PumpReport, WebhookDispatcher } from '../../server/webhooks/webhook-dispatcher';
import { type AccessCast, accessCast } from '../support/access-cast';
import { Governance, type TestTime } from '../support/governed-vault';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';
import { DESTINATION, deposit, intent, propose, setupVault } from '../support/vault-scenario';

type ErrorBody = { error: { code: string; message: string } };
type Reply<T> = { status: number; body: T & Partial<ErrorBody> };

const SECOND = 1000;
/** A simple vault whose withdrawals wait for one approval: its keyholders administer its webhooks. */
const OPS_POLICY = { version: 1 as const, requiredApprovals: 1, maxFeeSats: '20000', maxFeeRate: '20' };
const ENV = {
  CONCLAVE_WEBHOOK_SWEEP_SECONDS: '86400', CONCLAVE_WEBHOOK_TIMEOUT_SECONDS: '0.5', CONCLAVE_WEBHOOK_MAX_ATTEMPTS: '3',
  CONCLAVE_WEBHOOK_RETRY_SECONDS: '10', CONCLAVE_WEBHOOK_MAX_RETRY_SECONDS: '3600',
};

interface Received { headers: IncomingMessage['headers']; body: string; payload: WebhookPayload }

/** A real HTTP receiver: answers each request by plan (a status, or 'hang': no answer), then 200. */
class Receiver {
  readonly requests: Received[] = [];
  private plan: Array<number | 'hang'> = [];
  private always: number | 'hang' = 200;
  private readonly hanging = new Set<ServerResponse>();
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.requests.push({ headers: req.headers, body, payload: JSON.parse(body) as WebhookPayload });
        const answer = this.plan.shift() ?? this.always;
        if (answer === 'hang') this.hanging.add(res);
        else res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
        for (const w of this.waiters.filter((x) => this.requests.length >= x.count)) w.resolve();
        this.waiters = this.waiters.filter((x) => this.requests.length < x.count);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/conclave`;
    return this;
  }

  answer(plan: Array<number | 'hang'>, then: number | 'hang' = 200): void {
    this.plan = [...plan];
    this.always = then;
  }

  /** Resolves once `count` requests in all have arrived (an event, not a timer). */
  received(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const keyholder = (name: string) => testKeyholder(name, `${name} webhook test words one two three four five six seven eight`);

function webhookCreate(by: TestKeyholder, body: Record<string, unknown>) {
  return by.sign(MESSAGE_TYPES.webhookCreate, { description: 'test', ...body });
}

describe('signed webhooks', () => {
  let coord: RunningCoordinator;
  let cast: AccessCast;
  let dispatcher: WebhookDispatcher;
  let ops: VaultView;
  let dan: TestKeyholder, eve: TestKeyholder, fay: TestKeyholder;
  const receivers: Receiver[] = [];
  /** The coordinator's clock as this test sets it for each pass; it only moves forward. */
  let clock = Date.now();

  const pump = (at: number): Promise<PumpReport> => {
    clock = Math.max(clock, at);
    return dispatcher.pump(new Date(clock));
  };
  const receiver = async () => {
    const r = await new Receiver().start();
    receivers.push(r);
    return r;
  };
  const create = (by: TestKeyholder, body: Record<string, unknown>) => coord.call<WebhookCreatedView & ErrorBody>('POST', '/api/v1/webhooks', webhookCreate(by, body)) as Promise<Reply<WebhookCreatedView>>;
  const list = (as: TestKeyholder) => coord.call<WebhookEndpointView[] & ErrorBody>('GET', '/api/v1/webhooks', undefined, { as });
  const deliveries = async (id: string, as: TestKeyholder = dan) => {
    const res = await coord.call<WebhookDeliveryView[]>('GET', `/api/v1/webhooks/${id}/deliveries`, undefined, { as });
    expect(res.status).toBe(200);
    return res.body;
  };
  const disable = (id: string, by: TestKeyholder, webhookId = id) => coord.call<WebhookEndpointView & ErrorBody>('POST', `/api/v1/webhooks/${id}/disable`, by.sign(MESSAGE_TYPES.webhookDisable, { webhookId })) as Promise<Reply<WebhookEndpointView>>;
  const count = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  beforeAll(async () => {
    coord = await startInProcessCoordinator(ENV);
    cast = await accessCast(coord);
    dispatcher = coord.app.get(WebhookDispatcher);
    [dan, eve, fay] = ['dan', 'eve', 'fay'].map(keyholder) as [TestKeyholder, TestKeyholder, TestKeyholder];
    ops = await setupVault(coord, [dan, eve, fay], 2, OPS_POLICY);
    await deposit(coord, ops, dan, [1_000_000n, 1_000_000n, 1_000_000n, 1_000_000n, 1_000_000n, 1_000_000n]);
  }, 120_000);
  afterAll(async () => {
    for (const r of receivers) await r.stop();
    await coord?.close();
  });

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

  it('delivers each event of a withdrawal once, signed with the secret, in audit order, and matching the audit log', async () => {
    const hook = await receiver();
    const created = await create(dan, { url: hook.url, events: ['withdrawal.awaiting_approval', 'withdrawal.approved', 'withdrawal.signed', 'withdrawal.exported'], vaultIds: [ops.id] });
    expect(created.status).toBe(201);
    const w = (await propose(coord, ops, dan, intent(ops, { feeRate: '2' }))).body;
    expect(w.state).toBe('awaiting_approval');
    const approve = await coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${w.id}/approvals`, eve.sign(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: w.id, vaultId: ops.id, intentHash: w.intentHash }));
    expect(approve.body.state).toBe('signing');
    for (const k of [eve, fay]) {
      const partialSigs = signVaultInputs(w.psbt, k.account, { fingerprint: k.accountKey.fingerprint, path: k.accountPath }, [0]).partialSigs;
      await coord.call('POST', `/api/v1/withdrawals/${w.id}/signatures`, k.sign(MESSAGE_TYPES.withdrawalSignature, { withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, partialSigs }));
    }
    expect((await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${w.id}`)).body.state).toBe('exported');

    const report = await pump(clock);
    expect(report.enqueued).toBe(4);
    expect(report.attempts.map((a) => a.outcome)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect(hook.requests.map((r) => r.payload.event)).toEqual(['withdrawal.awaiting_approval', 'withdrawal.approved', 'withdrawal.signed', 'withdrawal.exported']);
    expect(hook.requests.map((r) => r.payload.state)).toEqual(['awaiting_approval', 'approved', 'signed', 'exported']);

    const audit = (await coord.call<AuditEventView[]>('GET', `/api/v1/audit?subject=${w.id}`)).body;
    const other = webhookSecret(new Uint8Array(32).fill(9));
    for (const r of hook.requests) {
      const signature = r.headers['conclave-signature'] as string;
      expect(verifyWebhook(signature, r.body, created.body.secret, new Date(clock)).ok).toBe(true);
      expect(verifyWebhook(signature, r.body, other, new Date(clock)).ok).toBe(false);
      expect(r.headers['conclave-event']).toBe(r.payload.event);
      expect(r.headers['conclave-delivery']).toBe(r.payload.id);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.payload).toMatchObject({ vaultId: ops.id, withdrawalId: w.id });
      // The receiver can find the very event in the audit log, by seq and hash.
      const event = audit.find((e) => e.seq === r.payload.audit.seq)!;
      expect([event.kind, event.hash, event.createdAt]).toEqual([r.payload.event, r.payload.audit.hash, r.payload.occurredAt]);
    }
    expect(hook.requests[3]!.payload.details.txid).toMatch(/^[0-9a-f]{64}$/);

    // Nothing is sent twice, and the log says what happened.
    expect((await pump(clock + 3600 * SECOND)).attempts).toEqual([]);
    expect(hook.requests).toHaveLength(4);
    const log = await deliveries(created.body.id);
    expect(log.map((d) => [d.event, d.state, d.attempts, d.lastStatus, d.nextAttemptAt])).toEqual([
      ['withdrawal.exported', 'delivered', 1, 200, null], ['withdrawal.signed', 'delivered', 1, 200, null],
      ['withdrawal.approved', 'delivered', 1, 200, null], ['withdrawal.awaiting_approval', 'delivered', 1, 200, null],
    ]);
    expect(log.map((d) => d.id).sort()).toEqual(hook.requests.map((r) => r.payload.id).sort());
    expect(log[0]!.attemptLog).toEqual([expect.objectContaining({ attempt: 1, outcome: 'sent', status: 200, error: null })]);
    expect(log[0]!.deliveredAt).not.toBeNull();
  });

  it('retries after a 500 and a time-out with exponential back-off, and marks a delivery failed after the last attempt', async () => {
    const flaky = await receiver();
    flaky.answer([500, 'hang'], 200);
    const broken = await receiver();
    broken.answer([], 503);
    const a = await create(dan, { url: flaky.url, events: ['withdrawal.proposed'], vaultIds: [ops.id] });
    const b = await create(dan, { url: broken.url, events: ['withdrawal.proposed'], vaultIds: [ops.id] });
    const w = (await propose(coord, ops, dan, intent(ops))).body;

    const t0 = clock;
    // Other endpoints of the vault hear of the proposal too (awaiting_approval): only these two count here.
    const outcomes = (report: PumpReport) => report.attempts.filter((x) => [a.body.id, b.body.id].includes(x.endpointId)).map((x) => `${x.outcome}:${x.status}`).sort();
    const first = await pump(t0);
    expect(outcomes(first)).toEqual(['retry:500', 'retry:503']);
    // First pause: the back-off (10 s), less up to half of it as jitter.
    for (const x of first.attempts.filter((y) => y.outcome === 'retry')) {
      const pause = Date.parse(x.nextAttemptAt!) - t0;
      expect(pause).toBeGreaterThanOrEqual(5 * SECOND);
      expect(pause).toBeLessThanOrEqual(10 * SECOND);
    }
    expect(outcomes(await pump(t0 + 4 * SECOND))).toEqual([]);

    const t1 = t0 + 10 * SECOND;
    const second = await pump(t1);
    expect(outcomes(second)).toEqual(['retry:503', 'retry:null']);
    // Second pause: doubled (20 s), with jitter.
    for (const x of second.attempts.filter((y) => y.outcome === 'retry')) {
      const pause = Date.parse(x.nextAttemptAt!) - t1;
      expect(pause).toBeGreaterThanOrEqual(10 * SECOND);
      expect(pause).toBeLessThanOrEqual(20 * SECOND);
    }

    const t2 = t1 + 20 * SECOND;
    const third = await pump(t2);
    expect(outcomes(third)).toEqual(['delivered:200', 'failed:503']);
    expect(outcomes(await pump(t2 + 86_400 * SECOND))).toEqual([]);

    expect(flaky.requests.map((r) => r.payload.withdrawalId)).toEqual([w.id, w.id, w.id]);
    expect(new Set(flaky.requests.map((r) => r.headers['conclave-delivery'])).size).toBe(1);
    expect(new Set(flaky.requests.map((r) => r.body)).size).toBe(1);
    expect(broken.requests).toHaveLength(3);

    const [delivered] = await deliveries(a.body.id);
    expect(delivered).toMatchObject({ event: 'withdrawal.proposed', state: 'delivered', attempts: 3, lastStatus: 200, lastError: null, nextAttemptAt: null, deliveredAt: new Date(t2).toISOString() });
    expect(delivered!.attemptLog.map((x) => [x.attempt, x.at, x.outcome, x.status])).toEqual([
      [1, new Date(t0).toISOString(), 'sent', 500], [2, new Date(t1).toISOString(), 'timeout', null], [3, new Date(t2).toISOString(), 'sent', 200],
    ]);
    expect(delivered!.attemptLog[1]!.error).toMatch(/no answer within 500 ms/);
    const [failed] = await deliveries(b.body.id);
    expect(failed).toMatchObject({ state: 'failed', attempts: 3, lastStatus: 503, lastError: 'answered HTTP 503', nextAttemptAt: null, deliveredAt: null });
    // To someone who oversees none of its vaults, the endpoint does not exist.
    const hidden = await coord.call<ErrorBody>('GET', `/api/v1/webhooks/${b.body.id}/deliveries`, undefined, { as: cast.alice });
    expect([hidden.status, hidden.body.error.code]).toEqual([404, 'WEBHOOK_NOT_FOUND']);
  });

  it('sends nothing to a disabled endpoint, cancels what it had pending, and lets only an administrator of its vaults disable it', async () => {
    const hook = await receiver();
    hook.answer([], 500);
    const created = await create(dan, { url: hook.url, events: ['withdrawal.proposed'], vaultIds: [ops.id] });
    await propose(coord, ops, dan, intent(ops));
    expect((await pump(clock)).attempts.filter((x) => x.endpointId === created.body.id).map((x) => [x.outcome, x.status])).toEqual([['retry', 500]]);
    expect(hook.requests).toHaveLength(1);

    expect((await disable(created.body.id, cast.ian)).body.error?.code).toBe('ACCESS_DENIED');
    // Alice administers other vaults only: to her the endpoint does not exist.
    expect((await disable(created.body.id, cast.alice)).body.error?.code).toBe('WEBHOOK_NOT_FOUND');
    expect((await disable(created.body.id, eve, '00000000-0000-4000-8000-000000000000')).body.error?.code).toBe('VALIDATION_FAILED');
    const disabled = await disable(created.body.id, eve);
    expect([disabled.status, disabled.body.status, disabled.body.disabledBy]).toEqual([200, 'disabled', eve.identityKey]);
    expect((await disable(created.body.id, fay)).body.error?.code).toBe('WEBHOOK_DISABLED');

    await propose(coord, ops, dan, intent(ops));
    expect((await pump(clock + 86_400 * SECOND)).attempts.filter((x) => x.endpointId === created.body.id)).toEqual([]);
    expect(hook.requests).toHaveLength(1);
    expect((await deliveries(created.body.id)).map((d) => [d.state, d.attempts, d.nextAttemptAt])).toEqual([['cancelled', 1, null]]);
    expect((await list(dan)).body.find((e) => e.id === created.body.id)?.status).toBe('disabled');
  });

  it('notifies governance changes to the governed vault\'s endpoint, and the audit chain still verifies', async () => {
    const hook = await receiver();
    const created = await create(cast.ada, { url: hook.url, events: ['governance.proposed', 'governance.approved', 'governance.applied'], vaultIds: [cast.governed.id] });
    const gov = new Governance(coord, cast.governed.id, { get now() { return new Date(); } } as unknown as TestTime);
    const change = await gov.pass(cast.carol, { op: 'address-book.add', address: DESTINATION, label: 'payee' }, [cast.ada, cast.ben]);
    expect(change.status).toBe('applied');
    await pump(clock);
    expect(hook.requests.map((r) => [r.payload.event, r.payload.state, r.payload.op, r.payload.changeId, r.payload.vaultId])).toEqual([
      ['governance.proposed', 'pending', 'address-book.add', change.changeId, cast.governed.id],
      ['governance.approved', 'pending', 'address-book.add', change.changeId, cast.governed.id],
      ['governance.approved', 'pending', 'address-book.add', change.changeId, cast.governed.id],
      ['governance.applied', 'applied', 'address-book.add', change.changeId, cast.governed.id],
    ]);
    for (const r of hook.requests) expect(verifyWebhook(r.headers['conclave-signature'] as string, r.body, created.body.secret, new Date(clock)).ok).toBe(true);
    // The first endpoint of this vault (registered before the change) got the same four; the auditor reads its log.
    const first = (await list(cast.aud)).body.find((e) => e.id !== created.body.id)!;
    expect((await deliveries(first.id, cast.aud)).map((d) => d.event)).toEqual(['governance.applied', 'governance.approved', 'governance.approved', 'governance.proposed']);
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
  });
});

describe('signed webhooks across a restart', () => {
  let coord: RunningCoordinator;
  let app: INestApplication | null = null;
  let firstClosed = false;
  let hook: Receiver;

  beforeAll(async () => {
    // A long time-out: the attempt cut short by the stop is cut by the stop, not by the time-out.
    coord = await startInProcessCoordinator({ ...ENV, CONCLAVE_WEBHOOK_TIMEOUT_SECONDS: '60' });
    hook = await new Receiver().start();
  }, 60_000);
  afterAll(async () => {
    await hook.stop();
    if (!firstClosed) await coord.app.close();
    if (app !== null) await app.close();
    await coord.db.cleanup();
  });

  it('resumes after a restart: a retry waiting, an attempt cut short, and events not yet turned into deliveries are all delivered', async () => {
    const [kim, lou, max] = ['kim', 'lou', 'max'].map(keyholder) as [TestKeyholder, TestKeyholder, TestKeyholder];
    const vault = await setupVault(coord, [kim, lou, max], 2);
    await deposit(coord, vault, kim, [1_000_000n, 1_000_000n, 1_000_000n]);
    const created = await coord.call<WebhookCreatedView>('POST', '/api/v1/webhooks', webhookCreate(kim, { url: hook.url, events: ['withdrawal.proposed'], vaultIds: [vault.id] }));
    expect(created.status).toBe(201);
    const dispatcher = coord.app.get(WebhookDispatcher);
    const t0 = Date.now();

    hook.answer([500, 'hang']);
    const w1 = (await propose(coord, vault, kim, intent(vault))).body;
    expect((await dispatcher.pump(new Date(t0))).attempts.map((a) => a.outcome)).toEqual(['retry']);
    // The retry is due; its attempt hangs, and the coordinator stops during it.
    const inFlight = dispatcher.pump(new Date(t0 + 60 * SECOND));
    await hook.received(2);
    const w2 = (await propose(coord, vault, kim, intent(vault))).body;
    await coord.app.close();
    firstClosed = true;
    expect((await inFlight).attempts.map((a) => a.outcome)).toEqual(['aborted']);

    // The same database and key file, as after a restart.
    const config = loadConfig({ CONCLAVE_LOG_LEVEL: 'error', CONCLAVE_PORT: '0', ...coord.db.env, ...ENV, CONCLAVE_WEBHOOK_TIMEOUT_SECONDS: '60' });
    app = await createCoordinator(config);
    await app.listen(0, '127.0.0.1');
    hook.answer([], 200);
    // Past the cut attempt's lease (time-out plus a margin).
    const resumed = await app.get(WebhookDispatcher).pump(new Date(t0 + 60 * 60 * SECOND));
    expect(resumed.enqueued).toBe(1);
    expect(resumed.attempts.map((a) => a.outcome).sort()).toEqual(['delivered', 'delivered']);

    const byWithdrawal = new Map<string, string[]>();
    for (const r of hook.requests) byWithdrawal.set(r.payload.withdrawalId!, [...(byWithdrawal.get(r.payload.withdrawalId!) ?? []), r.headers['conclave-delivery'] as string]);
    expect(byWithdrawal.get(w1.id)).toHaveLength(3);
    expect(new Set(byWithdrawal.get(w1.id)).size).toBe(1);
    expect(byWithdrawal.get(w2.id)).toHaveLength(1);

    const { port } = app.getHttpServer().address() as AddressInfo;
    const session = await coord.sessionFor(kim);
    const log = await (await fetch(`http://127.0.0.1:${port}/api/v1/webhooks/${created.body.id}/deliveries`, { headers: { authorization: `Bearer ${session}` } })).json() as WebhookDeliveryView[];
    const first = log.find((d) => d.auditSeq === Math.min(...log.map((x) => x.auditSeq)))!;
    expect(first.attemptLog.map((a) => [a.attempt, a.outcome, a.status])).toEqual([[1, 'sent', 500], [2, 'interrupted', null], [3, 'sent', 200]]);
    expect(log.map((d) => d.state)).toEqual(['delivered', 'delivered']);
  });
});
