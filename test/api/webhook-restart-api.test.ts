/**
 * Signed webhooks across a restart of the coordinator (issue 6): a retry waiting, an attempt
 * cut short by the stop, and events not yet turned into deliveries are all delivered once the
 * coordinator runs again on the same database. Time is the test's, as in the other webhook suites.
 */
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { WebhookCreatedView, WebhookDeliveryView } from '../../protocol/webhooks';
import { createCoordinator } from '../../server/bootstrap';
import { loadConfig } from '../../server/config/config';
import { WebhookDispatcher } from '../../server/webhooks/webhook-dispatcher';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import type { TestKeyholder } from '../support/test-keyholder';
import { deposit, intent, propose, setupVault } from '../support/vault-scenario';
import { Receiver } from '../support/webhook-receiver';
import { SECOND, WEBHOOK_ENV, webhookCreate, webhookKeyholder } from '../support/webhook-stage';

describe('signed webhooks across a restart', () => {
  let coord: RunningCoordinator;
  let app: INestApplication | null = null;
  let firstClosed = false;
  let hook: Receiver;

  beforeAll(async () => {
    // A long time-out: the attempt cut short by the stop is cut by the stop, not by the time-out.
    coord = await startInProcessCoordinator({ ...WEBHOOK_ENV, CONCLAVE_WEBHOOK_TIMEOUT_SECONDS: '60' });
    hook = await new Receiver().start();
  }, 60_000);
  afterAll(async () => {
    await hook.stop();
    if (!firstClosed) await coord.app.close();
    if (app !== null) await app.close();
    await coord.db.cleanup();
  });

  it('resumes after a restart: a retry waiting, an attempt cut short, and events not yet turned into deliveries are all delivered', async () => {
    const [kim, lou, max] = ['kim', 'lou', 'max'].map(webhookKeyholder) as [TestKeyholder, TestKeyholder, TestKeyholder];
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
    const config = loadConfig({ CONCLAVE_LOG_LEVEL: 'error', CONCLAVE_PORT: '0', ...coord.db.env, ...WEBHOOK_ENV, CONCLAVE_WEBHOOK_TIMEOUT_SECONDS: '60' });
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
