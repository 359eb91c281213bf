/**
 * The pause before the next attempt of a delivery: exponential back-off (the first pause, then
 * doubled after each failed attempt, capped) with jitter, so that many deliveries failing at
 * once against a receiver that went down do not all come back at the same moment. Each pause is
 * drawn uniformly between half of its back-off and all of it ("equal jitter").
 */
import type { WebhookConfig } from './webhook-config';

/** Pause in ms after `failedAttempts` (>= 1) failed attempts; `random01` in [0, 1). */
export function retryDelayMs(failedAttempts: number, config: Pick<WebhookConfig, 'retrySeconds' | 'maxRetrySeconds'>, random01: number): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  const backoff = Math.min(config.retrySeconds * 2 ** exponent, config.maxRetrySeconds) * 1000;
  return Math.round(backoff / 2 + (backoff / 2) * random01);
}

/** A uniform number in [0, 1) from 4 random bytes. */
export function unitFrom(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) / 2 ** 32;
}
