/**
 * How webhooks are delivered (server/webhooks):
 *   CONCLAVE_WEBHOOK_SWEEP_SECONDS    how often new audit events become deliveries and due
 *                                     deliveries are sent (default 5)
 *   CONCLAVE_WEBHOOK_TIMEOUT_SECONDS  how long one attempt waits for the receiver's answer
 *                                     (default 10; decimals allowed)
 *   CONCLAVE_WEBHOOK_MAX_ATTEMPTS     attempts before a delivery is marked failed (default 10)
 *   CONCLAVE_WEBHOOK_RETRY_SECONDS    pause after the first failed attempt; doubled after each
 *                                     further one, at most CONCLAVE_WEBHOOK_MAX_RETRY_SECONDS
 *                                     (default 30), with jitter: each pause is drawn between
 *                                     half of it and all of it
 *   CONCLAVE_WEBHOOK_MAX_RETRY_SECONDS longest pause between two attempts (default 3600)
 *   CONCLAVE_WEBHOOK_ALLOW_PRIVATE    true (default): endpoints may be on loopback or private
 *                                     networks (self-hosted receivers, tests); false: such URLs
 *                                     are refused, also when a host name resolves to one
 *                                     (docs/webhooks.md, SSRF)
 */
import { z } from 'zod';

const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const WEBHOOK_ENV = {
  CONCLAVE_WEBHOOK_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86_400).default(5),
  CONCLAVE_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(120).default(10),
  CONCLAVE_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(10),
  CONCLAVE_WEBHOOK_RETRY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
  CONCLAVE_WEBHOOK_MAX_RETRY_SECONDS: z.coerce.number().int().min(1).max(7 * 86_400).default(3600),
  CONCLAVE_WEBHOOK_ALLOW_PRIVATE: flag.default(true),
};

export type WebhookEnv = z.infer<z.ZodObject<typeof WEBHOOK_ENV>>;

export interface WebhookConfig {
  sweepSeconds: number;
  timeoutMs: number;
  maxAttempts: number;
  retrySeconds: number;
  maxRetrySeconds: number;
  allowPrivate: boolean;
}

export function webhookConfigFromEnv(e: WebhookEnv): WebhookConfig {
  return {
    sweepSeconds: e.CONCLAVE_WEBHOOK_SWEEP_SECONDS,
    timeoutMs: Math.round(e.CONCLAVE_WEBHOOK_TIMEOUT_SECONDS * 1000),
    maxAttempts: e.CONCLAVE_WEBHOOK_MAX_ATTEMPTS,
    retrySeconds: e.CONCLAVE_WEBHOOK_RETRY_SECONDS,
    maxRetrySeconds: Math.max(e.CONCLAVE_WEBHOOK_MAX_RETRY_SECONDS, e.CONCLAVE_WEBHOOK_RETRY_SECONDS),
    allowPrivate: e.CONCLAVE_WEBHOOK_ALLOW_PRIVATE,
  };
}
