/**
 * How far the audit log has been turned into webhook deliveries: the seq of the last audit
 * event looked at (one row, id 1). It moves in the transaction that writes the deliveries of
 * the events it passes (webhook-outbox.ts), so after a crash nothing is skipped or repeated.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('webhook_cursor')
export class WebhookCursorEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  seq!: number;
}
