/**
 * A vault coin. `reservedBy` names the one live withdrawal that may spend it (invariant 5);
 * reservation is a conditional update, so two withdrawals can never both take it.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type UtxoStatus = 'available' | 'reserved' | 'spent';

@Entity('utxos')
@Index(['vaultId', 'status'])
export class UtxoEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  txid!: string;

  @PrimaryColumn({ type: 'integer' })
  vout!: number;

  @Column({ name: 'vault_id', type: 'varchar', length: 36 })
  vaultId!: string;

  /** Satoshis as a decimal string (exact on every database). */
  @Column({ type: 'varchar', length: 20 })
  amount!: string;

  @Column({ type: 'varchar', length: 100 })
  address!: string;

  @Column({ type: 'integer' })
  change!: number;

  @Column({ name: 'idx', type: 'integer' })
  index!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: UtxoStatus;

  @Column({ name: 'reserved_by', type: 'varchar', length: 36, nullable: true })
  reservedBy!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
