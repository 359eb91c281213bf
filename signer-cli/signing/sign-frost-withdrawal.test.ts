/**
 * A FROST withdrawal from the signer's side (sign-frost-withdrawal.ts) against an in-memory
 * coordinator that keeps the signing-round contract: two keyholders sign a two-input
 * withdrawal into signatures that verify under each input's output key; the nonces are spent on
 * disk before a share leaves; a session that fails checkSigningPackage gets no share; a crash
 * after each durable step, and a rerun, completes the withdrawal without any nonce signing twice;
 * and nothing the coordinator received holds a nonce or a key share.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { signEnvelope, type Envelope } from '../../protocol/envelope';
import type { FrostCommitBody, FrostSigningView } from '../../protocol/frost';
import { loadFrostShare } from '../frost/frost-files';
import { NonceStore, noncePath } from '../frost/nonce-store';
import { readSealedJson } from '../keystore/sealed-file';
import { copySigner, FakeFrostSigningCoordinator, frostWithdrawal, type FrostVaultTemplate, makeFrostVault, type Signer } from './frost-signing.fixture';
import {
  FROST_SIGNING_STEPS, type FrostSigningDeps, type FrostSigningOutcome, type FrostSigningStep, processFrostSigningRequest,
} from './sign-frost-withdrawal';

const random = (n: number) => new Uint8Array(randomBytes(n));

describe('FROST signing, one keyholder\u2019s side', () => {
  let template: FrostVaultTemplate;
  let homes: string[] = [];

  beforeAll(async () => {
    template = await makeFrostVault();
  });
  afterAll(() => {
    for (const h of template.holders) rmSync(h.home, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const home of homes) rmSync(home, { recursive: true, force: true });
    homes = [];
  });

  function world() {
    const [alice, bob, carol] = template.holders.map((h) => copySigner(h)) as [Signer, Signer, Signer];
    homes.push(alice.home, bob.home, carol.home);
    const withdrawal = frostWithdrawal(template, template.holders[0]!);
    const coordinator = new FakeFrostSigningCoordinator(withdrawal, template.holders.map((h) => h.identityKey), 2, template);
    const confirm = jest.fn(async () => true);
    const deps = (s: Signer, checkpoint?: (step: FrostSigningStep) => void): FrostSigningDeps => {
      const secrets = s.secrets();
      return {
        client: coordinator.client(s.identityKey), state: s.state, keystore: s.keystore, now: () => new Date(), confirm, show: () => undefined,
        secrets, nonces: new NonceStore(s.home, s.identityKey, secrets.sealing), randomBytes: random, checkpoint,
      };
    };
    const run = (s: Signer, options: { yes?: boolean; checkpoint?: (step: FrostSigningStep) => void } = {}) =>
      processFrostSigningRequest(deps(s, options.checkpoint), coordinator.withdrawal, { yes: options.yes ?? false });
    const store = (s: Signer) => new NonceStore(s.home, s.identityKey, s.secrets().sealing);
    return { alice, bob, carol, withdrawal, coordinator, confirm, run, store };
  }

  const statuses = (outcomes: FrostSigningOutcome[]) => outcomes.map((o) => o.status);

  /** Every signature of the finished transaction verifies under its input's output key (BIP340). */
  function expectValidSignatures(coordinator: FakeFrostSigningCoordinator): void {
    expect(coordinator.withdrawal.state).toBe('exported');
    expect(coordinator.signatures).toHaveLength(2);
    coordinator.signatures!.forEach((sig, i) => expect(schnorr.verify(sig, coordinator.sighash(i), coordinator.outputKey(i))).toBe(true));
    expect(bytesToHex(coordinator.outputKey(0))).not.toBe(bytesToHex(coordinator.outputKey(1)));
  }

  /** No commitment id signs in two sessions, and none was ever shared twice. */
  function expectNoNonceReuse(coordinator: FakeFrostSigningCoordinator): void {
    const shared = coordinator.sessions.flatMap((s) => [...s.shares.values()].map((b) => b.commitmentId));
    expect(new Set(shared).size).toBe(shared.length);
    const used = coordinator.commitments.filter((c) => c.sessionId !== null).map((c) => c.commitmentId);
    expect(new Set(used).size).toBe(used.length);
  }

  test('bob and carol sign a two-input withdrawal: nonces spent on disk and journaled before each share leaves; nothing secret leaves', async () => {
    const { bob, carol, coordinator, confirm, run, store } = world();
    // The secret nonces as stored, read back before they are destroyed, to look for them later.
    const nonceHex: string[] = [];
    const remember = (s: Signer) => (step: FrostSigningStep) => {
      if (step !== 'commit-stored') return;
      for (const r of store(s).list()) {
        const raw = readSealedJson(noncePath(s.home, r.commitmentId), s.secrets().sealing, { purpose: 'frost-nonces', subject: r.commitmentId, identityKey: s.identityKey }) as { nonces: string[] | null };
        for (const hex of raw.nonces ?? []) nonceHex.push(hex, hex.slice(2, 66), hex.slice(66));
      }
    };
    coordinator.onShare = (envelope) => {
      const signer = [bob, carol].find((s) => s.identityKey === envelope.signer)!;
      expect(store(signer).get(envelope.body.commitmentId)).toMatchObject({ state: 'spent', spent: { reason: 'signed', sessionId: envelope.body.sessionId } });
      expect(signer.state.read().journal).toEqual([expect.objectContaining({ withdrawalId: coordinator.withdrawal.id, submittedAt: null })]);
    };

    expect(statuses(await run(bob, { checkpoint: remember(bob) }))).toEqual(['committed']);
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(coordinator.view().waiting).toEqual([bob.identityKey]);
    // Carol's commitment completes the set: she signs in the same run.
    const carolRun = await run(carol, { checkpoint: remember(carol) });
    expect(statuses(carolRun)).toEqual(['committed', 'shared']);
    expect(nonceHex).toHaveLength(2 * 2 * 3);
    // Bob is told of the session (frost.session) and signs; the transaction is complete.
    const bobRun = await run(bob);
    expect(statuses(bobRun)).toEqual(['shared', 'signed']);
    expect(confirm).toHaveBeenCalledTimes(2);
    expectValidSignatures(coordinator);
    expectNoNonceReuse(coordinator);
    expect(bob.state.read().journal).toEqual([expect.objectContaining({ withdrawalId: coordinator.withdrawal.id, submittedAt: expect.any(String) })]);
    // Carol, told that the withdrawal moved on, counts it as signed; nothing fresh is left.
    expect(await run(carol)).toEqual([expect.objectContaining({ status: 'signed', resumed: false })]);
    for (const s of [bob, carol]) expect(store(s).list().map((r) => r.state)).toEqual(['spent']);

    // Invariant 1: no nonce and no key share in anything the coordinator received.
    const relayed = JSON.stringify(coordinator.received);
    expect(relayed).toContain(coordinator.withdrawal.id);
    const shares = [bob, carol].map((s) => {
      const share = loadFrostShare(s.secrets(), s.state.read(), template.vaultId);
      try {
        return bytesToHex(share.share.signingShare);
      } finally {
        share.wipe();
      }
    });
    for (const secret of [...nonceHex, ...shares]) expect(relayed).not.toContain(secret);
  });

  test('a session that fails checkSigningPackage gets no share, and the nonces stay unspent', async () => {
    const attacks: Record<string, (view: FrostSigningView, me: string) => FrostSigningView> = {
      'a participant dropped': (view) => ({ ...view, sessions: view.sessions.map((s) => ({ ...s, signers: s.signers.slice(-1), commits: s.commits.slice(-1) })) }),
      'another keyholder\u2019s commitment swapped': (view) => ({
        ...view, sessions: view.sessions.map((s) => ({ ...s, commits: s.commits.map((c, i) => (i === 0 ? { ...(c as Envelope<FrostCommitBody>), body: { ...(c as Envelope<FrostCommitBody>).body, inputs: (s.commits[1] as Envelope<FrostCommitBody>).body.inputs } } : c)) })),
      }),
      'this signer\u2019s commitment replaced by one it never made': (view, me) => ({
        ...view, sessions: view.sessions.map((s) => ({ ...s, commits: s.commits.map((c) => {
          const e = c as Envelope<FrostCommitBody>;
          return e.signer === me ? { ...e, body: { ...e.body, inputs: [...e.body.inputs].reverse().map((x, input) => ({ ...x, input })) } } : e;
        }) })),
      }),
      'a stranger in the set': (view) => {
        const stranger = schnorr.utils.randomSecretKey();
        return {
          ...view, sessions: view.sessions.map((s) => {
            const e = s.commits[0] as Envelope<FrostCommitBody>;
            const forged = signEnvelope(e.type, e.body, stranger, { now: new Date(), randomBytes: random });
            return { ...s, signers: [forged.signer, ...s.signers.slice(1)], commits: [forged, ...s.commits.slice(1)] };
          }),
        };
      },
    };
    for (const [name, attack] of Object.entries(attacks)) {
      const { bob, carol, coordinator, run, store } = world();
      await run(bob, { yes: true });
      coordinator.tamperView = (view, me) => (me === carol.identityKey ? attack(view, me) : view);
      const outcomes = await run(carol, { yes: true });
      const refused = outcomes.find((o) => o.status === 'session-refused');
      expect([name, refused]).toEqual([name, expect.objectContaining({ reasons: [expect.stringMatching(/^FROST_SESSION_INVALID: /)] })]);
      expect(outcomes.some((o) => o.status === 'shared')).toBe(false);
      expect(coordinator.running()!.shares.size).toBe(0);
      // Carol's nonces in that session were never taken; the journal has nothing.
      const inSession = coordinator.commitments.find((c) => c.identityKey === carol.identityKey && c.sessionId !== null)!;
      expect(store(carol).get(inSession.commitmentId)!.state).toBe('fresh');
      expect(carol.state.read().journal).toEqual([]);
    }
  });

  test.each(FROST_SIGNING_STEPS)('bob killed after %s: a rerun completes the withdrawal, and no nonce signs twice', async (step) => {
    const { bob, carol, coordinator, run, store } = world();
    expect(statuses(await run(carol, { yes: true }))).toEqual(['committed']);
    const crash = (at: FrostSigningStep) => {
      if (at === step) throw new Error(`killed after ${at}`);
    };
    await expect(run(bob, { yes: true, checkpoint: crash })).rejects.toThrow(`killed after ${step}`);
    const log: string[] = [];
    for (let round = 0; round < 6 && coordinator.withdrawal.state === 'signing'; round++) {
      const before = coordinator.running();
      for (const s of [bob, carol]) log.push(...(await run(s, { yes: true })).map((o) => `${s.name}:${o.status}`));
      // A session that both had their turn at and that still cannot complete (bob's nonces were spent before his share left) times out.
      if (before !== undefined && coordinator.running() === before) coordinator.timeOut();
    }
    expectValidSignatures(coordinator);
    expectNoNonceReuse(coordinator);
    const first = coordinator.sessions[0]!;
    if (step === 'nonces-destroyed') {
      // Session 1 went without bob, he said so once, and a fresh round made it.
      expect(log).toContain('bob:nonce-used');
      expect(first).toMatchObject({ state: 'failed', failure: { code: 'FROST_SESSION_TIMEOUT' } });
      expect(coordinator.sessions).toHaveLength(2);
    } else {
      expect(coordinator.sessions).toEqual([expect.objectContaining({ state: 'complete' })]);
    }
    if (step === 'commit-stored') expect(log[0]).toBe('bob:committed');
    // Every nonce bob ever stored is spent, each signed at most once, in a session of its own.
    const bobs = store(bob).list();
    expect(bobs.every((r) => r.state === 'spent')).toBe(true);
    const signedIn = bobs.filter((r) => r.spent?.reason === 'signed').map((r) => r.spent!.sessionId);
    expect(new Set(signedIn).size).toBe(signedIn.length);
    for (const r of bobs) await expect(Promise.resolve().then(() => store(bob).take(r.commitmentId, first.id, new Date()))).rejects.toMatchObject({ code: 'FROST_NONCE_USED' });
    // The journal entry was written once and is marked delivered.
    expect(bob.state.read().journal).toEqual([expect.objectContaining({ withdrawalId: coordinator.withdrawal.id })]);
  });

  test('a session whose nonces are already spent gets nothing; a fresh commitment follows', async () => {
    const { bob, carol, coordinator, run, store } = world();
    await run(bob, { yes: true });
    await run(carol, { yes: true });
    const session = coordinator.running()!;
    const mine = coordinator.commitments.find((c) => c.identityKey === bob.identityKey)!;
    // Spent by a process that crashed before its share left.
    store(bob).take(mine.commitmentId, session.id, new Date());
    const outcomes = await run(bob, { yes: true });
    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'nonce-used', sessionId: session.id, commitmentId: mine.commitmentId }),
      expect.objectContaining({ status: 'committed', resent: false }),
    ]);
    expect(session.shares.has(bob.identityKey)).toBe(false);
  });

  test('a stored commitment in a session the coordinator hides is kept, reported as waiting, and signs once the session is shown', async () => {
    const { bob, carol, coordinator, run, store } = world();
    await run(bob, { yes: true });
    await run(carol, { yes: true });
    const first = coordinator.commitments.find((c) => c.identityKey === bob.identityKey)!;
    expect(first.sessionId).not.toBeNull();
    coordinator.tamperView = (view, identityKey) => (identityKey === bob.identityKey ? { ...view, sessions: [] } : view);
    expect(statuses(await run(bob, { yes: true }))).toEqual(['waiting']);
    expect(coordinator.commitments.filter((c) => c.identityKey === bob.identityKey)).toHaveLength(1);
    expect(store(bob).list(coordinator.withdrawal.id).map((r) => r.state)).toEqual(['fresh']);
    coordinator.tamperView = undefined;
    expect(statuses(await run(bob, { yes: true }))).toContain('shared');
    await run(carol, { yes: true });
    expectValidSignatures(coordinator);
    expectNoNonceReuse(coordinator);
  });

  test('a keyholder who declines commits nothing; a refused withdrawal commits nothing', async () => {
    const { bob, coordinator, confirm, run, store } = world();
    confirm.mockResolvedValueOnce(false);
    expect(statuses(await run(bob))).toEqual(['declined']);
    expect(coordinator.commitments).toEqual([]);
    expect(store(bob).list()).toEqual([]);
    coordinator.withdrawal.intentHash = 'ab'.repeat(32);
    const refused = await run(bob, { yes: true });
    expect(refused).toEqual([expect.objectContaining({ status: 'refused', reasons: expect.arrayContaining([expect.stringMatching(/^intentHash: /)]) })]);
    expect(coordinator.received).toEqual([]);
  });
});
