/**
 * Audit binding rules for webhook endpoints (issue 6; evidence-binding.ts delegates the webhook
 * kinds here): an endpoint is introduced once, with the URL, events and description its
 * administrator's `webhook.create` signed, and the vaults it named (when it named none, the
 * coordinator recorded those the signer administered, a claim the vaults must at least exist
 * for); a disabling names an endpoint the log introduced and is its only one. The endpoint's
 * secret is never in the log.
 */
import { webhookCreateSchema, webhookDisableSchema } from '../webhooks';
import type { Envelope } from '../envelope';
import { Mismatch, parsed, same } from './binding-checks';
import type { BindableEvent } from './evidence-binding';

/** The webhook endpoints of one chain walk: whether each is disabled yet. */
export class WebhookLog {
  private readonly endpoints = new Map<string, { disabled: boolean }>();

  /** Returns the vaults the endpoint covers, for the caller to check against the log. */
  created(event: BindableEvent, envelope: Envelope | null): string[] {
    const create = parsed(webhookCreateSchema, envelope?.body);
    const id = event.subject;
    if (id === null) throw new Mismatch('no subject');
    if (this.endpoints.has(id)) throw new Mismatch(`webhook ${id} was already introduced earlier in the log`);
    same('payload.url', event.payload.url, create.url);
    same('payload.events', event.payload.events, create.events);
    same('payload.description', event.payload.description, create.description);
    const vaultIds = event.payload.vaultIds;
    if (create.vaultIds !== undefined) same('payload.vaultIds', vaultIds, create.vaultIds);
    if (!Array.isArray(vaultIds) || vaultIds.length === 0 || !vaultIds.every((v) => typeof v === 'string')) throw new Mismatch('payload.vaultIds is not a list of vault ids');
    this.endpoints.set(id, { disabled: false });
    return vaultIds as string[];
  }

  disabled(event: BindableEvent, envelope: Envelope | null): void {
    const disable = parsed(webhookDisableSchema, envelope?.body);
    same('subject', event.subject, disable.webhookId);
    const endpoint = this.endpoints.get(disable.webhookId);
    if (endpoint === undefined) throw new Mismatch(`webhook ${disable.webhookId} does not appear earlier in the log`);
    if (endpoint.disabled) throw new Mismatch(`webhook ${disable.webhookId} was already disabled earlier in the log`);
    endpoint.disabled = true;
  }
}
