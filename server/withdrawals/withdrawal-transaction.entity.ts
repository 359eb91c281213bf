/**
 * A transaction a withdrawal had before a fee bump replaced it. Until one of them confirms,
 * the replaced one may still be mined instead (the chain watcher looks for it:
 * chain-watch/replaced-transaction-watch.ts), so the coordinator keeps every one it built
 * (DESIGN.md invariant 9: nothing but the approved transaction or an approved replacement).
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('withdrawal_transactions')
export class WithdrawalTransactionEntity {
  @PrimaryColumn({ name: 'withdrawal_id', type: 'varchar', length: 36 })
  withdrawalId!: string;

  @PrimaryColumn({ name: 'unsigned_txid', type: 'varchar', length: 64 })
  unsignedTxid!: string;

  @Column({ name: 'intent_hash', type: 'varchar', length: 64 })
  intentHash!: string;

  @Column({ type: 'varchar', length: 20 })
  fee!: string;

  /** Null when the replaced transaction was never fully signed. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  txid!: string | null;

  @Column({ name: 'tx_hex', type: 'text', nullable: true })
  txHex!: string | null;

  /**
   * Intent hash of the transaction that took its place: its fee-bump replacement, or, when a
   * replaced transaction was mined instead, that one (chain-watch/replaced-transaction-watch.ts).
   */
  @Column({ name: 'replaced_by', type: 'varchar', length: 64 })
  replacedBy!: string;

  @Column({ name: 'replaced_at', type: 'varchar', length: 32 })
  replacedAt!: string;
}
