/**
 * A FROST key generation (RFC 9591 DKG) as the coordinator relays it (protocol/frost/setup-api.ts):
 * the params every participant signs messages under, the opener's signed statement, the step it
 * is at, and at the end the certificate (public: params, round-1 messages, confirmations) and
 * the vault made from it. No share and no secret is ever stored here.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Steps a setup is stored at; `expired` is never stored, the view derives it from expires_at. */
export type StoredFrostSetupState = 'round1' | 'round2' | 'confirming' | 'complete' | 'aborted';

@Entity('frost_setups')
export class FrostSetupEntity {
  /** 16 random bytes, hex, chosen by the opener and bound into every DKG message. */
  @PrimaryColumn({ name: 'setup_id', type: 'varchar', length: 32 })
  setupId!: string;

  /** Canonical JSON (RFC 8785) of the FrostSetupParams, as the opener signed them. */
  @Column({ type: 'text' })
  params!: string;

  @Column({ name: 'params_hash', type: 'varchar', length: 64 })
  paramsHash!: string;

  /** The opener's frost.setup.open envelope (canonical JSON). */
  @Column({ name: 'open_envelope', type: 'text' })
  openEnvelope!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: StoredFrostSetupState;

  /** ISO-8601 UTC; no message is accepted from this instant on. */
  @Column({ name: 'expires_at', type: 'varchar', length: 32 })
  expiresAt!: string;

  /** Canonical JSON of the DkgCertificate, once all n confirmations agree. */
  @Column({ type: 'text', nullable: true })
  certificate!: string | null;

  @Column({ name: 'vault_id', type: 'varchar', length: 36, nullable: true })
  vaultId!: string | null;

  @Column({ name: 'abort_code', type: 'varchar', length: 64, nullable: true })
  abortCode!: string | null;

  @Column({ name: 'abort_message', type: 'text', nullable: true })
  abortMessage!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
