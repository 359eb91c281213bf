/**
 * REST client for the coordinator (JSON over HTTP, Node's global fetch). Failures become
 * ConclaveErrors: no answer is COORDINATOR_UNREACHABLE; an error answer keeps the coordinator's
 * stable code when it is one the coordinator may send (so scripts see e.g. INSUFFICIENT_FUNDS),
 * anything else is COORDINATOR_ERROR. Codes that only this signer may raise (keystore, pinning,
 * refusals) are never taken from the coordinator.
 *
 * Reads need a member's session (issue 5). The client asks without one first; when the
 * coordinator answers AUTH_REQUIRED it signs in (a `session.open` envelope signed with the
 * keystore's identity key, through `openSession`), keeps the session in memory only, and asks
 * again; an expired session is renewed the same way. Public routes never cause a sign-in.
 */
import { z } from 'zod';
import { ConclaveError, type ErrorCode, isErrorCode } from '../../protocol/errors';

const REQUEST_TIMEOUT_MS = 20_000;
const SIGNER_ONLY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'KEYSTORE_PASSPHRASE', 'KEYSTORE_MISSING', 'KEYSTORE_EXISTS', 'KEYSTORE_CORRUPT', 'NOT_PINNED',
  'PIN_MISMATCH', 'INTENT_REFUSED', 'USER_DECLINED', 'COORDINATOR_UNREACHABLE', 'AUDIT_CHAIN_BROKEN',
  'AUDIT_COORDINATOR_SIG_INVALID', 'AUDIT_EVIDENCE_INVALID', 'AUDIT_HISTORY_REWRITTEN', 'COORDINATOR_KEY_NOT_PINNED',
  'FROST_NONCE_USED',
]);

export function parseCoordinatorUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConclaveError('VALIDATION_FAILED', `--coordinator: "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConclaveError('VALIDATION_FAILED', `--coordinator: expected an http(s) URL, got ${url.protocol}`);
  }
  return url.toString().replace(/\/+$/, '');
}

export interface PostResult<T> { status: number; data: T }

/** Signs a `session.open` envelope for the coordinator whose key is given. */
export type SessionOpener = (coordinatorKey: string) => Promise<unknown>;

const sessionSchema = z.object({ token: z.string().min(16).max(200), expiresAt: z.string() });
const infoSchema = z.object({ coordinatorKey: z.string().regex(/^[0-9a-f]{64}$/) });

export class CoordinatorClient {
  private session: string | null = null;

  constructor(readonly baseUrl: string, private readonly openSession?: SessionOpener) {}

  /** ws(s)://host/ws for the event stream. */
  wsUrl(): string {
    const url = new URL(this.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
    return url.toString();
  }

  async get<S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> {
    return (await this.request('GET', path, undefined, schema)).data;
  }

  async post<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<PostResult<z.infer<S>>> {
    return this.request('POST', path, body, schema);
  }

  /** Signs in now (the session is kept for later requests) and returns the session secret. */
  async signIn(): Promise<string> {
    if (this.openSession === undefined) throw new ConclaveError('AUTH_REQUIRED', 'coordinator: this request needs a member\'s session, and no keystore is at hand to sign in with');
    const { coordinatorKey } = (await this.request('GET', '/api/v1/info', undefined, infoSchema, false)).data;
    const envelope = await this.openSession(coordinatorKey);
    this.session = (await this.request('POST', '/api/v1/auth/session', envelope, sessionSchema, false)).data.token;
    return this.session;
  }

  private async request<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S, mayAuthenticate = true): Promise<PostResult<z.infer<S>>> {
    try {
      return await this.send(method, path, body, schema, mayAuthenticate ? this.session : null);
    } catch (error) {
      const needsSession = error instanceof ConclaveError && error.code === 'AUTH_REQUIRED' && (error.details?.coordinatorCode === 'AUTH_REQUIRED');
      if (!mayAuthenticate || !needsSession || this.openSession === undefined) throw error;
      this.session = null; // absent, expired or ended: sign in (again) and ask once more
      return this.send(method, path, body, schema, await this.signIn());
    }
  }

  private async send<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S, session: string | null): Promise<PostResult<z.infer<S>>> {
    const where = `${method} ${path}`;
    let response: Response;
    const headers: Record<string, string> = body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' };
    if (session !== null) headers.authorization = `Bearer ${session}`;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new ConclaveError('COORDINATOR_UNREACHABLE', `${this.baseUrl}: ${where}: ${reason}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) throw this.errorFrom(response.status, json, where);
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConclaveError('COORDINATOR_ERROR', `coordinator: unexpected answer to ${where}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    return { status: response.status, data: parsed.data };
  }

  private errorFrom(status: number, json: unknown, where: string): ConclaveError {
    const error = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
    const message = typeof error?.message === 'string' ? error.message.slice(0, 500) : `HTTP ${status}`;
    const details = { status, ...(typeof error?.code === 'string' ? { coordinatorCode: error.code } : {}) };
    const code = isErrorCode(error?.code) && !SIGNER_ONLY_CODES.has(error.code) ? error.code : 'COORDINATOR_ERROR';
    return new ConclaveError(code, `coordinator: ${where}: ${message}`, details);
  }
}
