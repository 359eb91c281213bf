/**
 * A real coordinator inside the test process (real HTTP on loopback, real database), for
 * service and API tests that need to look at the database after each request.
 *
 * Reads need a member's session (issue 5): `actAs(keyholder)` names the member whose session
 * `call` sends with every GET and DELETE (opened on first use with a signed `session.open`, as
 * signer-cli does), and
 * `setupVault` (vault-scenario.ts) makes its first keyholder that member unless one is set.
 * A call can name another member (`{ as }`), a bearer secret (`{ bearer }`), or none (`{ bearer: null }`).
 */
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MESSAGE_TYPES } from '../../protocol/api';
import { signEnvelope } from '../../protocol/envelope';
import { createCoordinator } from '../../server/bootstrap';
import { loadConfig } from '../../server/config/config';
import { type TestDatabase, testDatabase } from './test-database';

export interface ApiResponse<T = unknown> { status: number; body: T }

/** Whoever can sign a `session.open`: a TestKeyholder, or any holder of an identity secret. */
export interface SessionIdentity { identitySecret: Uint8Array }

export interface CallOptions {
  /** Sign in as this member for the call (instead of the `actAs` member). */
  as?: SessionIdentity;
  /** Send this bearer secret (session or API token), or none at all with null. */
  bearer?: string | null;
}

export interface RunningCoordinator {
  url: string;
  app: INestApplication;
  db: TestDatabase;
  dataSource: DataSource;
  call<T = unknown>(method: string, path: string, body?: unknown, options?: CallOptions): Promise<ApiResponse<T>>;
  /** The member whose session `call` sends by default; null for none. */
  actAs(identity: SessionIdentity | null): void;
  readonly actor: SessionIdentity | null;
  /** A session secret for `identity` (cached; opened with a signed session.open). */
  sessionFor(identity: SessionIdentity): Promise<string>;
  close(): Promise<void>;
}

/** `purpose: passkey-enrolment` asks for an enrolment link's session instead of a sign-in. */
export function sessionOpenEnvelope(identity: SessionIdentity, coordinatorKey: string, now = new Date(), purpose?: 'passkey-enrolment') {
  return signEnvelope(MESSAGE_TYPES.sessionOpen, { coordinatorKey, ...(purpose ? { purpose } : {}) }, identity.identitySecret, { now, randomBytes: (n) => new Uint8Array(randomBytes(n)) });
}

export async function startInProcessCoordinator(env: Record<string, string> = {}): Promise<RunningCoordinator> {
  const db = testDatabase();
  const config = loadConfig({ CONCLAVE_LOG_LEVEL: 'error', CONCLAVE_PORT: '0', ...db.env, ...env });
  const app = await createCoordinator(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const sessions = new Map<SessionIdentity, string>();
  let actor: SessionIdentity | null = null;

  async function send<T>(method: string, path: string, body: unknown, bearer: string | null): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    const response = await fetch(url + path, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async function sessionFor(identity: SessionIdentity): Promise<string> {
    const cached = sessions.get(identity);
    if (cached !== undefined) return cached;
    const info = await send<{ coordinatorKey: string }>('GET', '/api/v1/info', undefined, null);
    const opened = await send<{ token: string }>('POST', '/api/v1/auth/session', sessionOpenEnvelope(identity, info.body.coordinatorKey), null);
    if (opened.status !== 201) throw new Error(`sign-in failed: ${JSON.stringify(opened.body)}`);
    sessions.set(identity, opened.body.token);
    return opened.body.token;
  }

  return {
    url, app, db, dataSource: app.get(DataSource),
    async call<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<ApiResponse<T>> {
      if (options.bearer !== undefined) return send<T>(method, path, body, options.bearer);
      // The actor's session goes with reads only: a POST speaks for whoever signed its body.
      const identity = options.as ?? (method === 'POST' ? null : actor);
      if (identity === null) return send<T>(method, path, body, null);
      return send<T>(method, path, body, await sessionFor(identity));
    },
    actAs(identity) {
      actor = identity;
    },
    get actor() {
      return actor;
    },
    sessionFor,
    async close() {
      await app.close();
      await db.cleanup();
    },
  };
}
