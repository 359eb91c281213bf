/**
 * One event for one endpoint (the outbox of webhooks, invariant 9): written in the same
 * transaction that moves the audit cursor past the event (webhook-outbox.ts), so an event is
 * turned into deliveries exactly once, crash or not. The body is fixed when the row is written,
 * so every attempt sends the same bytes; only the signature's time changes.
 *
 * state: `pending` (next attempt at `nextAttemptAt`; while an attempt is in flight that is its
 * lease: another instance, or this one after a crash, tries again once it has passed),
 * `delivered` (a 2xx answer), `failed` (CONCLAVE_WEBHOOK_MAX_ATTEMPTS attempts failed),
 * `cancelled` (the endpoint was disabled before it was delivered).
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { WebhookDeliveryState } from '../../protocol/webhooks';

@Entity('webhook_deliveries')
@Index(['endpointId', 'auditSeq'], { unique: true })
@Index(['state', 'nextAttemptAt'])
export class WebhookDeliveryEntity {
  /** Sent as `Conclave-Delivery` and the body's `id`, for receivers to drop duplicates. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'endpoint_id', type: 'varchar', length: 36 })
  endpointId!: string;

  @Column({ type: 'varchar', length: 64 })
  event!: string;

  @Column({ name: 'audit_seq', type: 'integer' })
  auditSeq!: number;

  @Column({ name: 'audit_hash', type: 'varchar', length: 64 })
  auditHash!: string;

  /** The exact JSON text POSTed. */
  @Column({ type: 'text' })
  body!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: WebhookDeliveryState;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'varchar', length: 32, nullable: true })
  nextAttemptAt!: string | null;

  @Column({ name: 'delivered_at', type: 'varchar', length: 32, nullable: true })
  deliveredAt!: string | null;

  @Column({ name: 'last_status', type: 'integer', nullable: true })
  lastStatus!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
