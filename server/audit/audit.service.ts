/**
 * Appends to and verifies the hash-chained audit log (protocol/audit). Each event is signed by
 * the coordinator identity key, and once the transaction that appended it has committed, its
 * head {seq, hash, coordinatorSig} is pushed to every connected signer, which keeps it: the
 * one place where `audit.head` is published.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuditEventView } from '../../protocol/api';
import { type AuditEventKind, type AuditRecord, type ChainCheck, GENESIS_HASH, auditEventHash, verifyAuditChain } from '../../protocol/audit';
import { canonicalJson } from '../../protocol/canonical-json';
import { Clock } from '../common/clock';
import { ConfigError } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { SignerHub } from '../events/signer-hub';
import { AuditEventEntity } from './audit-event.entity';
import { AuditHeadEntity } from './audit-head.entity';
import { CoordinatorIdentity } from './coordinator-identity';

export interface AuditEntry {
  /** Only kinds listed in protocol/audit/event-kinds.ts, which says what evidence each needs. */
  kind: AuditEventKind;
  actor?: string | null;
  subject?: string | null;
  payload?: Record<string, unknown>;
  /** The signed envelope that caused this event. */
  evidence?: unknown;
}

export type AuditVerification = ChainCheck & { coordinatorKey: string };

@Injectable()
export class AuditService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly identity: CoordinatorIdentity,
    private readonly hub: SignerHub,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    // Idempotent across several coordinators starting at once on one PostgreSQL.
    await this.dataSource.createQueryBuilder().insert().into(AuditHeadEntity)
      .values({ id: 1, seq: 0, hash: GENESIS_HASH, coordinatorKey: this.identity.publicKey }).orIgnore().execute();
    const head = await this.dataSource.getRepository(AuditHeadEntity).findOneOrFail({ where: { id: 1 } });
    if (head.coordinatorKey !== this.identity.publicKey) {
      throw new ConfigError(`CONCLAVE_SERVER_KEY_FILE: this database's audit log is signed by coordinator key ${head.coordinatorKey}, `
        + `but the key file holds ${this.identity.publicKey}; every instance sharing a database must use the same key file`);
    }
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
    const hash = auditEventHash(link);
    const coordinatorSig = this.identity.signHead({ seq: link.seq, hash });
    const event = manager.getRepository(AuditEventEntity).create({ ...link, hash, coordinatorSig });
    await manager.getRepository(AuditEventEntity).insert(event);
    await heads.update({ id: 1 }, { seq: event.seq, hash: event.hash });
    // Keyed: of several appends in one transaction only the last head is pushed.
    this.tx.afterCommit(manager, 'audit.head', () => this.hub.publishToAll({ kind: 'audit.head', seq: event.seq, hash: event.hash, coordinatorSig }));
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

  /** The whole chain, every coordinator signature (under this coordinator's key) and every piece of evidence. */
  async verify(): Promise<AuditVerification> {
    const events = await this.dataSource.getRepository(AuditEventEntity).find({ order: { seq: 'ASC' } });
    const records: AuditRecord[] = events;
    return { ...verifyAuditChain(records, { coordinatorKey: this.identity.publicKey, expectedHead: await this.head() }), coordinatorKey: this.identity.publicKey };
  }
}

export function toView(e: AuditEventEntity): AuditEventView {
  return {
    seq: e.seq, kind: e.kind, actor: e.actor, subject: e.subject, payload: parseStored(e.payload),
    evidence: e.evidence === null ? null : parseStored(e.evidence), prevHash: e.prevHash, hash: e.hash,
    coordinatorSig: e.coordinatorSig, createdAt: e.createdAt,
  };
}

/** A row altered behind the coordinator's back may not even be JSON: serve its text, whose hash then fails to verify. */
function parseStored(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
