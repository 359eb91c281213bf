/** A withdrawal: the signed intent, the PSBT built for it, and where it stands. */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { WithdrawalState } from '../../protocol/api';

@Entity('withdrawals')
@Index(['vaultId', 'requestId'], { unique: true })
export class WithdrawalEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'vault_id', type: 'varchar', length: 36 })
  vaultId!: string;

  @Column({ name: 'request_id', type: 'varchar', length: 64 })
  requestId!: string;

  @Column({ type: 'varchar', length: 24 })
  state!: WithdrawalState;

  /** Canonical JSON of the intent. */
  @Column({ type: 'text' })
  intent!: string;

  @Column({ name: 'intent_hash', type: 'varchar', length: 64 })
  intentHash!: string;

  @Column({ name: 'proposal_envelope', type: 'text' })
  proposalEnvelope!: string;

  @Column({ name: 'proposed_by', type: 'varchar', length: 64 })
  proposedBy!: string;

  @Column({ type: 'text' })
  psbt!: string;

  @Column({ name: 'unsigned_txid', type: 'varchar', length: 64 })
  unsignedTxid!: string;

  @Column({ type: 'varchar', length: 20 })
  fee!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  txid!: string | null;

  @Column({ name: 'tx_hex', type: 'text', nullable: true })
  txHex!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
