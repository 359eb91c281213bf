/** Envelope nonces already accepted; a second use is a replay (ENVELOPE_REPLAYED). */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('used_nonces')
export class UsedNonceEntity {
  /** signer key + ':' + nonce. */
  @PrimaryColumn({ type: 'varchar', length: 100 })
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  type!: string;

  @Column({ name: 'expires_at', type: 'varchar', length: 32 })
  expiresAt!: string;
}
