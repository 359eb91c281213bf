/**
 * A WebAuthn challenge the coordinator handed out for passkey sign-in or registration: used
 * once (deleted when answered) and only until it expires, so an assertion cannot be replayed.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('webauthn_challenges')
export class WebauthnChallengeEntity {
  /** The challenge as base64url, exactly as it comes back in clientDataJSON. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  challenge!: string;

  @Column({ type: 'varchar', length: 16 })
  purpose!: 'sign-in' | 'registration';

  /** For registration: the signed-in member the new passkey is for. */
  @Column({ name: 'identity_key', type: 'varchar', length: 64, nullable: true })
  identityKey!: string | null;

  @Column({ name: 'expires_at', type: 'varchar', length: 32 })
  expiresAt!: string;
}
