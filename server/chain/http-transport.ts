/**
 * HTTP for the chain clients, on node:http / node:https with a keep-alive agent per client:
 * one deadline per call (retries included), a bounded answer size, strict UTF-8, and bounded
 * retries of failures that may pass (refused connection, time-out, 5xx, 429, a node warming
 * up). Every transport failure is CHAIN_UNAVAILABLE. A request that times out or is abandoned
 * is destroyed with its socket (fetch, by contrast, was seen to open a fresh idle connection
 * after an abort); idle keep-alive sockets are unref'd by the agent and closed after 15 s.
 */
import { Agent as HttpAgent, type IncomingMessage, request as plainRequest } from 'node:http';
import { Agent as HttpsAgent, request as tlsRequest } from 'node:https';
import { ConclaveError } from '../../protocol/errors';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Epoch milliseconds after which the request is abandoned. */
  deadline: number;
  /** Answers longer than this are refused (default 32 MiB). */
  maxBytes?: number;
  /** Aborts the request early (another part of the same call failed). */
  signal?: AbortSignal;
  /** Names the call in messages: "Bitcoin Core getblockchaininfo", "Esplora GET /fee-estimates". */
  what: string;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  text: string;
}

const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const RETRYABLE = new WeakSet<ConclaveError>();

/** A CHAIN_UNAVAILABLE that another attempt may cure. */
export function retryableUnavailable(message: string, details?: Record<string, unknown>): ConclaveError {
  const error = new ConclaveError('CHAIN_UNAVAILABLE', message, details);
  RETRYABLE.add(error);
  return error;
}

export function isRetryable(error: unknown): boolean {
  return error instanceof ConclaveError && RETRYABLE.has(error);
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
}

export class HttpTransport {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly tls: boolean;

  constructor(origin: string) {
    this.tls = new URL(origin).protocol === 'https:';
    const options = { keepAlive: true, maxSockets: 8, timeout: 15_000 };
    this.agent = this.tls ? new HttpsAgent(options) : new HttpAgent(options);
  }

  /** Closes the idle keep-alive sockets; requests made afterwards open new ones. */
  close(): void {
    this.agent.destroy();
  }

  /** One HTTP exchange. Transport failures are (retryable) CHAIN_UNAVAILABLE; the status is the caller's to judge. */
  request(request: HttpRequest): Promise<HttpAnswer> {
    const { what } = request;
    const remaining = request.deadline - Date.now();
    if (remaining <= 0) return Promise.reject(retryableUnavailable(`${what}: no time left for the request`));
    if (request.signal?.aborted) return Promise.reject(new ConclaveError('CHAIN_UNAVAILABLE', `${what}: abandoned, another request of the same call failed`));
    const maxBytes = request.maxBytes ?? DEFAULT_MAX_BYTES;
    const url = new URL(request.url);
    return new Promise<HttpAnswer>((resolve, reject) => {
      let settled = false;
      let answered = false;
      const headers: Record<string, string> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body, 'utf8'));
      const req = (this.tls ? tlsRequest : plainRequest)(url, { method: request.method, headers, agent: this.agent });
      const settle = (outcome: () => void, destroy: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onAbort);
        // A request given up mid-way is destroyed with its socket: nothing stays behind it.
        if (destroy) req.destroy();
        outcome();
      };
      const timer = setTimeout(() => settle(() => reject(retryableUnavailable(`${what}: no answer within the time-out`)), true), remaining);
      const onAbort = () => settle(() => reject(new ConclaveError('CHAIN_UNAVAILABLE', `${what}: abandoned, another request of the same call failed`)), true);
      request.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (error) => settle(() => reject(answered
        ? retryableUnavailable(`${what}: the connection failed before the whole answer arrived (${errorCode(error)})`)
        : retryableUnavailable(`${what}: cannot reach ${url.origin} (${errorCode(error)})`)), true));
      req.on('response', (res: IncomingMessage) => {
        answered = true;
        const declared = Number(res.headers['content-length'] ?? NaN);
        if (Number.isFinite(declared) && declared > maxBytes) {
          settle(() => reject(new ConclaveError('CHAIN_RESPONSE_INVALID', `${what}: the answer of ${declared} bytes is over the ${maxBytes}-byte limit`)), true);
          return;
        }
        const chunks: Buffer[] = [];
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > maxBytes) {
            settle(() => reject(new ConclaveError('CHAIN_RESPONSE_INVALID', `${what}: the answer is over the ${maxBytes}-byte limit`)), true);
            return;
          }
          chunks.push(chunk);
        });
        const cut = (error?: unknown) => settle(() => reject(retryableUnavailable(`${what}: the connection failed before the whole answer arrived${error ? ` (${errorCode(error)})` : ''}`)), true);
        res.on('error', cut);
        res.on('close', () => {
          if (!res.complete) cut();
        });
        res.on('end', () => {
          if (!res.complete) return cut();
          let text: string;
          try {
            text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
          } catch {
            return settle(() => reject(new ConclaveError('CHAIN_RESPONSE_INVALID', `${what}: the answer is not valid UTF-8`)), false);
          }
          settle(() => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text }), false);
        });
      });
      req.end(request.body);
    });
  }
}

/** The URL as text; credentials in it would be sent and shown in messages, so they are refused (they go in `auth`). */
export function credentialFreeUrl(text: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConclaveError('CONFIG_INVALID', `${variable}: not a URL`);
  }
  if (url.username !== '' || url.password !== '') throw new ConclaveError('CONFIG_INVALID', `${variable}: credentials do not belong in the URL`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConclaveError('CONFIG_INVALID', `${variable}: expected http or https`);
  return url.toString();
}

export interface RetryPolicy {
  /** Attempts after the first one, for retryable failures only. */
  retries: number;
  /** First pause between attempts; doubled after each. */
  backoffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 2, backoffMs: 200 };

/**
 * Runs `attempt` until it succeeds, fails for good, or runs out of attempts or time. Only
 * idempotent calls come here (every chain call is: reads, and broadcasts, which the node
 * answers with the same txid when it already holds the transaction).
 */
export async function withRetries<T>(deadline: number, policy: RetryPolicy, attempt: () => Promise<T>): Promise<T> {
  for (let n = 0; ; n += 1) {
    try {
      return await attempt();
    } catch (error) {
      const pause = policy.backoffMs * 2 ** n;
      if (!isRetryable(error) || n >= policy.retries || Date.now() + pause >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** A short, single-line excerpt of a text answer for messages (never a whole page). */
export function excerpt(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}
