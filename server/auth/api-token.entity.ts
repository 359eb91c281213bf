/**
 * An API token for automation (issue 5), stored by the hash of its secret (which the member
 * made on their own machine) with the member's signed `token.create` grant as evidence.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TokenScope } from '../../protocol/auth/access';

@Entity('api_tokens')
@Index(['identityKey'])
export class ApiTokenEntity {
  /** The token id: SHA-256 of its secret, hex, as the grant names it. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  /** The member who granted it: the token acts for them. */
  @Column({ name: 'identity_key', type: 'varchar', length: 64 })
  identityKey!: string;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  scope!: TokenScope;

  @Column({ name: 'expires_at', type: 'varchar', length: 32 })
  expiresAt!: string;

  /** Canonical JSON of the signed `token.create` envelope. */
  @Column({ name: 'grant_envelope', type: 'text' })
  grantEnvelope!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'revoked_at', type: 'varchar', length: 32, nullable: true })
  revokedAt!: string | null;

  /** Identity key of the member whose signed `token.revoke` ended it. */
  @Column({ name: 'revoked_by', type: 'varchar', length: 64, nullable: true })
  revokedBy!: string | null;
}
