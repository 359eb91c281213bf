/**
 * The chain tip the watcher last looked at (one row). Confirmation depth is counted against it,
 * so coin selection judges depth from the coordinator's own last view, never from a guess.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('chain_tip')
export class ChainTipEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  height!: number;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
