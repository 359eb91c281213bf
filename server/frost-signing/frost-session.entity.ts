/**
 * A FROST signing session of a withdrawal: the signing set the coordinator chose (at least t
 * keyholders, in FROST identifier order), each with the commitment it signs with. At most one
 * session of a withdrawal is `signing` at a time; it ends `complete` (every share in, the
 * transaction finalized) or `failed` (a share that does not verify, named, or a time-out).
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { FrostSessionState } from '../../protocol/frost/signing-api';

@Entity('frost_sessions')
@Index(['withdrawalId', 'number'], { unique: true })
export class FrostSessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'withdrawal_id', type: 'varchar', length: 36 })
  withdrawalId!: string;

  /** 1 for the withdrawal's first session, then 2, ... */
  @Column({ type: 'integer' })
  number!: number;

  @Column({ type: 'varchar', length: 16 })
  state!: FrostSessionState;

  /** JSON array of the signers' identity keys, in FROST identifier order. */
  @Column({ type: 'text' })
  signers!: string;

  @Column({ name: 'failure_code', type: 'varchar', length: 64, nullable: true })
  failureCode!: string | null;

  @Column({ name: 'failure_message', type: 'text', nullable: true })
  failureMessage!: string | null;

  /** The keyholder whose share did not verify; null for a time-out. */
  @Column({ name: 'failure_identity_key', type: 'varchar', length: 64, nullable: true })
  failureIdentityKey!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
