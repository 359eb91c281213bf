/** One keyholder's partial signatures for a withdrawal, with the envelope that carried them. */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('partial_signatures')
export class PartialSignatureEntity {
  @PrimaryColumn({ name: 'withdrawal_id', type: 'varchar', length: 36 })
  withdrawalId!: string;

  @PrimaryColumn({ name: 'identity_key', type: 'varchar', length: 64 })
  identityKey!: string;

  /** JSON array of PartialSignature. */
  @Column({ type: 'text' })
  signatures!: string;

  @Column({ type: 'text' })
  envelope!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
