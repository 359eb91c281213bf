/**
 * One signed DKG message relayed for a FROST setup: a round-1 package or a confirmation
 * (broadcast), or a round-2 share sealed to one recipient (the ciphertext only the recipient
 * can open). At most one per (setup, round, sender, recipient): a second, different message is
 * equivocation, never a replacement. Broadcast messages have the recipient '' rather than NULL,
 * because NULLs are distinct in a unique key on both PostgreSQL and SQLite.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

export type DkgRound = 'round1' | 'round2' | 'confirm';

/** The recipient of a broadcast message (round 1, confirmation). */
export const BROADCAST = '';

@Entity('frost_dkg_messages')
export class FrostDkgMessageEntity {
  @PrimaryColumn({ name: 'setup_id', type: 'varchar', length: 32 })
  setupId!: string;

  @PrimaryColumn({ type: 'varchar', length: 8 })
  round!: DkgRound;

  /** Identity key of the participant who signed the message. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  sender!: string;

  /** Identity key of the participant a round-2 share is sealed to; '' for a broadcast. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  recipient!: string;

  /** 0-based index of the sender in the params (its FROST identifier is index + 1). */
  @Column({ name: 'sender_index', type: 'integer' })
  senderIndex!: number;

  /** The signed message (an envelope), canonical JSON. */
  @Column({ type: 'text' })
  message!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
