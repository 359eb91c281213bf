/**
 * Malicious-coordinator suite, FROST key generation (issue 4, point 1; docs/frost.md steps 3
 * and 6), where real signer processes meet a coordinator that lies. The pure checks are proven
 * one by one in protocol/frost/dkg-attacks.test.ts, the coordinator's own refusals in
 * test/api/frost-setups-api.test.ts and the runner's in signer-cli/frost/dkg-runner.test.ts;
 * here Bob's and Carol's `frost join` run behind two tampering proxies, so that the coordinator
 * can show each of them something else. Mallory, a participant played in this process with
 * protocol/frost, opens every setup; in the attacks she is the equivocating participant whose
 * second package the coordinator relays, or the one whose package the coordinator forges.
 * The control shows an honest key generation through the same proxies ends in one vault.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { MESSAGE_TYPES } from '../../protocol/api';
import {
  type DkgContext, type FrostSetupParams, type FrostSetupView, type Round1Message, FROST_SETUP_OPEN, dkgRound2, finishDkg, newSetupId,
  participantIdentifier, round1PackageFromNoble, startDkg,
} from '../../protocol/frost';
import { DEFAULT_POLICY } from '../../protocol/policy';
import { type CliKeyholder, signer } from '../support/cli-vault';
import { type CliResult, type Coordinator, runSigner, startCoordinator } from '../support/processes';
import { memberFetch } from '../support/member-fetch';
import { type TestDatabase, testDatabase } from '../support/test-database';
import { FROST_ENV } from './frost-harness';
import { DB_LABEL, mallory, PASSPHRASE } from './harness';
import { TamperingProxy } from './tampering-proxy';

const rng = (n: number) => new Uint8Array(randomBytes(n));
const ctx = (): DkgContext => ({ identitySecret: mallory.identitySecret, randomBytes: rng, now: new Date() });

describe(`FROST key generation behind a tampering coordinator (${DB_LABEL})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;
  /** Bob's coordinator as far as he can tell, and Carol's. */
  let bobProxy: TamperingProxy;
  let carolProxy: TamperingProxy;
  let bob: CliKeyholder;
  let carol: CliKeyholder;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-adversarial-dkg-'));
    db = testDatabase();
    const [started, ...inits] = await Promise.all([
      startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest' }),
      ...['bob', 'carol'].map((name) => signer(join(root, name), ['init', '--network', 'regtest'], FROST_ENV)),
    ]);
    coordinator = started as Coordinator;
    [bobProxy, carolProxy] = await Promise.all([TamperingProxy.start(coordinator.url), TamperingProxy.start(coordinator.url)]);
    [bob, carol] = await Promise.all((['bob', 'carol'] as const).map(async (name, i) => {
      const home = join(root, name);
      await signer(home, ['--coordinator', (name === 'bob' ? bobProxy : carolProxy).url, 'join', '--name', name], FROST_ENV);
      const init = inits[i] as Record<string, unknown>;
      return { name, home, identityKey: String(init.identityKey), fingerprint: String(init.fingerprint), xpub: (init.accountKey as { xpub: string }).xpub };
    }));
    const joined = await post('/api/v1/members', mallory.sign(MESSAGE_TYPES.memberJoin, { name: 'mallory', network: 'regtest', accountKey: mallory.accountKey }));
    expect(joined.status).toBe(201);
  });
  afterAll(async () => {
    await bobProxy?.stop();
    await carolProxy?.stop();
    await coordinator?.stop();
    await db?.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  async function post<T = FrostSetupView>(path: string, body: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${coordinator.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: JSON.parse(await res.text()) as T };
  }

  async function get<T = FrostSetupView>(path: string): Promise<T> {
    // Reads as bob, a participant (a member's session, server/auth).
    return JSON.parse(await (await memberFetch(coordinator.url, join(root, 'bob'), path, PASSPHRASE)).text()) as T;
  }

  /** Polls the coordinator (directly) until the setup satisfies `done`. */
  async function until<T>(path: string, what: string, done: (view: T) => boolean): Promise<T> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const view = await get<T>(path);
      if (done(view)) return view;
      if (Date.now() > deadline) throw new Error(`no ${what} within 30 s: ${JSON.stringify(view)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Mallory opens a t-of-n setup of herself and `others`; she is participant 1. */
  async function open(others: CliKeyholder[], threshold: number): Promise<FrostSetupParams> {
    const params: FrostSetupParams = {
      setupId: newSetupId(rng), network: 'regtest', vault: { name: `adversarial ${others.length + 1}`, policy: DEFAULT_POLICY }, threshold,
      participants: [{ identityKey: mallory.identityKey, name: 'mallory' }, ...others.map((k) => ({ identityKey: k.identityKey, name: k.name }))],
    };
    const opened = await post('/api/v1/frost-setups', mallory.sign(FROST_SETUP_OPEN, { params, expiresAt: new Date(Date.now() + 3600_000).toISOString() }));
    expect(opened.status).toBe(201);
    return params;
  }

  /** Rewrites Mallory's round-1 message in every view of this setup that `proxy` relays. */
  function showRound1(proxy: TamperingProxy, setupId: string, instead: Round1Message): () => void {
    return proxy.rewrite(({ path, status, body }) => {
      if (status !== 200 || !path.startsWith(`/api/v1/frost-setups/${setupId}`) || !Array.isArray((body as Partial<FrostSetupView>).round1)) return undefined;
      const view = body as FrostSetupView;
      return { body: { ...view, round1: view.round1.map((m) => (m.signer === mallory.identityKey ? instead : m)) } };
    });
  }

  const frostJoin = (k: CliKeyholder, setupId: string) => runSigner(k.home, ['--json', 'frost', 'join', setupId, '--yes'], FROST_ENV);

  /**
   * Mallory's rounds 2 and 3 once every round-1 message is at the coordinator: her share for
   * each recipient is made from the package that recipient was shown (`shownTo`, default the
   * one she sent), and she confirms the transcript of the package she sent.
   */
  async function playMallory(params: FrostSetupParams, sent: ReturnType<typeof startDkg>, shownTo: Record<string, ReturnType<typeof startDkg>> = {}): Promise<void> {
    const url = `/api/v1/frost-setups/${params.setupId}`;
    const n = params.participants.length;
    const { round1 } = await until<FrostSetupView>(url, 'round 1', (v) => v.round1.length === n);
    const round2 = params.participants.slice(1).map((p, i) => {
      const dkg = shownTo[p.identityKey] ?? sent;
      const seen = round1.map((m) => (m.signer === mallory.identityKey ? dkg.round1Message : m));
      return dkgRound2(dkg.state, seen, ctx()).round2Messages.find((m) => m.body.recipient === participantIdentifier(i + 1))!;
    });
    expect((await post(`${url}/round2`, { messages: round2 })).status).toBe(200);
    const mine = dkgRound2(sent.state, round1, ctx()).state;
    const sealed = await until<unknown[]>(`${url}/round2/${mallory.identityKey}`, 'her round-2 shares', (v) => v.length === n - 1);
    expect((await post(`${url}/confirm`, finishDkg(mine, sealed, ctx()).confirmation)).status).toBe(200);
  }

  const outputOf = (r: CliResult) => JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  const pinnedFrom = (k: CliKeyholder, setupId: string) =>
    (JSON.parse(readFileSync(join(k.home, 'state.json'), 'utf8')) as { vaults: Array<{ frost?: { setupId: string } }> }).vaults.filter((v) => v.frost?.setupId === setupId);

  it('an honest key generation through the proxies ends in one vault that both signers pin (control)', async () => {
    const params = await open([bob, carol], 2);
    const sent = startDkg(params, 0, ctx());
    expect((await post(`/api/v1/frost-setups/${params.setupId}/round1`, sent.round1Message)).status).toBe(200);
    const joins = [frostJoin(bob, params.setupId), frostJoin(carol, params.setupId)];
    await playMallory(params, sent);
    const [b, c] = await Promise.all(joins);
    expect([b!.code, c!.code]).toEqual([0, 0]);
    expect(outputOf(b!).firstAddress).toBe(outputOf(c!).firstAddress);
    expect(outputOf(b!).vaultId).toBe((await get(`/api/v1/frost-setups/${params.setupId}`)).vaultId);
    for (const k of [bob, carol]) expect(pinnedFrom(k, params.setupId)).toHaveLength(1);
  });

  it('equivocation relayed by the coordinator (another round-1 package shown to one signer) aborts before any address is shown, and no signer pins', async () => {
    const params = await open([bob, carol], 2);
    const sent = startDkg(params, 0, ctx());
    // Mallory signs a second package; the coordinator keeps the first and shows Carol the second.
    const second = startDkg(params, 0, ctx());
    showRound1(carolProxy, params.setupId, second.round1Message);
    expect((await post(`/api/v1/frost-setups/${params.setupId}/round1`, sent.round1Message)).status).toBe(200);
    const joins = [frostJoin(bob, params.setupId), frostJoin(carol, params.setupId)];
    await playMallory(params, sent, { [carol.identityKey]: second });
    const results = await Promise.all(joins);

    for (const r of results) {
      expect(r.code).not.toBe(0);
      const { error } = outputOf(r) as { error: { code: string; message: string } };
      expect(error.code).toBe('FROST_DKG_EQUIVOCATION');
      expect(error.message).toMatch(/participant 3 "carol" \(key [0-9a-f]{8}…\) confirmed another transcript .*: the round-1 package of participant 1 "mallory" \(key [0-9a-f]{8}…\) differs/);
      // No address, no descriptor, nothing pinned.
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/bcrt1p|tr\(/);
    }
    for (const k of [bob, carol]) expect(pinnedFrom(k, params.setupId)).toEqual([]);
    const setup = await get(`/api/v1/frost-setups/${params.setupId}`);
    expect(setup).toMatchObject({ state: 'aborted', vaultId: null, certificate: null, abort: { code: 'FROST_DKG_EQUIVOCATION' } });
    // Both signers were fooled up to their confirmations: the certificate is where the lie shows.
    expect(new Set(setup.confirmations.map((c) => c.body.transcriptHash)).size).toBe(2);
  });

  it('a round-1 package forged by the coordinator is refused before round 2: the signer sends no shares and pins nothing', async () => {
    const params = await open([carol], 2);
    const sent = startDkg(params, 0, ctx());
    const forged = round1PackageFromNoble(schnorr_FROST.DKG.round1(sent.round1Message.body.package.identifier, { min: 2, max: 2 }).public);
    showRound1(carolProxy, params.setupId, { ...sent.round1Message, body: { ...sent.round1Message.body, package: forged } });
    const since = carolProxy.requests.length;
    expect((await post(`/api/v1/frost-setups/${params.setupId}/round1`, sent.round1Message)).status).toBe(200);
    const r = await frostJoin(carol, params.setupId);
    expect(r.code).not.toBe(0);
    const { error } = outputOf(r) as { error: { code: string; message: string } };
    expect(error.code).toBe('FROST_DKG_BAD_SIGNATURE');
    expect(error.message).toMatch(/participant 1/);
    expect(carolProxy.requestsSince(since, 'POST', new RegExp(`^/api/v1/frost-setups/${params.setupId}/round1$`))).toHaveLength(1);
    expect(carolProxy.requestsSince(since, 'POST', new RegExp(`^/api/v1/frost-setups/${params.setupId}/(round2|confirm)$`))).toEqual([]);
    expect(pinnedFrom(carol, params.setupId)).toEqual([]);
    expect(await get(`/api/v1/frost-setups/${params.setupId}`)).toMatchObject({ state: 'round2', round2Senders: [] });
  });
});
