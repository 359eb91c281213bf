/**
 * One keyholder's sealed key record (BIP129 Round 1) in a setup, with the envelope that
 * carried it. One per member; `position` is the arrival order, which is the descriptor's key
 * order, and is unique so that two racing submissions cannot both take the last place.
 */
import { Column, Entity, PrimaryColumn, Unique } from 'typeorm';

@Entity('setup_key_records')
@Unique(['setupId', 'position'])
export class SetupKeyRecordEntity {
  @PrimaryColumn({ name: 'setup_id', type: 'varchar', length: 36 })
  setupId!: string;

  /** Identity key of the member whose key the record holds. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  member!: string;

  @Column({ type: 'integer' })
  position!: number;

  /** Identity key that signed the envelope: the member, or the opener relaying an imported record. */
  @Column({ name: 'submitted_by', type: 'varchar', length: 64 })
  submittedBy!: string;

  /** hex(MAC || ciphertext), or the record text with NO_ENCRYPTION; opaque to the coordinator. */
  @Column({ type: 'text' })
  record!: string;

  @Column({ type: 'text' })
  envelope!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
