/** A keyholder's approval of a withdrawal: their `withdrawal.approve` envelope over the intent hash. */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('approvals')
export class ApprovalEntity {
  @PrimaryColumn({ name: 'withdrawal_id', type: 'varchar', length: 36 })
  withdrawalId!: string;

  @PrimaryColumn({ name: 'identity_key', type: 'varchar', length: 64 })
  identityKey!: string;

  @Column({ type: 'text' })
  envelope!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
