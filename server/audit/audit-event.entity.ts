/** One link of the append-only, hash-chained audit log (invariant 6). */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('audit_events')
export class AuditEventEntity {
  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 48 })
  kind!: string;

  /** Identity key of the member whose signed statement caused the event, if any. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  actor!: string | null;

  /** Id of the vault, withdrawal, member, setup or governance change (64 hex digits) the event is about. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  subject!: string | null;

  /** Canonical JSON. */
  @Column({ type: 'text' })
  payload!: string;

  /** The actor's signed envelope (canonical JSON), or null for the coordinator's own steps. */
  @Column({ type: 'text', nullable: true })
  evidence!: string | null;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  /** BIP340 signature by the coordinator identity key on {seq, hash} (protocol/audit/coordinator-signature.ts). */
  @Column({ name: 'coordinator_sig', type: 'varchar', length: 128 })
  coordinatorSig!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
