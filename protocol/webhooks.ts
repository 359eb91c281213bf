/**
 * Signed webhooks (issue 6, notifications): what an administrator signs to register or disable
 * an HTTP endpoint, what the coordinator POSTs to it, and how a receiver checks that a delivery
 * came from the coordinator (HMAC-SHA256 with the endpoint's secret, in the manner of Stripe's
 * signature header). Pure: the clock is always passed in.
 *
 * Routes (server/webhooks):
 * - `POST /api/v1/webhooks`                  body: webhook.create envelope -> WebhookCreatedView (201; the secret, this once)
 * - `GET  /api/v1/webhooks`                  -> WebhookEndpointView[] (never a secret)
 * - `POST /api/v1/webhooks/:id/disable`      body: webhook.disable envelope -> WebhookEndpointView
 * - `GET  /api/v1/webhooks/:id/deliveries`   -> WebhookDeliveryView[] (the delivery log, newest first)
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { idSchema, noNul } from './schemas';

/**
 * The events an endpoint may subscribe to. Each is an audit event kind (`withdrawal.proposed`
 * also stands for a proposal made through an API token), so a receiver can look the event up
 * in the audit log by the `audit.seq` and `audit.hash` every delivery carries.
 */
export const WEBHOOK_EVENTS = [
  'withdrawal.proposed',
  /** Approval needed: the proposal waits for the approvals its policy requires. */
  'withdrawal.awaiting_approval',
  'withdrawal.approved',
  'withdrawal.signed',
  /** Offline mode: the final transaction waits for a hot machine to broadcast it. */
  'withdrawal.exported',
  'withdrawal.broadcast',
  'withdrawal.broadcast-rejected',
  'withdrawal.confirmed',
  'withdrawal.cancelled',
  'withdrawal.expired',
  /** Changes to a governed vault's policy, members or address book (`op` says which). */
  'governance.proposed',
  'governance.approved',
  'governance.applied',
  'governance.refused',
  'governance.superseded',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export const WEBHOOK_URL_MAX_LENGTH = 2048;

/** Body of `webhook.create`, signed by an administrator of every vault it names. */
export const webhookCreateSchema = z.object({
  /** http(s) only, no user name or password in it, no fragment (checked by the coordinator: WEBHOOK_URL_INVALID). */
  url: z.string().min(1).max(WEBHOOK_URL_MAX_LENGTH),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length)
    .refine((events) => new Set(events).size === events.length, 'lists an event twice'),
  /** The vaults whose events it receives; absent: every vault the signer administers now. */
  vaultIds: z.array(idSchema).min(1).max(100).refine((ids) => new Set(ids).size === ids.length, 'lists a vault twice').optional(),
  description: z.string().max(200).refine(noNul, 'must not contain NUL (U+0000)').default(''),
}).strict();
export type WebhookCreate = z.infer<typeof webhookCreateSchema>;

export const webhookDisableSchema = z.object({ webhookId: idSchema }).strict();
export type WebhookDisable = z.infer<typeof webhookDisableSchema>;

export interface WebhookEndpointView {
  id: string;
  url: string;
  events: WebhookEvent[];
  vaultIds: string[];
  description: string;
  /** Identity key of the administrator who signed the `webhook.create`. */
  createdBy: string;
  createdAt: string;
  status: 'active' | 'disabled';
  disabledAt: string | null;
  disabledBy: string | null;
}

/** The answer to a creation: the only time the secret is ever shown. */
export interface WebhookCreatedView extends WebhookEndpointView {
  secret: string;
}

export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed' | 'cancelled';

export interface WebhookAttemptView {
  attempt: number;
  at: string;
  /** `sent`: an answer came (see status); `timeout`, `error` (no answer); `sending`: in flight; `interrupted`: the coordinator stopped during it. */
  outcome: 'sent' | 'timeout' | 'error' | 'sending' | 'interrupted';
  /** The receiver's HTTP status, when it answered. */
  status: number | null;
  error: string | null;
  durationMs: number | null;
}

export interface WebhookDeliveryView {
  /** Also the `Conclave-Delivery` header and the body's `id`: the same on every attempt. */
  id: string;
  endpointId: string;
  event: WebhookEvent;
  auditSeq: number;
  auditHash: string;
  state: WebhookDeliveryState;
  attempts: number;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  attemptLog: WebhookAttemptView[];
}

/** The JSON body POSTed to an endpoint. */
export interface WebhookPayload {
  id: string;
  event: WebhookEvent;
  /** When the audit event was recorded. */
  occurredAt: string;
  vaultId: string;
  withdrawalId?: string;
  changeId?: string;
  /** The withdrawal's state after the event, or the change's status (pending, applied, refused, superseded). */
  state: string;
  /** A governance change's operation (e.g. `address-book.add`, `member.add`, `policy.replace-rules`). */
  op?: string;
  /** A few facts of the audit event's payload (txid, confirmations, requiredApprovals, reason...). */
  details: Record<string, unknown>;
  /** The audit event behind this delivery: cross-check it with GET /api/v1/audit. */
  audit: { seq: number; hash: string };
}

export const WEBHOOK_HEADERS = {
  signature: 'Conclave-Signature',
  event: 'Conclave-Event',
  delivery: 'Conclave-Delivery',
} as const;

/** How far a signature's time may be from the receiver's clock before it is refused (replays). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** A new endpoint secret: `whsec_` and 32 random bytes in hex. The HMAC key is this whole string (its UTF-8 bytes). */
export function webhookSecret(random: Uint8Array): string {
  if (random.length !== 32) throw new Error('webhookSecret: expected 32 random bytes');
  return `whsec_${bytesToHex(random)}`;
}

function mac(secret: string, timestamp: number, body: string): string {
  return bytesToHex(hmac(sha256, utf8ToBytes(secret), utf8ToBytes(`${timestamp}.${body}`)));
}

/** The `Conclave-Signature` header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">`. */
export function signWebhook(secret: string, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${mac(secret, t, body)}`;
}

export type WebhookCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * A receiver's check of a delivery: the header must carry a `v1` HMAC of `"<t>.<body>"` under
 * the secret (any of several `v1`, for secret rotation) and `t` must be within `toleranceSeconds`
 * of `now`. `body` is the raw request body, exactly as received (parsing and re-serializing the
 * JSON would change it).
 */
export function verifyWebhook(header: string, body: string, secret: string, now: Date, toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS): WebhookCheck {
  let t: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value !== undefined && /^[0-9]{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (t === null) return { ok: false, reason: 'no timestamp (t=) in the signature header' };
  if (signatures.length === 0) return { ok: false, reason: 'no v1 signature in the signature header' };
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return { ok: false, reason: `the signature time ${t} is more than ${toleranceSeconds} s from now` };
  const expected = mac(secret, t, body);
  return signatures.some((s) => constantTimeEqual(s, expected)) ? { ok: true, timestamp: t } : { ok: false, reason: 'no v1 signature matches the body under this secret' };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
