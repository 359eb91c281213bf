/**
 * Signed webhook deliveries (issue 6) through a real coordinator in process and real HTTP
 * receivers on loopback: each event of a withdrawal delivered once, signed, and matching the
 * audit log; retries after a 500 and a time-out with back-off; failure after the last attempt;
 * disabled endpoints. Time is the test's: every pass is `pump(at)` with an explicit clock (the
 * background sweep is set to a day), so nothing depends on how fast the machine is.
 */
import { MESSAGE_TYPES, type AuditEventView, type WithdrawalView } from '../../protocol/api';
import { signVaultInputs } from '../../protocol/psbt';
import { verifyWebhook, webhookSecret } from '../../protocol/webhooks';
import type { PumpReport } from '../../server/webhooks/webhook-dispatcher';
import type { ErrorBody } from '../support/governed-vault';
import { intent, propose } from '../support/vault-scenario';
import { type OpenWebhookStage, SECOND, WebhookStage } from '../support/webhook-stage';

describe('signed webhooks: deliveries', () => {
  const stage = new WebhookStage();
  const { dan, eve, fay, pump, receiver, create, list, deliveries, disable } = stage;
  // Filled in by beforeAll: one coordinator for the suite, its tests in order.
  let { coord, cast, ops } = {} as OpenWebhookStage;

  beforeAll(async () => {
    ({ coord, cast, ops } = await stage.open());
  }, 120_000);
  afterAll(() => stage.close());

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

    const report = await pump(stage.clock);
    expect(report.enqueued).toBe(4);
    expect(report.attempts.map((a) => a.outcome)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect(hook.requests.map((r) => r.payload.event)).toEqual(['withdrawal.awaiting_approval', 'withdrawal.approved', 'withdrawal.signed', 'withdrawal.exported']);
    expect(hook.requests.map((r) => r.payload.state)).toEqual(['awaiting_approval', 'approved', 'signed', 'exported']);

    const audit = (await coord.call<AuditEventView[]>('GET', `/api/v1/audit?subject=${w.id}`)).body;
    const other = webhookSecret(new Uint8Array(32).fill(9));
    for (const r of hook.requests) {
      const signature = r.headers['conclave-signature'] as string;
      expect(verifyWebhook(signature, r.body, created.body.secret, new Date(stage.clock)).ok).toBe(true);
      expect(verifyWebhook(signature, r.body, other, new Date(stage.clock)).ok).toBe(false);
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
    expect((await pump(stage.clock + 3600 * SECOND)).attempts).toEqual([]);
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

    const t0 = stage.clock;
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
    expect((await pump(stage.clock)).attempts.filter((x) => x.endpointId === created.body.id).map((x) => [x.outcome, x.status])).toEqual([['retry', 500]]);
    expect(hook.requests).toHaveLength(1);

    expect((await disable(created.body.id, cast.ian)).body.error?.code).toBe('ACCESS_DENIED');
    // Alice administers other vaults only: to her the endpoint does not exist.
    expect((await disable(created.body.id, cast.alice)).body.error?.code).toBe('WEBHOOK_NOT_FOUND');
    expect((await disable(created.body.id, eve, '00000000-0000-4000-8000-000000000000')).body.error?.code).toBe('VALIDATION_FAILED');
    const disabled = await disable(created.body.id, eve);
    expect([disabled.status, disabled.body.status, disabled.body.disabledBy]).toEqual([200, 'disabled', eve.identityKey]);
    expect((await disable(created.body.id, fay)).body.error?.code).toBe('WEBHOOK_DISABLED');

    await propose(coord, ops, dan, intent(ops));
    expect((await pump(stage.clock + 86_400 * SECOND)).attempts.filter((x) => x.endpointId === created.body.id)).toEqual([]);
    expect(hook.requests).toHaveLength(1);
    expect((await deliveries(created.body.id)).map((d) => [d.state, d.attempts, d.nextAttemptAt])).toEqual([['cancelled', 1, null]]);
    expect((await list(dan)).body.find((e) => e.id === created.body.id)?.status).toBe('disabled');
  });
});
