/**
 * Sends webhook deliveries. Every CONCLAVE_WEBHOOK_SWEEP_SECONDS (and whenever `pump` is called,
 * as tests do with their own clock) it turns new audit events into deliveries (webhook-outbox.ts)
 * and sends those that are due:
 * 1. claim, in one transaction: the delivery's attempt count goes up, its next attempt time
 *    becomes a lease (time-out plus a margin) and the attempt is logged as `sending`. On
 *    PostgreSQL the update is conditional, so of several instances only one sends it;
 * 2. POST, signed with the endpoint's secret and the attempt's time (webhook-sender.ts);
 * 3. record, in one transaction: the attempt's outcome; a 2xx answer makes the delivery
 *    `delivered`, anything else schedules the next attempt with back-off and jitter, or marks it
 *    `failed` after the last one.
 * A stop or crash between 1 and 3 loses nothing: the lease passes and the delivery is sent
 * again, with the same `Conclave-Delivery` id (receivers drop duplicates by it). Delivery is
 * therefore at least once.
 */
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type EntityManager, In, LessThanOrEqual } from 'typeorm';
import { signWebhook } from '../../protocol/webhooks';
import { Clock, Random } from '../common/clock';
import { PeriodicSweep } from '../common/periodic-sweep';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { retryDelayMs, unitFrom } from './webhook-backoff';
import { WebhookAttemptEntity } from './webhook-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { WebhookOutbox } from './webhook-outbox';
import { WebhookSecrets } from './webhook-secrets';
import { type AttemptResult, postWebhook } from './webhook-sender';
import { checkWebhookTarget } from './webhook-url';

/** Deliveries claimed per pass; endpoints are served side by side, each one's deliveries in turn. */
const CLAIM_BATCH = 50;
/** At most this many per endpoint and pass, so one slow receiver cannot hold a pass for long. */
const PER_ENDPOINT = 10;
/** Beyond the time-out, how long a claimed attempt is left to its sender before another may take it. */
const LEASE_MARGIN_MS = 30_000;

interface Claimed { delivery: WebhookDeliveryEntity; url: string; secret: string; attempt: number; attemptId: string }

export interface AttemptReport {
  deliveryId: string;
  endpointId: string;
  attempt: number;
  outcome: 'delivered' | 'retry' | 'failed' | 'cancelled' | 'aborted';
  status: number | null;
  nextAttemptAt: string | null;
}

export interface PumpReport { enqueued: number; attempts: AttemptReport[] }

@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Webhooks');
  private readonly sweep = new PeriodicSweep('webhook sweep', this.logger, () => this.pump());
  private readonly stopping = new AbortController();
  private running: Promise<PumpReport> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionRunner,
    private readonly outbox: WebhookOutbox,
    private readonly secrets: WebhookSecrets,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  onApplicationBootstrap(): void {
    this.sweep.start(this.config.webhooks.sweepSeconds);
  }

  /** Before the database closes: no new passes; attempts in flight are cut and left to their lease (as after a crash). */
  async beforeApplicationShutdown(): Promise<void> {
    this.sweep.stop();
    this.stopping.abort();
    if (this.running) await this.running.catch(() => undefined);
  }

  /** One pass at time `at` (default now); one pass at a time per process. */
  async pump(at: Date = this.clock.now()): Promise<PumpReport> {
    while (this.running) await this.running.catch(() => undefined);
    if (this.stopping.signal.aborted) return { enqueued: 0, attempts: [] };
    this.running = this.pass(at);
    try {
      return await this.running;
    } finally {
      this.running = null;
    }
  }

  private async pass(at: Date): Promise<PumpReport> {
    const enqueued = await this.outbox.enqueue(at);
    const { claimed, settled } = await this.tx.run((manager) => this.claim(manager, at));
    // One endpoint's deliveries in audit order (a receiver still orders by `audit.seq`: retries reorder).
    const byEndpoint = new Map<string, Claimed[]>();
    for (const c of claimed) byEndpoint.set(c.delivery.endpointId, [...(byEndpoint.get(c.delivery.endpointId) ?? []), c]);
    const attempts = await Promise.all([...byEndpoint.values()].map(async (group) => {
      const reports: AttemptReport[] = [];
      for (const c of group) reports.push(await this.attempt(c, at));
      return reports;
    }));
    return { enqueued, attempts: [...settled, ...attempts.flat()] };
  }

  private async claim(manager: EntityManager, at: Date): Promise<{ claimed: Claimed[]; settled: AttemptReport[] }> {
    const deliveries = manager.getRepository(WebhookDeliveryEntity);
    const due = await deliveries.find({ where: { state: 'pending', nextAttemptAt: LessThanOrEqual(at.toISOString()) }, order: { nextAttemptAt: 'ASC', auditSeq: 'ASC' }, take: CLAIM_BATCH });
    if (due.length === 0) return { claimed: [], settled: [] };
    const endpoints = new Map((await manager.getRepository(WebhookEndpointEntity).find({ where: { id: In([...new Set(due.map((d) => d.endpointId))]) } })).map((e) => [e.id, e]));
    const stamp = at.toISOString();
    const claimed: Claimed[] = [];
    /** Settled without an attempt: cancelled, or failed for want of a secret. */
    const settled: AttemptReport[] = [];
    const queued = new Map<string, number>();
    for (const delivery of due) {
      const endpoint = endpoints.get(delivery.endpointId);
      // Disabled after the delivery was written (disabling cancels what it sees; this is what it raced with).
      if (!endpoint || endpoint.disabledAt !== null) {
        await deliveries.update({ id: delivery.id, state: 'pending' }, { state: 'cancelled', nextAttemptAt: null, updatedAt: stamp });
        settled.push({ deliveryId: delivery.id, endpointId: delivery.endpointId, attempt: delivery.attempts, outcome: 'cancelled', status: null, nextAttemptAt: null });
        continue;
      }
      const position = queued.get(endpoint.id) ?? 0;
      if (position >= PER_ENDPOINT) continue;
      let secret: string;
      try {
        secret = this.secrets.open(endpoint.id, endpoint.secretSealed);
      } catch (error) {
        // Not this delivery's to retry: it could never be signed. The operator sees why in the log.
        const reason = error instanceof Error ? error.message : String(error);
        await deliveries.update({ id: delivery.id, state: 'pending' }, { state: 'failed', nextAttemptAt: null, lastError: reason, updatedAt: stamp });
        this.logger.error({ msg: 'webhook secret does not open', endpoint: endpoint.id, error: reason });
        settled.push({ deliveryId: delivery.id, endpointId: delivery.endpointId, attempt: delivery.attempts, outcome: 'failed', status: null, nextAttemptAt: null });
        continue;
      }
      const attempt = delivery.attempts + 1;
      // Sent after the endpoint's earlier ones of this pass: the lease covers their time-outs too.
      const lease = new Date(at.getTime() + (position + 1) * this.config.webhooks.timeoutMs + LEASE_MARGIN_MS).toISOString();
      const won = await deliveries.update({ id: delivery.id, state: 'pending', attempts: delivery.attempts }, { attempts: attempt, nextAttemptAt: lease, updatedAt: stamp });
      if (won.affected !== 1) continue; // another instance claimed it first
      queued.set(endpoint.id, position + 1);
      // An earlier attempt still `sending` was cut short by a stop or a crash.
      await manager.getRepository(WebhookAttemptEntity).update({ deliveryId: delivery.id, outcome: 'sending' }, { outcome: 'interrupted', error: 'the coordinator stopped during this attempt' });
      const attemptId = this.random.uuid();
      await manager.getRepository(WebhookAttemptEntity).insert({ id: attemptId, deliveryId: delivery.id, attempt, startedAt: stamp, outcome: 'sending', status: null, error: null, durationMs: null });
      claimed.push({ delivery, url: endpoint.url, secret, attempt, attemptId });
    }
    return { claimed, settled };
  }

  private async attempt(c: Claimed, at: Date): Promise<AttemptReport> {
    let result: AttemptResult;
    try {
      await checkWebhookTarget(new URL(c.url), this.config.webhooks.allowPrivate);
      const started = performance.now();
      result = await postWebhook({
        url: c.url, body: c.delivery.body, event: c.delivery.event, deliveryId: c.delivery.id, signature: signWebhook(c.secret, c.delivery.body, at),
        timeoutMs: this.config.webhooks.timeoutMs, stop: this.stopping.signal,
      }, () => Math.round(performance.now() - started));
    } catch (error) {
      result = { outcome: 'error', error: error instanceof Error ? error.message : String(error), durationMs: 0 };
    }
    if (result.outcome === 'aborted') return { deliveryId: c.delivery.id, endpointId: c.delivery.endpointId, attempt: c.attempt, outcome: 'aborted', status: null, nextAttemptAt: null };
    return this.tx.run((manager) => this.record(manager, c, result as Exclude<AttemptResult, { outcome: 'aborted' }>, at));
  }

  private async record(manager: EntityManager, c: Claimed, result: Exclude<AttemptResult, { outcome: 'aborted' }>, at: Date): Promise<AttemptReport> {
    const status = result.outcome === 'sent' ? result.status : null;
    const error = result.outcome === 'sent' ? (status! >= 200 && status! < 300 ? null : `answered HTTP ${status}`) : result.error;
    await manager.getRepository(WebhookAttemptEntity).update({ id: c.attemptId }, { outcome: result.outcome, status, error, durationMs: result.durationMs });
    const stamp = at.toISOString();
    const base = { deliveryId: c.delivery.id, endpointId: c.delivery.endpointId, attempt: c.attempt, status };
    let report: AttemptReport;
    let change: Partial<WebhookDeliveryEntity>;
    if (error === null) {
      change = { state: 'delivered', deliveredAt: stamp, nextAttemptAt: null };
      report = { ...base, outcome: 'delivered', nextAttemptAt: null };
    } else if (c.attempt >= this.config.webhooks.maxAttempts) {
      change = { state: 'failed', nextAttemptAt: null };
      report = { ...base, outcome: 'failed', nextAttemptAt: null };
    } else {
      const next = new Date(at.getTime() + retryDelayMs(c.attempt, this.config.webhooks, unitFrom(this.random.bytes(4)))).toISOString();
      change = { nextAttemptAt: next };
      report = { ...base, outcome: 'retry', nextAttemptAt: next };
    }
    // Only while the claim is still ours: a delivery cancelled meanwhile (endpoint disabled) stays cancelled.
    const updated = await manager.getRepository(WebhookDeliveryEntity).update(
      { id: c.delivery.id, state: 'pending', attempts: c.attempt },
      { ...change, lastStatus: status, lastError: error, updatedAt: stamp },
    );
    if (updated.affected !== 1) return { ...report, outcome: 'cancelled', nextAttemptAt: null };
    if (report.outcome === 'failed') this.logger.warn({ msg: 'webhook delivery failed for good', delivery: c.delivery.id, endpoint: c.delivery.endpointId, attempts: c.attempt, error });
    return report;
  }
}
