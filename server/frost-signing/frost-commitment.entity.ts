/**
 * One keyholder's signed round-1 statement (`frost.sign.commit`) for a withdrawal: its nonce
 * commitments for every input. Unused until a session takes it (`session_id` set), and then
 * never used again: a commitment is one nonce pair per input, and a nonce signs once.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('frost_commitments')
@Index(['withdrawalId', 'arrival'], { unique: true })
export class FrostCommitmentEntity {
  @PrimaryColumn({ name: 'withdrawal_id', type: 'varchar', length: 36 })
  withdrawalId!: string;

  @PrimaryColumn({ name: 'identity_key', type: 'varchar', length: 64 })
  identityKey!: string;

  /** The signer's random id of these nonces (16 bytes, hex). */
  @PrimaryColumn({ name: 'commitment_id', type: 'varchar', length: 32 })
  commitmentId!: string;

  /** 1, 2, ... in order of arrival for this withdrawal: sessions take the earliest first. */
  @Column({ type: 'integer' })
  arrival!: number;

  /** The transaction committed to: after a fee bump replaces it, older commitments are never used. */
  @Column({ name: 'unsigned_txid', type: 'varchar', length: 64 })
  unsignedTxid!: string;

  /** 0-based index of the keyholder in the DKG params (its FROST identifier is index + 1). */
  @Column({ name: 'participant_index', type: 'integer' })
  participantIndex!: number;

  /** The signed frost.sign.commit envelope, canonical JSON. */
  @Column({ type: 'text' })
  envelope!: string;

  /** The session that used it; null while it waits. */
  @Column({ name: 'session_id', type: 'varchar', length: 36, nullable: true })
  sessionId!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
