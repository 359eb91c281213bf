/**
 * Webhook endpoints (issue 6): registered and disabled by administrators' signed statements
 * (audited, with the statement as evidence), read with their delivery logs by administrators
 * and auditors of the vaults they cover (vault-stewards.ts). Every refusal happens before
 * anything is written: a bad URL, an unknown vault or a signer who does not administer it
 * leaves no endpoint, no audit event and no used nonce.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { MESSAGE_TYPES } from '../../protocol/api';
import { canonicalJson } from '../../protocol/canonical-json';
import { ConclaveError } from '../../protocol/errors';
import {
  type WebhookCreate, type WebhookCreatedView, type WebhookDeliveryState, type WebhookDeliveryView, type WebhookDisable, type WebhookEndpointView,
  type WebhookEvent, webhookCreateSchema, webhookDisableSchema, webhookSecret,
} from '../../protocol/webhooks';
import { AuditService } from '../audit/audit.service';
import { Clock, Random } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { VaultEntity } from '../vaults/vault.entity';
import { stewardshipOf } from './vault-stewards';
import { WebhookAttemptEntity } from './webhook-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { WebhookSecrets } from './webhook-secrets';
import { checkWebhookTarget, parseWebhookUrl } from './webhook-url';

export interface DeliveryQuery { state?: WebhookDeliveryState; limit: number }

@Injectable()
export class WebhooksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly secrets: WebhookSecrets,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async create(input: unknown): Promise<WebhookCreatedView> {
    // Signature, body and URL first, outside the transaction: a DNS lookup must not hold the
    // SQLite queue, and a refusal must not consume the statement's nonce.
    const checked = this.envelopes.check<WebhookCreate>(input, MESSAGE_TYPES.webhookCreate);
    const body = parseWith(webhookCreateSchema, checked.body, 'envelope.body');
    await checkWebhookTarget(parseWebhookUrl(body.url), this.config.webhooks.allowPrivate);
    return this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<WebhookCreate>(manager, input, MESSAGE_TYPES.webhookCreate);
      const { administers } = await stewardshipOf(manager, envelope.signer);
      let vaultIds: string[];
      if (body.vaultIds !== undefined) {
        const known = new Set((await manager.getRepository(VaultEntity).find({ where: { id: In(body.vaultIds) }, select: { id: true } })).map((v) => v.id));
        const unknown = body.vaultIds.find((id) => !known.has(id));
        if (unknown !== undefined) throw new ConclaveError('VAULT_NOT_FOUND', `envelope.body.vaultIds: no vault ${unknown}`);
        const foreign = body.vaultIds.find((id) => !administers.has(id));
        if (foreign !== undefined) throw new ConclaveError('WEBHOOK_NOT_ADMIN', `envelope.body.vaultIds: the signer does not administer vault ${foreign} (its admins, or for a simple vault its keyholders, do)`);
        vaultIds = body.vaultIds;
      } else {
        if (administers.size === 0) throw new ConclaveError('WEBHOOK_NOT_ADMIN', 'the signer administers no vault (admins of a governed vault, or keyholders of a simple one, register webhooks)');
        vaultIds = [...administers].sort();
      }
      const id = this.random.uuid();
      const secret = webhookSecret(this.random.bytes(32));
      const now = this.clock.now().toISOString();
      const event = await this.audit.append(manager, {
        kind: 'webhook.created', actor: envelope.signer, subject: id, evidence: envelope,
        payload: { url: body.url, events: body.events, vaultIds, description: body.description },
      });
      const row = manager.getRepository(WebhookEndpointEntity).create({
        id, url: body.url, events: JSON.stringify(body.events), vaultIds: JSON.stringify(vaultIds), description: body.description,
        secretSealed: this.secrets.seal(id, secret), createdBy: envelope.signer, createEnvelope: canonicalJson(envelope), createdAt: now,
        fromSeq: event.seq, disabledAt: null, disabledBy: null,
      });
      await manager.getRepository(WebhookEndpointEntity).insert(row);
      return { ...endpointView(row), secret };
    });
  }

  /** The endpoints covering a vault the member oversees. */
  async list(identityKey: string): Promise<WebhookEndpointView[]> {
    const { oversees } = await stewardshipOf(this.dataSource.manager, identityKey);
    const rows = await this.dataSource.getRepository(WebhookEndpointEntity).find({ order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.filter((r) => (JSON.parse(r.vaultIds) as string[]).some((v) => oversees.has(v))).map(endpointView);
  }

  /** Disabling needs an administrator of every vault the endpoint covers; its pending deliveries are cancelled. */
  async disable(webhookId: string, input: unknown): Promise<WebhookEndpointView> {
    return this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<WebhookDisable>(manager, input, MESSAGE_TYPES.webhookDisable);
      const body = parseWith(webhookDisableSchema, envelope.body, 'envelope.body');
      if (body.webhookId !== webhookId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.webhookId: does not match the route');
      const repo = manager.getRepository(WebhookEndpointEntity);
      const row = await repo.findOne({ where: { id: webhookId } });
      const { administers, oversees } = await stewardshipOf(manager, envelope.signer);
      const vaultIds = row === null ? [] : JSON.parse(row.vaultIds) as string[];
      if (row === null || !vaultIds.some((v) => oversees.has(v))) throw new ConclaveError('WEBHOOK_NOT_FOUND', `webhook ${webhookId}: not found`);
      if (!vaultIds.every((v) => administers.has(v))) throw new ConclaveError('WEBHOOK_NOT_ADMIN', `webhook ${webhookId}: only an administrator of every vault it covers may disable it`);
      if (row.disabledAt !== null) throw new ConclaveError('WEBHOOK_DISABLED', `webhook ${webhookId}: already disabled at ${row.disabledAt}`);
      const now = this.clock.now().toISOString();
      row.disabledAt = now;
      row.disabledBy = envelope.signer;
      await repo.update({ id: webhookId }, { disabledAt: now, disabledBy: envelope.signer });
      const cancelled = await manager.getRepository(WebhookDeliveryEntity).update({ endpointId: webhookId, state: 'pending' }, { state: 'cancelled', nextAttemptAt: null, updatedAt: now });
      await this.audit.append(manager, { kind: 'webhook.disabled', actor: envelope.signer, subject: webhookId, evidence: envelope, payload: { cancelledDeliveries: cancelled.affected ?? 0 } });
      return endpointView(row);
    });
  }

  /** The delivery log of an endpoint the member oversees, newest event first, each with its attempts. */
  async deliveries(webhookId: string, identityKey: string, query: DeliveryQuery): Promise<WebhookDeliveryView[]> {
    const manager = this.dataSource.manager;
    const row = await manager.getRepository(WebhookEndpointEntity).findOne({ where: { id: webhookId } });
    const { oversees } = await stewardshipOf(manager, identityKey);
    if (row === null || !(JSON.parse(row.vaultIds) as string[]).some((v) => oversees.has(v))) throw new ConclaveError('WEBHOOK_NOT_FOUND', `webhook ${webhookId}: not found`);
    const deliveries = await manager.getRepository(WebhookDeliveryEntity).find({
      where: { endpointId: webhookId, ...(query.state ? { state: query.state } : {}) }, order: { auditSeq: 'DESC' }, take: query.limit,
    });
    const attempts = deliveries.length === 0 ? [] : await manager.getRepository(WebhookAttemptEntity).find({ where: { deliveryId: In(deliveries.map((d) => d.id)) }, order: { attempt: 'ASC' } });
    return deliveries.map((d) => ({
      id: d.id, endpointId: d.endpointId, event: d.event as WebhookEvent, auditSeq: d.auditSeq, auditHash: d.auditHash, state: d.state,
      attempts: d.attempts, nextAttemptAt: d.nextAttemptAt, deliveredAt: d.deliveredAt, lastStatus: d.lastStatus, lastError: d.lastError, createdAt: d.createdAt,
      attemptLog: attempts.filter((a) => a.deliveryId === d.id).map((a) => ({ attempt: a.attempt, at: a.startedAt, outcome: a.outcome, status: a.status, error: a.error, durationMs: a.durationMs })),
    }));
  }
}

function endpointView(row: WebhookEndpointEntity): WebhookEndpointView {
  return {
    id: row.id, url: row.url, events: JSON.parse(row.events) as WebhookEvent[], vaultIds: JSON.parse(row.vaultIds) as string[], description: row.description,
    createdBy: row.createdBy, createdAt: row.createdAt, status: row.disabledAt === null ? 'active' : 'disabled', disabledAt: row.disabledAt, disabledBy: row.disabledBy,
  };
}
