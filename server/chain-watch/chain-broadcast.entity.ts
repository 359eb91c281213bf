/**
 * The broadcast outbox (invariant 9): one row per withdrawal, written in the same transaction
 * that made its transaction final, so that a crash before, during or after sending it loses
 * nothing and resumes. The row names only the txid: what is sent is always read from the
 * withdrawal itself (its approved transaction), never from here, so nothing else can go out.
 *
 * state: `pending` (to send, at `nextAttemptAt`), `accepted` (the backend took it; the watcher
 * tracks it), `rejected` (the node refused it: `rejectReason`; it waits for an operator's retry),
 * `superseded` (a fee bump replaced the transaction before it went out).
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type ChainBroadcastState = 'pending' | 'accepted' | 'rejected' | 'superseded';

@Entity('chain_broadcasts')
@Index(['state'])
export class ChainBroadcastEntity {
  @PrimaryColumn({ name: 'withdrawal_id', type: 'varchar', length: 36 })
  withdrawalId!: string;

  @Column({ name: 'vault_id', type: 'varchar', length: 36 })
  vaultId!: string;

  @Column({ type: 'varchar', length: 64 })
  txid!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: ChainBroadcastState;

  /** Failed sends of this txid so far (CHAIN_UNAVAILABLE and the like); sets the back-off. */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'varchar', length: 32 })
  nextAttemptAt!: string;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'reject_reason', type: 'text', nullable: true })
  rejectReason!: string | null;

  /** The block the transaction was last seen confirmed in (null: mempool, or not yet seen). */
  @Column({ name: 'block_hash', type: 'varchar', length: 64, nullable: true })
  blockHash!: string | null;

  @Column({ name: 'block_height', type: 'integer', nullable: true })
  blockHeight!: number | null;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
