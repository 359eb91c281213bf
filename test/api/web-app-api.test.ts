/**
 * The web app's server side (issue 6): the page and its assets under a strict Content Security
 * Policy, and live pushes at /ws/web to the browsers of signed-in members of the vault, after
 * the commit, refused for an unknown session or a foreign origin, and stopped at sign-out.
 * (The app itself is driven in Chromium by test/browser/treasury-flow.test.ts.)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { CoordinatorEvent, VaultView } from '../../protocol/api';
import type { BrowserServerFrame } from '../../protocol/web-live';
import { WebAssets } from '../../server/web/web-assets';
import { type Cast, DAY, Governance, TestTime, addToAddressBook, cast, createGovernedVault, proposeWithdrawal } from '../support/governed-vault';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { DESTINATION, deposit } from '../support/vault-scenario';

interface Viewer { frames: BrowserServerFrame[]; closed: Promise<number>; socket: WebSocket }

describe('web app: page, assets and live pushes', () => {
  let coord: RunningCoordinator;
  let c: Cast;
  let vault: VaultView;
  let time: TestTime;

  beforeAll(async () => {
    coord = await startInProcessCoordinator();
    time = new TestTime(coord);
    c = cast();
    vault = await createGovernedVault(coord, c);
    await deposit(coord, vault, c.alice, [400_000n]);
    await addToAddressBook(new Governance(coord, vault.id, time), c, DESTINATION);
    time.advance(DAY);
  });
  afterAll(async () => {
    time.restore();
    await coord.close();
  });

  function connect(origin = 'http://localhost'): Viewer {
    const socket = new WebSocket(`${coord.url.replace(/^http/, 'ws')}/ws/web`, { origin });
    const frames: BrowserServerFrame[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as BrowserServerFrame));
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    return { frames, closed, socket };
  }
  async function signedIn(identitySecret: Uint8Array): Promise<Viewer> {
    const viewer = connect();
    const opened = new Promise((resolve) => viewer.socket.once('open', resolve));
    const token = await coord.sessionFor({ identitySecret });
    await opened;
    viewer.socket.send(JSON.stringify({ type: 'auth', session: token }));
    await until(() => viewer.frames.some((f) => f.type === 'ready'));
    return Object.assign(viewer, { token });
  }
  const events = (v: Viewer): CoordinatorEvent[] => v.frames.flatMap((f) => (f.type === 'event' ? [f.event] : []));

  it('serves the page with a strict Content Security Policy, and its assets', async () => {
    const page = await fetch(`${coord.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    const script = /src="(\/assets\/app-[A-Za-z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(coord.url + script!);
    expect([asset.status, asset.headers.get('content-type'), asset.headers.get('cache-control')]).toEqual([200, 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable']);
    for (const bad of ['..%2Fpackage.json', '.env.js', 'app.html', 'missing-0000.js']) {
      const res = await fetch(`${coord.url}/assets/${bad}`);
      expect([bad, res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([bad, 404, 'NOT_FOUND']);
    }
  });

  it('says clearly when the app is not built', () => {
    const root = mkdtempSync(join(tmpdir(), 'conclave-web-'));
    expect(() => new WebAssets(root).page()).toThrow(/not built: run `npm run build`/);
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'assets', 'app-ABC.js'), 'x');
    expect(new WebAssets(root).asset('app-ABC.js')).toMatchObject({ type: 'text/javascript; charset=utf-8' });
  });

  it('pushes the vault\'s events to its signed-in members after the commit, and stops at sign-out', async () => {
    const ian = await signedIn(c.ian.identitySecret);
    const ada = await signedIn(c.ada.identitySecret);
    const proposed = await proposeWithdrawal(coord, vault, c.ian, time, [[DESTINATION, 200_000n]]);
    expect(proposed.status).toBe(201);
    const id = proposed.body.id;
    for (const viewer of [ian, ada]) {
      await until(() => events(viewer).some((e) => e.kind === 'withdrawal.state' && e.withdrawalId === id && e.state === 'awaiting_approval'));
      expect(events(viewer)).toContainEqual(expect.objectContaining({ kind: 'audit.head' }));
    }
    // Ada signs out: the next push closes her socket instead of telling her.
    await coord.call('DELETE', '/api/v1/auth/session', undefined, { bearer: (ada as Viewer & { token: string }).token });
    const before = events(ada).length;
    expect((await coord.call('POST', `/api/v1/withdrawals/${id}/approvals`, c.alice.sign('withdrawal.approve', { withdrawalId: id, vaultId: vault.id, intentHash: proposed.body.intentHash }, time.now))).status).toBe(200);
    expect(await ada.closed).toBe(4001);
    expect(events(ada)).toHaveLength(before);
    await until(() => events(ian).some((e) => e.kind === 'signing.requested' && e.withdrawalId === id));
    ian.socket.close();
  });

  it('refuses an unknown session, a malformed frame and a foreign origin, each with its code', async () => {
    for (const frame of [{ type: 'auth', session: 'not-a-session-token-at-all' }, { type: 'auth' }, 'not json']) {
      const viewer = connect();
      await new Promise((resolve) => viewer.socket.once('open', resolve));
      viewer.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      expect(await viewer.closed).toBe(4003);
      expect(viewer.frames[0]).toMatchObject({ type: 'error', error: { code: typeof frame === 'string' ? 'MALFORMED_JSON' : 'AUTH_REQUIRED' } });
    }
    const foreign = connect('https://phish.example');
    expect(await foreign.closed).toBe(4003);
    expect(foreign.frames[0]).toMatchObject({ type: 'error', error: { code: 'ACCESS_DENIED' } });
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error('timed out');
}
