/**
 * A webhook endpoint registered by an administrator's signed `webhook.create` (kept as
 * evidence, and audited as `webhook.created`). Its HMAC secret is stored sealed (AES-256-GCM
 * under a key derived from the coordinator's identity key, webhook-secrets.ts): it is shown once,
 * at creation, and a copy of the database alone does not reveal it.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('webhook_endpoints')
export class WebhookEndpointEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'text' })
  url!: string;

  /** JSON array of webhook event names (protocol/webhooks.ts WEBHOOK_EVENTS). */
  @Column({ type: 'text' })
  events!: string;

  /** JSON array of the vault ids whose events it receives. */
  @Column({ name: 'vault_ids', type: 'text' })
  vaultIds!: string;

  @Column({ type: 'varchar', length: 200 })
  description!: string;

  /** The secret, sealed: `v1.<nonce hex>.<ciphertext and tag hex>`. */
  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  /** Canonical JSON of the signed `webhook.create` envelope. */
  @Column({ name: 'create_envelope', type: 'text' })
  createEnvelope!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  /**
   * The audit seq of its `webhook.created` event: it receives only events after it, so
   * registering an endpoint never replays the history before it.
   */
  @Column({ name: 'from_seq', type: 'integer' })
  fromSeq!: number;

  @Column({ name: 'disabled_at', type: 'varchar', length: 32, nullable: true })
  disabledAt!: string | null;

  @Column({ name: 'disabled_by', type: 'varchar', length: 64, nullable: true })
  disabledBy!: string | null;
}
