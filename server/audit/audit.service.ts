/** Appends to and verifies the hash-chained audit log. */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditEventView } from '../../protocol/api';
import { canonicalJson } from '../../protocol/canonical-json';
import { Clock } from '../common/clock';
import { AuditEventEntity } from './audit-event.entity';
import { AuditHeadEntity } from './audit-head.entity';
import { GENESIS_HASH, type ChainCheck, auditEventHash, verifyAuditChain } from './audit-chain';

export interface AuditEntry {
  kind: string;
  actor?: string | null;
  subject?: string | null;
  payload?: Record<string, unknown>;
  /** The signed envelope that caused this event. */
  evidence?: unknown;
}

@Injectable()
export class AuditService implements OnModuleInit {
  constructor(private readonly dataSource: DataSource, private readonly clock: Clock) {}

  async onModuleInit(): Promise<void> {
    // Idempotent across several coordinators starting at once on one PostgreSQL.
    await this.dataSource.query(
      `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}') ON CONFLICT (id) DO NOTHING`,
    );
  }

  /** Appends within the caller's transaction; the head row lock orders concurrent appends. */
  async append(manager: EntityManager, entry: AuditEntry): Promise<AuditEventEntity> {
    const heads = manager.getRepository(AuditHeadEntity);
    const isPostgres = manager.connection.options.type === 'postgres';
    const head = await heads.findOneOrFail({ where: { id: 1 }, ...(isPostgres ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    const link = {
      seq: head.seq + 1,
      kind: entry.kind,
      actor: entry.actor ?? null,
      subject: entry.subject ?? null,
      payload: canonicalJson(entry.payload ?? {}),
      evidence: entry.evidence === undefined ? null : canonicalJson(entry.evidence),
      prevHash: head.hash,
      createdAt: this.clock.now().toISOString(),
    };
    const event = manager.getRepository(AuditEventEntity).create({ ...link, hash: auditEventHash(link) });
    await manager.getRepository(AuditEventEntity).insert(event);
    await heads.update({ id: 1 }, { seq: event.seq, hash: event.hash });
    return event;
  }

  async list(options: { subject?: string; afterSeq?: number; limit?: number } = {}): Promise<AuditEventView[]> {
    const query = this.dataSource.getRepository(AuditEventEntity).createQueryBuilder('e').orderBy('e.seq', 'ASC');
    if (options.subject) query.andWhere('e.subject = :subject', { subject: options.subject });
    if (options.afterSeq !== undefined) query.andWhere('e.seq > :after', { after: options.afterSeq });
    query.take(Math.min(options.limit ?? 1000, 5000));
    return (await query.getMany()).map(toView);
  }

  async head(): Promise<{ seq: number; hash: string }> {
    const head = await this.dataSource.getRepository(AuditHeadEntity).findOneOrFail({ where: { id: 1 } });
    return { seq: head.seq, hash: head.hash };
  }

  async verify(): Promise<ChainCheck> {
    const events = await this.dataSource.getRepository(AuditEventEntity).find({ order: { seq: 'ASC' } });
    return verifyAuditChain(events, await this.head());
  }
}

export function toView(e: AuditEventEntity): AuditEventView {
  return {
    seq: e.seq, kind: e.kind, actor: e.actor, subject: e.subject, payload: JSON.parse(e.payload),
    evidence: e.evidence === null ? null : JSON.parse(e.evidence), prevHash: e.prevHash, hash: e.hash, createdAt: e.createdAt,
  };
}
