/** One keyholder's signed round-2 statement (`frost.sign.share`) in a session: a share per input. */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('frost_shares')
export class FrostShareEntity {
  @PrimaryColumn({ name: 'session_id', type: 'varchar', length: 36 })
  sessionId!: string;

  @PrimaryColumn({ name: 'identity_key', type: 'varchar', length: 64 })
  identityKey!: string;

  @Column({ name: 'withdrawal_id', type: 'varchar', length: 36 })
  withdrawalId!: string;

  /** Whether every share in it verified (an invalid one fails the session and is kept as evidence). */
  @Column({ type: 'boolean' })
  valid!: boolean;

  /** The signed frost.sign.share envelope, canonical JSON. */
  @Column({ type: 'text' })
  envelope!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
