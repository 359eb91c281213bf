/**
 * The delivery log: one row per attempt, written when the attempt starts (`sending`) and
 * completed with its outcome. An attempt cut short by a stop or crash stays `sending` until
 * the next attempt of its delivery marks it `interrupted`.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { WebhookAttemptView } from '../../protocol/webhooks';

@Entity('webhook_attempts')
@Index(['deliveryId', 'attempt'], { unique: true })
export class WebhookAttemptEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'delivery_id', type: 'varchar', length: 36 })
  deliveryId!: string;

  /** 1 for the first attempt of the delivery. */
  @Column({ type: 'integer' })
  attempt!: number;

  @Column({ name: 'started_at', type: 'varchar', length: 32 })
  startedAt!: string;

  @Column({ type: 'varchar', length: 16 })
  outcome!: WebhookAttemptView['outcome'];

  @Column({ type: 'integer', nullable: true })
  status!: number | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;
}
