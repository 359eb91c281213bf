/**
 * Every route of the running coordinator against every kind of caller (issue 5): the members
 * holding each role, API tokens (read, propose, expired, revoked), a passkey enrolment link and
 * nobody. Routes are read
 * from the app itself, so a new route without a row here fails this test. A caller is refused
 * when the access gate answers AUTH_REQUIRED (401) or ACCESS_DENIED (403); anything else
 * (including a service's own refusal of the dummy body) means the gate let the caller through.
 */
import { randomUUID } from 'node:crypto';
import { type AccessCast, type MemberRole, accessCast } from '../support/access-cast';
import { type RunningCoordinator, sessionOpenEnvelope, startInProcessCoordinator } from '../support/in-process-coordinator';

type Caller = MemberRole | 'readToken' | 'proposeToken' | 'expiredToken' | 'revokedToken' | 'enrolmentLink' | 'anonymous';
type Outcome = 'allow' | 'AUTH_REQUIRED' | 'ACCESS_DENIED';
const ROLES: MemberRole[] = ['admin', 'initiator', 'approver', 'auditor', 'keyholder'];
const CALLERS: Caller[] = [...ROLES, 'readToken', 'proposeToken', 'expiredToken', 'revokedToken', 'enrolmentLink', 'anonymous'];

const A = 'allow' as const;
const AUTH = 'AUTH_REQUIRED' as const;
const DENY = 'ACCESS_DENIED' as const;

/** What each kind of route answers each caller: the gate's contract (server/auth/access.decorator.ts). */
function row(members: Partial<Record<MemberRole, Outcome>> | Outcome, tokens: { read: Outcome; propose: Outcome }, anonymous: Outcome = AUTH): Record<Caller, Outcome> {
  const m = typeof members === 'string' ? Object.fromEntries(ROLES.map((r) => [r, members])) as Record<MemberRole, Outcome> : { ...Object.fromEntries(ROLES.map((r) => [r, DENY])), ...members } as Record<MemberRole, Outcome>;
  const dead = anonymous === A ? A : AUTH;
  // An enrolment link's session opens only the routes that register a passkey (ENROLMENT_ROUTES).
  return { ...m, readToken: tokens.read, proposeToken: tokens.propose, expiredToken: dead, revokedToken: dead, enrolmentLink: anonymous === A ? A : DENY, anonymous };
}
const NEEDS = {
  public: row(A, { read: A, propose: A }, A),
  read: row(A, { read: A, propose: DENY }),
  /** Reads of one withdrawal: the propose token may read the one it proposed (the route's :id here). */
  readOwn: row(A, { read: A, propose: A }),
  session: row(A, { read: DENY, propose: DENY }),
  tokenPropose: row(DENY, { read: DENY, propose: A }),
  member: row({ admin: A, initiator: A, approver: A, keyholder: A }, { read: DENY, propose: DENY }),
  grant: row(A, { read: DENY, propose: DENY }),
  propose: row({ admin: A, initiator: A, keyholder: A }, { read: DENY, propose: DENY }),
  approve: row({ admin: A, approver: A, keyholder: A }, { read: DENY, propose: DENY }),
  sign: row({ keyholder: A }, { read: DENY, propose: DENY }),
  govern: row({ admin: A, approver: A, keyholder: A }, { read: DENY, propose: DENY }),
  act: row({ admin: A, initiator: A, approver: A, keyholder: A }, { read: DENY, propose: DENY }),
  /** Webhooks: admins of a governed vault, keyholders (a simple vault's administrators); the service judges the vault. */
  administer: row({ admin: A, keyholder: A }, { read: DENY, propose: DENY }),
  /** Webhook endpoints and delivery logs: administrators and auditors, by session; never a token. */
  oversee: row({ admin: A, auditor: A, keyholder: A }, { read: DENY, propose: DENY }),
};

/** Routes where a member acts by a signed statement in the body; elsewhere members call with their session. */
const STATEMENT_NEEDS = new Set<keyof typeof NEEDS>(['public', 'member', 'grant', 'propose', 'approve', 'sign', 'govern', 'act', 'administer']);

const TABLE: Record<string, keyof typeof NEEDS> = {
  'GET /health': 'public',
  'GET /api/v1/info': 'public',
  'POST /api/v1/members': 'public',
  'GET /api/v1/members': 'read',
  'GET /api/v1/members/:id': 'read',
  'POST /api/v1/vaults': 'member',
  'GET /api/v1/vaults': 'read',
  'GET /api/v1/vaults/:id': 'read',
  'POST /api/v1/vaults/:id/confirmations': 'member',
  'GET /api/v1/vaults/:id/addresses': 'read',
  'POST /api/v1/vaults/:id/deposits': 'member',
  'GET /api/v1/vaults/:id/utxos': 'read',
  'GET /api/v1/fee-estimates': 'read',
  'POST /api/v1/vaults/:id/withdrawals': 'propose',
  'GET /api/v1/vaults/:id/withdrawals': 'read',
  'GET /api/v1/withdrawals/:id': 'readOwn',
  'POST /api/v1/withdrawals/:id/approvals': 'approve',
  'POST /api/v1/withdrawals/:id/cancel': 'act',
  'POST /api/v1/withdrawals/:id/bump': 'act',
  'POST /api/v1/withdrawals/:id/broadcast/retry': 'act',
  'POST /api/v1/withdrawals/:id/signatures': 'sign',
  'GET /api/v1/withdrawals/:id/transaction': 'readOwn',
  'GET /api/v1/withdrawals/:id/frost': 'readOwn',
  'POST /api/v1/withdrawals/:id/frost/commitments': 'sign',
  'POST /api/v1/withdrawals/:id/frost/sessions/:sessionId/shares': 'sign',
  'GET /api/v1/audit': 'read',
  'GET /api/v1/audit/verify': 'read',
  'POST /api/v1/setups': 'member',
  'GET /api/v1/setups/:id': 'read',
  'POST /api/v1/setups/:id/key-records': 'member',
  'POST /api/v1/setups/:id/descriptor-record': 'member',
  'POST /api/v1/frost-setups': 'member',
  'GET /api/v1/frost-setups/:setupId': 'read',
  'POST /api/v1/frost-setups/:setupId/round1': 'member',
  'POST /api/v1/frost-setups/:setupId/round2': 'member',
  'GET /api/v1/frost-setups/:setupId/round2/:recipient': 'read',
  'POST /api/v1/frost-setups/:setupId/confirm': 'member',
  'POST /api/v1/auth/session': 'public',
  'DELETE /api/v1/auth/session': 'session',
  'POST /api/v1/auth/passkey/options': 'public',
  'POST /api/v1/auth/passkey': 'public',
  'POST /api/v1/auth/passkeys/registration/options': 'session',
  'POST /api/v1/auth/passkeys/registration': 'session',
  'POST /api/v1/tokens': 'grant',
  'GET /api/v1/tokens': 'session',
  'POST /api/v1/tokens/revoke': 'grant',
  'POST /api/v1/withdrawals': 'tokenPropose',
  'POST /api/v1/vaults/:id/changes': 'govern',
  'GET /api/v1/vaults/:id/changes': 'read',
  'GET /api/v1/vaults/:id/changes/:changeId': 'read',
  'POST /api/v1/vaults/:id/changes/:changeId/approvals': 'govern',
  'GET /api/v1/vaults/:id/policy': 'read',
  // The web app (server/web): its page and content-hashed assets are public; what it shows comes from the routes above.
  'GET /': 'public',
  'GET /assets/:file': 'public',
  'POST /api/v1/webhooks': 'administer',
  'GET /api/v1/webhooks': 'oversee',
  'POST /api/v1/webhooks/:id/disable': 'administer',
  'GET /api/v1/webhooks/:id/deliveries': 'oversee',
};

/** What an enrolment link (`signer-cli passkey link`) may call besides the public routes. */
const ENROLMENT_ROUTES = new Set(['POST /api/v1/auth/passkeys/registration/options', 'POST /api/v1/auth/passkeys/registration', 'DELETE /api/v1/auth/session']);

/** Swagger UI and the OpenAPI document are served outside the controllers, to everyone. */
const DOCS = /^\/api\/docs/;

function appRoutes(coord: RunningCoordinator): Array<{ method: string; path: string }> {
  const express = coord.app.getHttpAdapter().getInstance() as { router?: { stack: unknown[] }; _router?: { stack: unknown[] } };
  const stack = (express.router ?? express._router)!.stack as Array<{ route?: { path: string; methods: Record<string, boolean> } }>;
  return stack.flatMap((layer) => layer.route ? Object.keys(layer.route.methods).map((m) => ({ method: m.toUpperCase(), path: layer.route!.path })) : []);
}

describe('role matrix: every route, every caller', () => {
  let coord: RunningCoordinator;
  let cast: AccessCast;
  beforeAll(async () => {
    coord = await startInProcessCoordinator();
    cast = await accessCast(coord);
  }, 120_000);
  afterAll(async () => coord.close());

  const concrete = (path: string) => path
    .replace('/vaults/:id', `/vaults/${cast.governed.id}`)
    .replace('/withdrawals/:id', `/withdrawals/${cast.byToken.id}`)
    .replace('/members/:id', `/members/${randomUUID()}`)
    .replace('/setups/:id', `/setups/${randomUUID()}`)
    .replace('/webhooks/:id', `/webhooks/${randomUUID()}`)
    .replace(':setupId', 'ab'.repeat(16))
    .replace(':recipient', cast.alice.identityKey)
    .replace(':sessionId', randomUUID())
    .replace(':changeId', 'cd'.repeat(32));

  async function callAs(caller: Caller, method: string, path: string): Promise<{ status: number; code: string | null }> {
    const url = concrete(path);
    if (DOCS.test(path)) {
      const bearer = ROLES.includes(caller as MemberRole) ? await coord.sessionFor(cast.byRole[caller as MemberRole]) : caller === 'anonymous' ? null : cast.tokens.read;
      const page = await fetch(coord.url + url, bearer === null ? {} : { headers: { authorization: `Bearer ${bearer}` } });
      return { status: page.status, code: null };
    }
    if (path === '/') {
      // The web app's page is HTML, for everyone.
      const page = await fetch(coord.url + url);
      return { status: page.status, code: null };
    }
    const body = method === 'GET' ? undefined : {};
    let res;
    if (ROLES.includes(caller as MemberRole)) {
      const member = cast.byRole[caller as MemberRole];
      if (method === 'POST' && STATEMENT_NEEDS.has(TABLE[`${method} ${path}`]!)) {
        // A member acts by a signed statement: the gate judges its signer (the service then refuses the dummy body).
        const statement = member.sign('role.matrix', {});
        res = await coord.call<{ error?: { code: string } }>(method, url, url.endsWith('/round2') ? { messages: [statement] } : statement);
      } else if (method === 'DELETE') {
        // Signing out ends the session: use one of its own, so the other calls keep theirs.
        res = await coord.call<{ error?: { code: string } }>(method, url, body, { bearer: await freshSession(member) });
      } else {
        res = await coord.call<{ error?: { code: string } }>(method, url, body, { as: member });
      }
    } else if (caller === 'enrolmentLink') {
      // Each call gets a link of its own: registering or signing out ends one.
      res = await coord.call<{ error?: { code: string } }>(method, url, body, { bearer: await enrolmentLink() });
    } else {
      const bearer = { readToken: cast.tokens.read, proposeToken: cast.tokens.propose, expiredToken: cast.tokens.expired, revokedToken: cast.tokens.revoked, anonymous: null }[caller as Exclude<Caller, MemberRole | 'enrolmentLink'>];
      res = await coord.call<{ error?: { code: string } }>(method, url, body, { bearer });
    }
    return { status: res.status, code: res.body?.error?.code ?? null };
  }

  async function enrolmentLink(): Promise<string> {
    const info = await coord.call<{ coordinatorKey: string }>('GET', '/api/v1/info', undefined, { bearer: null });
    const opened = await coord.call<{ token: string }>('POST', '/api/v1/auth/session', sessionOpenEnvelope(cast.alice, info.body.coordinatorKey, new Date(), 'passkey-enrolment'), { bearer: null });
    return opened.body.token;
  }

  async function freshSession(member: { identitySecret: Uint8Array }): Promise<string> {
    return coord.sessionFor({ identitySecret: member.identitySecret });
  }

  it('has one row for every route the app serves, and no row for a route it does not', () => {
    const served = appRoutes(coord).filter((r) => !DOCS.test(r.path)).map((r) => `${r.method} ${r.path}`);
    expect([...served].sort()).toEqual(Object.keys(TABLE).sort());
  });

  it('lets through exactly whom the table allows, and refuses the rest with AUTH_REQUIRED or ACCESS_DENIED', async () => {
    const mismatches: string[] = [];
    for (const { method, path } of appRoutes(coord)) {
      for (const caller of CALLERS) {
        const expected: Outcome = DOCS.test(path) || (caller === 'enrolmentLink' && ENROLMENT_ROUTES.has(`${method} ${path}`)) ? A : NEEDS[TABLE[`${method} ${path}`]!][caller];
        const { status, code } = await callAs(caller, method, path);
        const gate = code === AUTH || code === DENY;
        const got: Outcome = gate ? code : A;
        if (got !== expected) mismatches.push(`${method} ${path} as ${caller}: expected ${expected}, got ${status} ${code}`);
        if (gate && status !== (code === AUTH ? 401 : 403)) mismatches.push(`${method} ${path} as ${caller}: ${code} with status ${status}`);
        if (status >= 500) mismatches.push(`${method} ${path} as ${caller}: ${status} ${code}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);

  it('refuses by name: what the route needs is in the message', async () => {
    const anonymous = await coord.call<{ error: { message: string } }>('GET', '/api/v1/audit', undefined, { bearer: null });
    expect(anonymous.body.error.message).toContain('needs a member\'s session or an API token');
    const auditor = await coord.call<{ error: { message: string } }>('POST', `/api/v1/withdrawals/${cast.byToken.id}/approvals`, cast.aud.sign('withdrawal.approve', {}));
    expect(auditor.body.error.message).toContain('holds auditor');
    const expired = await coord.call<{ error: { message: string } }>('GET', '/api/v1/audit', undefined, { bearer: cast.tokens.expired });
    expect(expired.body.error.message).toMatch(/expired at/);
    const revoked = await coord.call<{ error: { message: string } }>('GET', '/api/v1/audit', undefined, { bearer: cast.tokens.revoked });
    expect(revoked.body.error.message).toMatch(/revoked at/);
  });
});
