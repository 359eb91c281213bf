/**
 * Turns committed audit events into webhook deliveries (the crash-safe way, invariant 9): in one
 * transaction it reads the events after the stored cursor, writes a delivery for every active
 * endpoint that subscribes to each, and moves the cursor past them. A crash before the commit
 * leaves both untouched (the events are read again); after it, the deliveries are durable.
 * Nothing has to be added to the transactions that append audit events.
 *
 * Why a cursor over the audit log is safe: appends take the audit head row's lock until their
 * transaction commits, so event seq N+1 can only commit after N; whatever a reader sees is a
 * prefix of the log, and an event below the cursor can never appear later. On PostgreSQL the
 * cursor row is locked, so several coordinator instances never write the same deliveries.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager, IsNull, MoreThan } from 'typeorm';
import { canonicalJson } from '../../protocol/canonical-json';
import type { WebhookPayload } from '../../protocol/webhooks';
import { AuditEventEntity } from '../audit/audit-event.entity';
import { AuditHeadEntity } from '../audit/audit-head.entity';
import { Random } from '../common/clock';
import { TransactionRunner } from '../database/transaction-runner';
import { WebhookCursorEntity } from './webhook-cursor.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { notificationOf, webhookEventOf } from './webhook-events';

/** Audit events read per transaction. */
const BATCH = 500;

@Injectable()
export class WebhookOutbox implements OnModuleInit {
  constructor(private readonly dataSource: DataSource, private readonly tx: TransactionRunner, private readonly random: Random) {}

  async onModuleInit(): Promise<void> {
    // Idempotent across several coordinators starting at once on one PostgreSQL.
    await this.dataSource.createQueryBuilder().insert().into(WebhookCursorEntity).values({ id: 1, seq: 0 }).orIgnore().execute();
  }

  /** Writes the deliveries of every audit event after the cursor; returns how many. */
  async enqueue(at: Date): Promise<number> {
    let written = 0;
    for (;;) {
      const step = await this.tx.run((manager) => this.step(manager, at));
      written += step.written;
      if (!step.more) return written;
    }
  }

  private async step(manager: EntityManager, at: Date): Promise<{ written: number; more: boolean }> {
    const isPostgres = manager.connection.options.type === 'postgres';
    const cursors = manager.getRepository(WebhookCursorEntity);
    const cursor = await cursors.findOneOrFail({ where: { id: 1 }, ...(isPostgres ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    // The head is read before the endpoints: an endpoint registered after this read has a
    // `fromSeq` above it, so skipping up to it loses nothing for anyone.
    const head = await manager.getRepository(AuditHeadEntity).findOneOrFail({ where: { id: 1 } });
    const endpoints = await manager.getRepository(WebhookEndpointEntity).find({ where: { disabledAt: IsNull() } });
    if (endpoints.length === 0) {
      if (head.seq > cursor.seq) await cursors.update({ id: 1 }, { seq: head.seq });
      return { written: 0, more: false };
    }
    // Nothing before the oldest active endpoint's registration concerns anyone.
    const after = Math.max(cursor.seq, Math.min(...endpoints.map((e) => e.fromSeq)));
    const events = await manager.getRepository(AuditEventEntity).find({ where: { seq: MoreThan(after) }, order: { seq: 'ASC' }, take: BATCH });
    const subscribed = endpoints.map((e) => ({ endpoint: e, events: new Set(JSON.parse(e.events) as string[]), vaults: new Set(JSON.parse(e.vaultIds) as string[]) }));
    const rows: WebhookDeliveryEntity[] = [];
    for (const event of events) {
      const name = webhookEventOf(event.kind);
      if (name === null || !subscribed.some((s) => s.events.has(name) && event.seq > s.endpoint.fromSeq)) continue;
      const notification = await notificationOf(manager, event);
      if (notification === null) continue;
      for (const s of subscribed) {
        if (!s.events.has(name) || !s.vaults.has(notification.vaultId) || event.seq <= s.endpoint.fromSeq) continue;
        const id = this.random.uuid();
        const payload: WebhookPayload = { id, ...notification };
        const stamp = at.toISOString();
        rows.push(manager.getRepository(WebhookDeliveryEntity).create({
          id, endpointId: s.endpoint.id, event: name, auditSeq: event.seq, auditHash: event.hash, body: canonicalJson(payload),
          state: 'pending', attempts: 0, nextAttemptAt: stamp, deliveredAt: null, lastStatus: null, lastError: null, createdAt: stamp, updatedAt: stamp,
        }));
      }
    }
    // In chunks: one INSERT of thousands of rows would pass SQLite's limit on bound parameters.
    for (let i = 0; i < rows.length; i += 100) await manager.getRepository(WebhookDeliveryEntity).insert(rows.slice(i, i + 100));
    const last = events.length > 0 ? events[events.length - 1]!.seq : after;
    if (last > cursor.seq) await cursors.update({ id: 1 }, { seq: last });
    return { written: rows.length, more: events.length === BATCH };
  }
}
