/**
 * A vault setup by BIP129 (BSMS 1.0) as the coordinator relays it. BIP129's Coordinator is
 * the opening keyholder's signer CLI; the coordinator stores only what it cannot read: the
 * setup's shape, its expiry, and the signed envelopes carrying sealed records. No token is
 * ever stored here (nor sent here).
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('setups')
export class SetupEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  network!: string;

  /** M. */
  @Column({ type: 'integer' })
  threshold!: number;

  /** N: how many key records the setup collects. */
  @Column({ type: 'integer' })
  keyholders!: number;

  /** NO_ENCRYPTION, STANDARD or EXTENDED (BIP129 "Encryption"). */
  @Column({ type: 'varchar', length: 16 })
  mode!: string;

  /** ISO-8601 UTC; no record is accepted from this instant on. */
  @Column({ name: 'expires_at', type: 'varchar', length: 32 })
  expiresAt!: string;

  /** Identity key of the opener. */
  @Column({ name: 'opened_by', type: 'varchar', length: 64 })
  openedBy!: string;

  @Column({ name: 'open_envelope', type: 'text' })
  openEnvelope!: string;

  /** The opener's setup.descriptor-record envelope (canonical JSON); null until it is sent. */
  @Column({ name: 'descriptor_envelope', type: 'text', nullable: true })
  descriptorEnvelope!: string | null;

  @Column({ name: 'completed_at', type: 'varchar', length: 32, nullable: true })
  completedAt!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
