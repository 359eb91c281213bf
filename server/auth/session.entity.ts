/**
 * A member's sign-in session (issue 5): how the web app and signer-cli read through the REST
 * API. Only the SHA-256 of the bearer secret is stored, so the database never holds a usable
 * session; sessions expire and end at sign-out.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('auth_sessions')
@Index(['identityKey'])
export class SessionEntity {
  /** SHA-256 of the bearer secret, hex. */
  @PrimaryColumn({ name: 'secret_hash', type: 'varchar', length: 64 })
  secretHash!: string;

  @Column({ name: 'identity_key', type: 'varchar', length: 64 })
  identityKey!: string;

  /**
   * How the member proved who they are: their identity key or a pinned passkey; `enrolment` is
   * an identity-key session limited to registering a passkey (a link handed to a browser).
   */
  @Column({ type: 'varchar', length: 16 })
  method!: 'identity-key' | 'passkey' | 'enrolment';

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'expires_at', type: 'varchar', length: 32 })
  expiresAt!: string;
}
