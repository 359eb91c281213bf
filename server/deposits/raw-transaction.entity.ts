/** Full previous transactions, kept so every PSBT input can carry one (CVE-2020-14199). */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('raw_transactions')
export class RawTransactionEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  txid!: string;

  @Column({ type: 'text' })
  hex!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
