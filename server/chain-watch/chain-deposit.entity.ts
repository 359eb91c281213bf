/**
 * Where a transaction paying a vault stands on the chain, as the watcher last saw it: in a
 * block (its hash and height, so a reorg that takes it out is noticed), in the mempool, or
 * gone. A coin of it is spendable only once its block is CONCLAVE_MIN_CONFIRMATIONS deep
 * (coinbase outputs: 100). `flagged` marks a deposit a reorg took out while a live withdrawal
 * held its coins: the reservation is kept and the operator is told.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type ChainDepositState = 'confirmed' | 'mempool' | 'gone';

@Entity('chain_deposits')
@Index(['vaultId', 'state'])
export class ChainDepositEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  txid!: string;

  @Column({ name: 'vault_id', type: 'varchar', length: 36 })
  vaultId!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: ChainDepositState;

  @Column({ name: 'block_hash', type: 'varchar', length: 64, nullable: true })
  blockHash!: string | null;

  @Column({ name: 'block_height', type: 'integer', nullable: true })
  blockHeight!: number | null;

  @Column({ type: 'boolean', default: false })
  coinbase!: boolean;

  @Column({ type: 'boolean', default: false })
  flagged!: boolean;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
