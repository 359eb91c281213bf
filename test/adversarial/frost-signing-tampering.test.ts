/**
 * Malicious-coordinator suite, FROST signing rounds (issue 4, point 6; DESIGN.md invariants 3
 * and 4). Real `listen` processes sign a 2-of-3 FROST vault's withdrawals through the tampering
 * proxies, which rewrite the sessions the coordinator relays (GET .../frost and the answers to
 * commitments and shares) or push sessions of their own. In each attack the signer refuses the
 * session with its reasons (`session-refused`) or answers that its nonces are spent
 * (`nonce-used`), and no share for anything it did not verify passes the proxy; where shares
 * were made, no commitment signs twice, and no transaction ever carries a signature that does
 * not verify. A malicious keyholder's invalid share is named and the honest pair completes.
 * The control shows the same path signs an honest session, and its transaction verifies.
 */
import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { WithdrawalView } from '../../protocol/api';
import type { Envelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import { type FrostSessionView, type FrostShareBody, type FrostSigningView, aggregateSignature, commitmentLists, decodeSignatureShare, participantIdentifier } from '../../protocol/frost';
import {
  type FrostStage, cancel, closeFrostStage, commitDirect, commitOf, direct, eventFor, expectValidSpend, frostView, listen, openFrostStage, propose,
  sharePosts, shareDirect, tamperSessions, until,
} from './frost-harness';
import { DB_LABEL, type Line, type Listener, journal, settle } from './harness';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The code of the ConclaveError `fn` throws. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  throw new Error('expected a ConclaveError, nothing was thrown');
}

/** A point on secp256k1 that nobody committed to. */
const strangerPoint = () => bytesToHex(secp256k1.Point.BASE.multiply(BigInt(`0x${randomBytes(31).toString('hex')}`) + 1n).toBytes(true));

describe(`a FROST signer behind a tampering coordinator signs nothing it did not verify (${DB_LABEL})`, () => {
  let stage: FrostStage;
  let control: Promise<{ withdrawal: WithdrawalView; session: FrostSessionView }> | undefined;

  beforeAll(async () => {
    stage = await openFrostStage(16, 1_000_000n);
  });
  afterAll(() => closeFrostStage(stage));

  const bob = () => stage.keyholders.bob;
  const carol = () => stage.keyholders.carol;

  /**
   * The common shape: Alice commits first, straight to the coordinator; then Bob's listener
   * commits through the proxy, which opens the session {Alice, Bob}; the proxy rewrites that
   * session with `edit` in every answer, and Bob's verdict on it is the outcome.
   */
  async function attackSession(edit: (session: FrostSessionView) => FrostSessionView) {
    const withdrawal = await propose(stage);
    const since = stage.proxy.requests.length;
    tamperSessions(stage.proxy, withdrawal, edit);
    expect((await commitDirect(stage, withdrawal, stage.alice.commit(withdrawal))).status).toBe(200);
    const listener = await listen(stage, 'bob');
    let outcome: Line | undefined;
    try {
      outcome = await eventFor(listener, withdrawal, 'session-refused');
    } finally {
      await settle(listener, outcome);
    }
    const session = (await frostView(stage, withdrawal)).sessions.find((s) => s.state === 'signing')!;
    return { withdrawal, outcome, listener, since, session };
  }

  /** Bob sent no share for this withdrawal, the coordinator (asked directly) holds none, and he journaled nothing; it never left `signing`. */
  async function expectNoShare(withdrawal: WithdrawalView, since: number): Promise<void> {
    expect(sharePosts(stage.proxy, withdrawal, since)).toEqual([]);
    expect((await frostView(stage, withdrawal)).sessions.flatMap((s) => s.sharesFrom)).not.toContain(bob().identityKey);
    expect(journal(bob()).filter((e) => e.withdrawalId === withdrawal.id)).toEqual([]);
    const now = await direct<WithdrawalView>(stage, `/api/v1/withdrawals/${withdrawal.id}`);
    expect([now.state, now.txHex]).toEqual(['signing', null]);
  }

  /** Bob refused the session the coordinator really opened, with a reason matching each pattern. */
  const refusedWith = (outcome: Line, session: FrostSessionView, ...patterns: RegExp[]) => {
    expect(outcome).toMatchObject({ event: 'session-refused', sessionId: session.sessionId });
    for (const p of patterns) expect(outcome.reasons).toEqual(expect.arrayContaining([expect.stringMatching(p)]));
  };

  /** Alice and Bob sign an honest session relayed through the proxy; the transaction verifies independently. */
  const honestRound = () => (control ??= (async () => {
    const withdrawal = await propose(stage);
    const since = stage.proxy.requests.length;
    expect((await commitDirect(stage, withdrawal, stage.alice.commit(withdrawal))).status).toBe(200);
    const listener = await listen(stage, 'bob');
    await eventFor(listener, withdrawal, 'shared');
    const view = await frostView(stage, withdrawal);
    const session = view.sessions[0]!;
    expect((await shareDirect(stage, withdrawal, stage.alice.shares(withdrawal, session))).status).toBe(200);
    await eventFor(listener, withdrawal, 'signed');
    expect(await listener.exited).toBe(0);
    expect(sharePosts(stage.proxy, withdrawal, since).map((s) => s.body.commitmentId)).toEqual([commitOf(session, bob().identityKey).body.commitmentId]);
    return { withdrawal, session: (await frostView(stage, withdrawal)).sessions[0]! };
  })());

  it('signs an honest session relayed through the proxy, and the transaction verifies independently (control)', async () => {
    const { withdrawal, session } = await honestRound();
    expect(session).toMatchObject({ state: 'complete', signers: [stage.alice.identityKey, bob().identityKey] });
    await expectValidSpend(stage, withdrawal);
  });

  it("a coordinator that swaps another signer's commitment in the session is refused", async () => {
    const { withdrawal, outcome, since, session } = await attackSession((s) => {
      commitOf(s, stage.alice.identityKey).body.inputs[0]!.hiding = strangerPoint();
      return s;
    });
    refusedWith(outcome, session, new RegExp(`^FROST_SESSION_INVALID: frost session: commits\\[0\\]: ENVELOPE_BAD_SIGNATURE: envelope\\.sig: signature by ${stage.alice.identityKey} does not verify$`));
    await expectNoShare(withdrawal, since);
    await cancel(stage, withdrawal);
  });

  it('a coordinator that drops a participant (a set below the threshold) is refused', async () => {
    const { withdrawal, outcome, since, session } = await attackSession((s) => ({
      ...s, signers: [bob().identityKey], commits: [commitOf(s, bob().identityKey)], sharesFrom: [],
    }));
    refusedWith(outcome, session, /^FROST_SESSION_INVALID: frost session: the signing set has 1 keyholders, but this vault needs 2 \(a participant was dropped\)$/);
    await expectNoShare(withdrawal, since);
    await cancel(stage, withdrawal);
  });

  it("a coordinator that alters this signer's own commitments is refused", async () => {
    const { withdrawal, outcome, since, session } = await attackSession((s) => {
      const own = commitOf(s, bob().identityKey).body.inputs[0]!;
      [own.hiding, own.binding] = [strangerPoint(), own.hiding];
      return s;
    });
    refusedWith(outcome, session, new RegExp(`^FROST_SESSION_INVALID: frost session: commits\\[1\\]: ENVELOPE_BAD_SIGNATURE: envelope\\.sig: signature by ${bob().identityKey} does not verify$`));
    await expectNoShare(withdrawal, since);
    await cancel(stage, withdrawal);
  });

  it("a coordinator that replays a finished session's package for a new withdrawal is refused", async () => {
    const finished = await honestRound();
    // Alice's genuine statement from the finished session, next to Bob's own genuine commitment for this one.
    const { withdrawal, outcome, since, session } = await attackSession((s) => ({
      ...s, commits: s.commits.map((c) => (c.signer === stage.alice.identityKey ? commitOf(finished.session, stage.alice.identityKey) : c)),
    }));
    refusedWith(outcome, session, new RegExp(`^FROST_SESSION_INVALID: frost session: commits\\[0\\]: committed for another withdrawalId \\(${finished.withdrawal.id}\\)$`));
    await expectNoShare(withdrawal, since);
    await cancel(stage, withdrawal);
  });

  it('a coordinator that replays a finished session verbatim for a new withdrawal gets no share: its nonces are spent', async () => {
    const finished = await honestRound();
    const withdrawal = await propose(stage);
    const since = stage.proxy.requests.length;
    // The finished session, word for word, shown as this withdrawal's running one (Alice never commits here).
    const replayed: FrostSessionView = { ...finished.session, withdrawalId: withdrawal.id, state: 'signing', sharesFrom: [], failure: null };
    stage.proxy.rewrite(({ path, status, body }) => {
      if (status !== 200 || !path.startsWith(`/api/v1/withdrawals/${withdrawal.id}/frost`)) return undefined;
      const view = body as FrostSigningView;
      return { body: { ...view, sessions: [replayed, ...view.sessions] } };
    });
    const listener = await listen(stage, 'bob');
    let outcome: Line;
    try {
      outcome = await eventFor(listener, withdrawal, 'nonce-used');
      // It commits fresh nonces for a real session instead; none forms without a second keyholder.
      await eventFor(listener, withdrawal, 'committed');
    } finally {
      await settle(listener, undefined);
    }
    const spent = commitOf(finished.session, bob().identityKey).body.commitmentId;
    expect(outcome).toMatchObject({ code: 'FROST_NONCE_USED', sessionId: finished.session.sessionId, commitmentId: spent });
    expect(String(outcome.message)).toMatch(new RegExp(`with commitment ${spent}, but its nonces were spent at .*: nothing is signed`));
    await expectNoShare(withdrawal, since);
    await cancel(stage, withdrawal);
  });

  it('a coordinator that asks for a second share with a used nonce gets none', async () => {
    const withdrawal = await propose(stage);
    const since = stage.proxy.requests.length;
    expect((await commitDirect(stage, withdrawal, stage.alice.commit(withdrawal))).status).toBe(200);
    const listener = await listen(stage, 'bob');
    let outcome: Line | undefined;
    try {
      await eventFor(listener, withdrawal, 'shared');
      const session = (await frostView(stage, withdrawal)).sessions[0]!;
      expect(session.sharesFrom).toEqual([bob().identityKey]);
      // The session Bob signed in, shown again as waiting for his share, with a push of its own.
      const stop = tamperSessions(stage.proxy, withdrawal, (s) => ({ ...s, sharesFrom: [] }));
      expect(stage.proxy.inject({ kind: 'frost.session', vaultId: stage.vault.id, withdrawalId: withdrawal.id, sessionId: session.sessionId }, bob().identityKey)).toBe(1);
      const used = await eventFor(listener, withdrawal, 'nonce-used');
      const commitmentId = commitOf(session, bob().identityKey).body.commitmentId;
      expect(used).toMatchObject({ code: 'FROST_NONCE_USED', sessionId: session.sessionId, commitmentId });
      expect(String(used.message)).toMatch(/its nonces were spent at .*: nothing is signed/);
      expect(sharePosts(stage.proxy, withdrawal, since).map((s) => s.body.commitmentId)).toEqual([commitmentId]);
      // The honest end: Alice's share completes the session Bob signed once.
      stop();
      expect((await shareDirect(stage, withdrawal, stage.alice.shares(withdrawal, session))).status).toBe(200);
      outcome = await eventFor(listener, withdrawal, 'signed');
    } finally {
      await settle(listener, outcome);
    }
    expect(sharePosts(stage.proxy, withdrawal, since)).toHaveLength(1);
    await expectValidSpend(stage, withdrawal);
  });

  it('a coordinator that shows different signing sets to different signers gets no usable signature', async () => {
    const withdrawal = await propose(stage);
    const since = { bob: stage.proxy.requests.length, carol: stage.carolProxy.requests.length };
    // A genuine statement of Alice's, held back by the coordinator to build Bob's view with.
    const aliceCommit = stage.alice.commit(withdrawal);
    let first: string | undefined;
    // Bob is shown {Alice, Bob}; Carol the session as it is, {Bob, Carol}. Only the first session is tampered with.
    tamperSessions(stage.proxy, withdrawal, (s) => {
      first ??= s.sessionId;
      if (s.sessionId !== first) return s;
      return { ...s, signers: [stage.alice.identityKey, bob().identityKey], commits: [aliceCommit, commitOf(s, bob().identityKey)], sharesFrom: s.sharesFrom.filter((k) => k === bob().identityKey) };
    });
    const listeners: Listener[] = [];
    let signed: Line | undefined;
    let aliceShares: Envelope<FrostShareBody> | undefined;
    try {
      // Bob commits first, so Carol's commitment opens the session and she signs it at once.
      const bobListens = await listen(stage, 'bob');
      listeners.push(bobListens);
      await eventFor(bobListens, withdrawal, 'committed');
      const carolListens = await listen(stage, 'carol');
      listeners.push(carolListens);
      // Bob's share was made over a list the coordinator did not use: its own check names him.
      const named = await bobListens.waitFor((l) => l.withdrawalId === withdrawal.id && l.event === 'error', 'Bob\'s share refused');
      expect(named).toMatchObject({ code: 'FROST_SHARE_INVALID' });
      const failed = await until(stage, withdrawal, 'a failed first session', (v) => v.sessions[0]?.state === 'failed');
      const lied = failed.sessions[0]!;
      expect(lied).toMatchObject({ signers: [bob().identityKey, carol().identityKey], failure: { code: 'FROST_SHARE_INVALID', identityKey: bob().identityKey } });

      // Whatever shares were sent do not combine, under either list.
      const shares = [...sharePosts(stage.proxy, withdrawal, since.bob), ...sharePosts(stage.carolProxy, withdrawal, since.carol)].filter((s) => s.body.sessionId === lied.sessionId);
      expect(shares.map((s) => s.signer).sort()).toEqual([bob().identityKey, carol().identityKey].sort());
      const [spend] = stage.alice.keySpends(withdrawal);
      const pub = stage.alice.childPublic(spend!).public;
      const { group } = stage.alice;
      const byId = Object.fromEntries(shares.map((s) => [participantIdentifier(group.participants.indexOf(s.signer)), decodeSignatureShare(s.body.shares[0]!.share)]));
      for (const commits of [lied.commits, [aliceCommit, commitOf(lied, bob().identityKey)]]) {
        const [list] = commitmentLists(commits.map((c) => ({ identityKey: c.signer, body: c.body })), group, 1);
        expect(codeOf(() => aggregateSignature(pub, list!, spend!.sighash, byId, spend!.outputKey))).toBe('FROST_SHARE_INVALID');
      }

      // The round is retried without Bob: Carol commits again, Alice sends the commitment the coordinator held back, and both sign.
      await until(stage, withdrawal, 'Carol waiting again', (v) => v.waiting.includes(carol().identityKey));
      expect((await commitDirect(stage, withdrawal, aliceCommit)).status).toBe(200);
      const retried = (await until(stage, withdrawal, 'a second session', (v) => v.sessions.length === 2)).sessions[1]!;
      expect(retried.signers).toEqual([stage.alice.identityKey, carol().identityKey]);
      aliceShares = stage.alice.shares(withdrawal, retried);
      expect(aliceShares.body.commitmentId).toBe(aliceCommit.body.commitmentId);
      expect((await shareDirect(stage, withdrawal, aliceShares)).status).toBe(200);
      signed = await eventFor(carolListens, withdrawal, 'signed');
      expect(await carolListens.exited).toBe(0);
    } finally {
      for (const l of listeners) await settle(l, l === listeners[1] ? signed : undefined);
    }
    await expectValidSpend(stage, withdrawal);
    // No nonce signed twice: each commitment id is in at most one share statement, wherever it went.
    const all = [...sharePosts(stage.proxy, withdrawal, since.bob), ...sharePosts(stage.carolProxy, withdrawal, since.carol), aliceShares!].map((s) => s.body.commitmentId);
    expect(all).toHaveLength(4);
    expect(new Set(all).size).toBe(all.length);
    expect((await frostView(stage, withdrawal)).sessions.map((s) => s.state)).toEqual(['failed', 'complete']);
  });

  it('a signer that sends an invalid share is named, and the round is retried with another subset', async () => {
    const withdrawal = await propose(stage);
    const since = { bob: stage.proxy.requests.length, carol: stage.carolProxy.requests.length };
    expect((await commitDirect(stage, withdrawal, stage.alice.commit(withdrawal))).status).toBe(200);
    const listeners = [await listen(stage, 'bob'), await listen(stage, 'carol')];
    const outcomes: Array<Line | undefined> = [];
    try {
      // The first session is Alice and whoever of Bob and Carol committed first; the honest one shares.
      const opened = await until(stage, withdrawal, 'an honest share in the first session', (v) => v.sessions[0]?.sharesFrom.length === 1);
      const session = opened.sessions[0]!;
      expect(session.signers).toContain(stage.alice.identityKey);
      const reply = await shareDirect(stage, withdrawal, stage.alice.shares(withdrawal, session, { corrupt: true }));
      expect(reply.status).toBe(422);
      expect(reply.body.error).toMatchObject({ code: 'FROST_SHARE_INVALID', details: { identityKey: stage.alice.identityKey, sessionId: session.sessionId } });
      expect(reply.body.error!.message).toMatch(new RegExp(`keyholder ${escape(stage.alice.identityKey)}: the signature share for input 0 does not verify`));
      // Named, she signs in no later session of this withdrawal.
      const again = await commitDirect(stage, withdrawal, stage.alice.commit(withdrawal));
      expect([again.status, again.body.error?.code]).toEqual([403, 'FROST_SIGNER_EXCLUDED']);
      for (const l of listeners) outcomes.push(await eventFor(l, withdrawal, 'signed'));
      for (const l of listeners) expect(await l.exited).toBe(0);
    } finally {
      for (const [i, l] of listeners.entries()) await settle(l, outcomes[i]);
    }
    const view = await frostView(stage, withdrawal);
    expect(view.sessions.map((s) => s.state)).toEqual(['failed', 'complete']);
    expect(view.sessions[0]!.failure).toMatchObject({ code: 'FROST_SHARE_INVALID', identityKey: stage.alice.identityKey });
    expect(view.sessions[1]!.signers).toEqual([bob().identityKey, carol().identityKey]);
    await expectValidSpend(stage, withdrawal);
    const used = [...sharePosts(stage.proxy, withdrawal, since.bob), ...sharePosts(stage.carolProxy, withdrawal, since.carol)].map((s) => s.body.commitmentId);
    expect(new Set(used).size).toBe(used.length);
  });
});
