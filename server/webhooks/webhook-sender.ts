/**
 * One HTTP attempt of a delivery, with Node's fetch: a POST of the delivery's JSON body with
 * the signature headers, bounded by the per-attempt time-out. Redirects are not followed (a 3xx
 * is a failed attempt): the signed body goes only to the registered URL. The answer's body is
 * never read or kept; only its status counts (2xx: delivered).
 */
import { WEBHOOK_HEADERS } from '../../protocol/webhooks';

export type AttemptResult =
  | { outcome: 'sent'; status: number; durationMs: number }
  | { outcome: 'timeout' | 'error'; error: string; durationMs: number }
  /** Cut short because the coordinator is stopping: nothing is recorded (as after a crash). */
  | { outcome: 'aborted' };

export interface AttemptRequest {
  url: string;
  body: string;
  event: string;
  deliveryId: string;
  signature: string;
  timeoutMs: number;
  /** Aborted when the coordinator stops. */
  stop: AbortSignal;
}

export async function postWebhook(request: AttemptRequest, elapsed: () => number): Promise<AttemptResult> {
  const start = elapsed();
  const timeout = AbortSignal.timeout(request.timeoutMs);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.any([timeout, request.stop]),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Conclave-Webhooks/1',
        [WEBHOOK_HEADERS.signature]: request.signature,
        [WEBHOOK_HEADERS.event]: request.event,
        [WEBHOOK_HEADERS.delivery]: request.deliveryId,
      },
      body: request.body,
    });
    await response.body?.cancel().catch(() => undefined);
    return { outcome: 'sent', status: response.status, durationMs: elapsed() - start };
  } catch (error) {
    if (request.stop.aborted) return { outcome: 'aborted' };
    const durationMs = elapsed() - start;
    if (timeout.aborted) return { outcome: 'timeout', error: `no answer within ${request.timeoutMs} ms`, durationMs };
    return { outcome: 'error', error: describe(error), durationMs };
  }
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, a TLS error...). */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : null;
  const message = error instanceof Error ? error.message : String(error);
  return (detail ? `${message}: ${detail}` : message).slice(0, 500);
}
