/**
 * The coordinator's relay of FROST signing rounds (protocol/frost/signing-api.ts) against a real
 * in-process coordinator and database (SQLite, or PostgreSQL with DATABASE_URL): a 2-of-3
 * tr-frost vault made through the DKG relay, coins on two receive addresses, a withdrawal
 * spending both, and keyholders playing the signer with protocol/frost over HTTP, until the
 * transaction is exported and each key-path signature verifies under the spent output's key for
 * its BIP341 sighash (computed independently with bitcoinjs-lib). Then: an invalid share named
 * and its keyholder left out; each refused commitment with its code and nothing stored; a
 * session that times out (at the next commitment, and by the sweep); two withdrawals at once.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import * as bitcoin from 'bitcoinjs-lib';
import { WebSocket } from 'ws';
import { MESSAGE_TYPES, type CoordinatorEvent, type ServerFrame, type WithdrawalView } from '../../protocol/api';
import { FROST_SIGN_MESSAGE_TYPES, type FrostCommitBody, type FrostSigningView } from '../../protocol/frost';
import { Clock } from '../../server/common/clock';
import { FrostSigningService } from '../../server/frost-signing/frost-signing.service';
import { fakeFundingTx } from '../support/funding-tx';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type FrostSigner, type FrostVaultScenario, commitFor, frostKeyholders, setupFrostVault, sharesFor } from '../support/frost-vault-scenario';
import { DESTINATION, intent, propose } from '../support/vault-scenario';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
type Reply = FrostSigningView & ErrorBody;
const TABLES = ['frost_commitments', 'frost_sessions', 'frost_shares', 'audit_events', 'used_nonces', 'withdrawals', 'utxos'];

describe(`FROST signing relay (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let coord: RunningCoordinator;
  let clock: Clock;
  let scenario: FrostVaultScenario;
  let signers: FrostSigner[];
  const realNow = Clock.prototype.now;
  /** Funding transactions by txid, to check the final transaction's inputs against. */
  const fundings = new Map<string, string>();

  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    clock = coord.app.get(Clock);
    scenario = await setupFrostVault(coord, frostKeyholders(['alice', 'bob', 'carol'], 'signing relay'));
    signers = scenario.signers;
    await depositTo(0, 600_000n);
    await depositTo(1, 500_000n);
  });
  afterEach(async () => {
    clock.now = realNow;
    await coord.close();
  });

  async function depositTo(index: number, amount: bigint): Promise<void> {
    const addresses = await coord.call<Array<{ address: string }>>('GET', `/api/v1/vaults/${scenario.vault.id}/addresses?change=0&from=${index}&count=1`);
    const funding = fakeFundingTx([{ address: addresses.body[0]!.address, amount }], 'regtest');
    fundings.set(funding.txid, funding.hex);
    const res = await coord.call('POST', `/api/v1/vaults/${scenario.vault.id}/deposits`, signers[0]!.k.sign(MESSAGE_TYPES.depositRegister, { vaultId: scenario.vault.id, rawTx: funding.hex }));
    expect(res.status).toBe(201);
  }

  async function withdraw(amount = '1000000'): Promise<WithdrawalView> {
    const res = await propose(coord, scenario.vault, signers[0]!.k, intent(scenario.vault, { outputs: [{ address: DESTINATION, amount }] }));
    expect([res.status, res.body.state]).toEqual([201, 'signing']);
    return res.body;
  }

  const frost = (w: WithdrawalView) => `/api/v1/withdrawals/${w.id}/frost`;
  const view = async (w: WithdrawalView) => (await coord.call<FrostSigningView>('GET', frost(w))).body;
  const commit = (w: WithdrawalView, envelope: unknown) => coord.call<Reply>('POST', `${frost(w)}/commitments`, envelope);
  const share = (w: WithdrawalView, sessionId: string, envelope: unknown) => coord.call<Reply>('POST', `${frost(w)}/sessions/${sessionId}/shares`, envelope);
  const expectRefused = async (reply: Promise<{ status: number; body: Reply }>, status: number, code: string) => {
    const res = await reply;
    expect([res.status, res.body.error?.code]).toEqual([status, code]);
    return res.body.error;
  };
  const counts = async () => {
    const n = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    return Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await n(t)] as const)));
  };
  const withdrawal = async (w: WithdrawalView) => (await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${w.id}`)).body;
  const running = (v: FrostSigningView) => v.sessions.find((s) => s.state === 'signing');
  const shift = (seconds: number) => { clock.now = () => new Date(Date.now() + seconds * 1000); };

  /** Both keyholders of `set` sign the running session. */
  async function signRunning(w: WithdrawalView, set: FrostSigner[]): Promise<Reply> {
    const shown = await view(w);
    const session = running(shown)!;
    expect(session.signers).toEqual(set.map((s) => s.k.identityKey));
    let last: Reply | undefined;
    for (const s of set) {
      const res = await share(w, session.sessionId, sharesFor(scenario, s, w, shown, session.sessionId));
      expect(res.status).toBe(200);
      last = res.body;
    }
    return last!;
  }

  /** The exported transaction: every input one 64-byte BIP340 signature valid for its own output key and BIP341 sighash. */
  async function expectValidSpend(w: WithdrawalView, inputs: number): Promise<void> {
    const done = await withdrawal(w);
    expect(done.state).toBe('exported');
    const { hex, txid } = (await coord.call<{ txid: string; hex: string }>('GET', `/api/v1/withdrawals/${w.id}/transaction`)).body;
    expect(txid).toBe(done.txid);
    const tx = Transaction.fromRaw(hexToBytes(hex));
    expect(tx.id).toBe(txid);
    expect(tx.inputsLength).toBe(inputs);
    const prevouts = Array.from({ length: tx.inputsLength }, (_, i) => {
      const input = tx.getInput(i);
      const funding = Transaction.fromRaw(hexToBytes(fundings.get(bytesToHex(input.txid!))!), { allowUnknownInputs: true, disableScriptCheck: true });
      return funding.getOutput(input.index!);
    });
    const unsigned = bitcoin.Transaction.fromHex(hex);
    const scripts = prevouts.map((p) => p.script!);
    const amounts = prevouts.map((p) => p.amount!);
    expect(new Set(scripts.map(bytesToHex)).size).toBe(inputs);
    for (let i = 0; i < tx.inputsLength; i++) {
      const witness = tx.getInput(i).finalScriptWitness!;
      expect(witness).toHaveLength(1);
      expect(witness[0]).toHaveLength(64);
      const sighash = unsigned.hashForWitnessV1(i, scripts, amounts, bitcoin.Transaction.SIGHASH_DEFAULT);
      expect(scripts[i]!.subarray(0, 2)).toEqual(Uint8Array.of(0x51, 0x20));
      expect(schnorr.verify(witness[0]!, sighash, scripts[i]!.subarray(2))).toBe(true);
    }
  }

  it('signs a two-input withdrawal with keyholders 2 and 3 into an exported transaction, every step audited', async () => {
    const [, bob, carol] = signers as [FrostSigner, FrostSigner, FrostSigner];
    const w = await withdraw();
    expect(w.psbt).toBeDefined();
    const first = await commit(w, commitFor(scenario, bob, w));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ withdrawalId: w.id, waiting: [bob.k.identityKey], sessions: [] });
    const second = await commit(w, commitFor(scenario, carol, w));
    expect(second.body.waiting).toEqual([]);
    expect(second.body.sessions).toEqual([expect.objectContaining({
      state: 'signing', signers: [bob.k.identityKey, carol.k.identityKey], sharesFrom: [], failure: null,
    })]);
    const done = await signRunning(w, [bob, carol]);
    expect(done.sessions[0]).toMatchObject({ state: 'complete', sharesFrom: [bob.k.identityKey, carol.k.identityKey] });
    await expectValidSpend(w, 2);
    const utxos = await coord.call<Array<{ status: string }>>('GET', `/api/v1/vaults/${scenario.vault.id}/utxos`);
    expect(utxos.body.map((u) => u.status)).toEqual(['spent', 'spent']);

    const events = (await coord.call<Array<{ kind: string; subject: string }>>('GET', `/api/v1/audit?subject=${w.id}`)).body.map((e) => e.kind);
    expect(events).toEqual(['withdrawal.proposed', 'withdrawal.signing', 'frost.commitment.received', 'frost.commitment.received', 'frost.session.opened',
      'frost.share.received', 'frost.share.received', 'withdrawal.signed', 'withdrawal.exported']);
    expect((await coord.call<{ valid: boolean; reason: string | null }>('GET', '/api/v1/audit/verify')).body).toMatchObject({ valid: true, reason: null });

    // No share or nonce of a key reaches the coordinator (invariant 1): only commitments and signature shares.
    const dump = JSON.stringify(await Promise.all(['frost_commitments', 'frost_sessions', 'frost_shares', 'audit_events'].map((t) => coord.dataSource.query(`SELECT * FROM ${t}`))));
    for (const s of signers) expect(dump).not.toContain(bytesToHex(s.share.signingShare));
    // A multisig partial signature has no place in a FROST withdrawal.
    const multisig = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/signatures`, bob.k.sign(MESSAGE_TYPES.withdrawalSignature, {
      withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, partialSigs: [{ input: 0, pubkey: `02${'11'.repeat(32)}`, signature: `30${'44'.repeat(70)}01` }],
    }));
    expect([multisig.status, multisig.body.error.code]).toEqual([422, 'VAULT_KIND_UNSUPPORTED']);
  });

  it('names the keyholder of an invalid share, leaves it out, and completes with the third keyholder', async () => {
    const [alice, bob, carol] = signers as [FrostSigner, FrostSigner, FrostSigner];
    const events = await listen(bob);
    const w = await withdraw();
    await commit(w, commitFor(scenario, alice, w));
    await commit(w, commitFor(scenario, bob, w));
    await commit(w, commitFor(scenario, carol, w));
    const shown = await view(w);
    const session = running(shown)!;
    expect(session.signers).toEqual([alice.k.identityKey, bob.k.identityKey]);
    expect(shown.waiting).toEqual([carol.k.identityKey]);
    expect(await events.next('frost.session')).toEqual({ kind: 'frost.session', vaultId: scenario.vault.id, withdrawalId: w.id, sessionId: session.sessionId });

    // Alice's share for input 0 is some other scalar: it does not verify, and she is named.
    const honest = sharesFor(scenario, alice, w, shown, session.sessionId);
    const bad = alice.k.sign(FROST_SIGN_MESSAGE_TYPES.share, { ...honest.body, shares: honest.body.shares.map((s, i) => (i === 0 ? { ...s, share: `${'00'.repeat(31)}01` } : s)) });
    const named = await expectRefused(share(w, session.sessionId, bad), 422, 'FROST_SHARE_INVALID');
    expect(named!.details).toMatchObject({ identityKey: alice.k.identityKey, sessionId: session.sessionId, inputs: [0] });
    const after = await view(w);
    expect(after.sessions[0]).toMatchObject({ state: 'failed', failure: { code: 'FROST_SHARE_INVALID', identityKey: alice.k.identityKey } });
    // Bob's commitment went with the failed session, Carol's alone is not enough: keyholders are told to commit again.
    expect(after.waiting).toEqual([carol.k.identityKey]);
    expect(await events.next('frost.retry')).toEqual({ kind: 'frost.retry', vaultId: scenario.vault.id, withdrawalId: w.id });

    await expectRefused(share(w, session.sessionId, sharesFor(scenario, bob, w, shown, session.sessionId)), 409, 'FROST_SESSION_CLOSED');
    await expectRefused(commit(w, commitFor(scenario, alice, w)), 403, 'FROST_SIGNER_EXCLUDED');
    const reopened = await commit(w, commitFor(scenario, bob, w));
    expect(running(reopened.body)!.signers).toEqual([bob.k.identityKey, carol.k.identityKey]);
    await signRunning(w, [bob, carol]);
    await expectValidSpend(w, 2);
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
    const failed = (await coord.call<Array<{ kind: string; payload: Record<string, unknown> }>>('GET', `/api/v1/audit?subject=${w.id}`)).body.find((e) => e.kind === 'frost.session.failed');
    expect(failed!.payload).toEqual({ sessionId: session.sessionId, code: 'FROST_SHARE_INVALID', identityKey: alice.k.identityKey });
    events.close();
  });

  it('refuses a commitment for another transaction, by a non-member, replayed, twice, or after export, storing nothing', async () => {
    const [alice, bob, carol] = signers as [FrostSigner, FrostSigner, FrostSigner];
    const w = await withdraw();
    const baseline = await counts();
    const honest = commitFor(scenario, alice, w);
    const resigned = (body: Partial<FrostCommitBody>) => alice.k.sign(FROST_SIGN_MESSAGE_TYPES.commit, { ...honest.body, ...body });
    await expectRefused(commit(w, resigned({ unsignedTxid: 'ab'.repeat(32) })), 422, 'FROST_SESSION_INVALID');
    await expectRefused(commit(w, resigned({ intentHash: 'cd'.repeat(32) })), 422, 'FROST_SESSION_INVALID');
    await expectRefused(commit(w, resigned({ inputs: honest.body.inputs.slice(0, 1) })), 422, 'FROST_SESSION_INVALID');
    await expectRefused(commit(w, resigned({ withdrawalId: '00000000-0000-4000-8000-000000000000' })), 400, 'VALIDATION_FAILED');
    await expectRefused(commit(w, resigned({ inputs: honest.body.inputs.map((c) => ({ ...c, hiding: `02${'00'.repeat(32)}` })) })), 400, 'FROST_COMMITMENT_INVALID');
    const [stranger] = frostKeyholders(['mallory'], 'not joined');
    await expectRefused(commit(w, stranger.sign(FROST_SIGN_MESSAGE_TYPES.commit, honest.body)), 403, 'NOT_A_MEMBER');
    await expectRefused(commit(w, { ...honest, body: { ...honest.body, commitmentId: 'ff'.repeat(16) } }), 401, 'ENVELOPE_BAD_SIGNATURE');
    expect(await counts()).toEqual(baseline);

    expect((await commit(w, honest)).status).toBe(200);
    const accepted = await counts();
    await expectRefused(commit(w, honest), 409, 'ENVELOPE_REPLAYED');
    await expectRefused(commit(w, commitFor(scenario, alice, w)), 409, 'FROST_COMMITMENT_PENDING');
    expect(await counts()).toEqual(accepted);
    // The very same commitments in a new statement (a lost answer) change nothing.
    expect((await commit(w, resigned({}))).body.waiting).toEqual([alice.k.identityKey]);

    const opened = await commit(w, commitFor(scenario, carol, w));
    const sessionId = running(opened.body)!.sessionId;
    const unsigned = { withdrawalId: w.id, sessionId, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, commitmentId: 'bb'.repeat(16), shares: [0, 1].map((input) => ({ input, share: '01'.repeat(32) })) };
    const beforeShares = await counts();
    await expectRefused(share(w, sessionId, bob.k.sign(FROST_SIGN_MESSAGE_TYPES.share, unsigned)), 403, 'FROST_NOT_IN_SESSION');
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expectRefused(share(w, unknown, alice.k.sign(FROST_SIGN_MESSAGE_TYPES.share, { ...unsigned, sessionId: unknown })), 404, 'FROST_SESSION_NOT_FOUND');
    await expectRefused(share(w, sessionId, alice.k.sign(FROST_SIGN_MESSAGE_TYPES.share, { ...unsigned, shares: unsigned.shares.slice(1) })), 422, 'FROST_SESSION_INVALID');
    expect(await counts()).toEqual(beforeShares);
    await signRunning(w, [alice, carol]);
    await expectValidSpend(w, 2);

    const exported = await counts();
    await expectRefused(commit(w, commitFor(scenario, bob, w)), 409, 'WITHDRAWAL_STATE');
    expect(await counts()).toEqual(exported);
  });

  it('fails a session that waits too long for shares, at the next commitment and by the sweep, and completes a new one', async () => {
    const [alice, bob, carol] = signers as [FrostSigner, FrostSigner, FrostSigner];
    const w = await withdraw();
    await commit(w, commitFor(scenario, alice, w));
    const opened = await commit(w, commitFor(scenario, bob, w));
    const first = running(opened.body)!;
    // Alice sends her shares; Bob's signer crashed.
    const shown = await view(w);
    expect((await share(w, first.sessionId, sharesFor(scenario, alice, w, shown, first.sessionId))).status).toBe(200);
    // Alice spent nonces on this transaction: the withdrawal can no longer be cancelled silently.
    const cancel = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/cancel`, bob.k.sign(MESSAGE_TYPES.withdrawalCancel, { withdrawalId: w.id, intentHash: w.intentHash, reason: 'stuck' }));
    expect([cancel.status, cancel.body.error.code]).toEqual([409, 'WITHDRAWAL_STATE']);

    shift(130);
    const late = await commit(w, commitFor(scenario, carol, w));
    expect(late.body.sessions[0]).toMatchObject({ sessionId: first.sessionId, state: 'failed', sharesFrom: [alice.k.identityKey], failure: { code: 'FROST_SESSION_TIMEOUT', identityKey: null } });
    expect(late.body.waiting).toEqual([carol.k.identityKey]);
    await expectRefused(share(w, first.sessionId, sharesFor(scenario, bob, w, shown, first.sessionId)), 409, 'FROST_SESSION_CLOSED');

    const second = running((await commit(w, commitFor(scenario, bob, w))).body)!;
    expect(second.signers).toEqual([bob.k.identityKey, carol.k.identityKey]);
    shift(260);
    expect(await coord.app.get(FrostSigningService).sweep()).toEqual([second.sessionId]);
    expect((await view(w)).sessions.map((s) => s.state)).toEqual(['failed', 'failed']);

    await commit(w, commitFor(scenario, alice, w));
    await commit(w, commitFor(scenario, carol, w));
    await signRunning(w, [alice, carol]);
    await expectValidSpend(w, 2);
    expect((await view(w)).sessions.map((s) => s.state)).toEqual(['failed', 'failed', 'complete']);
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
  });

  it('signs two withdrawals concurrently and independently', async () => {
    const [alice, bob, carol] = signers as [FrostSigner, FrostSigner, FrostSigner];
    await depositTo(2, 400_000n);
    await depositTo(3, 400_000n);
    const a = await withdraw('1000000');
    const b = await withdraw('700000');
    const flow = async (w: WithdrawalView, set: FrostSigner[]) => {
      const replies = await Promise.all(set.map((s) => commit(w, commitFor(scenario, s, w))));
      expect(replies.map((r) => r.status)).toEqual([200, 200]);
      const shown = await view(w);
      const session = running(shown)!;
      const shares = await Promise.all(set.map((s) => share(w, session.sessionId, sharesFor(scenario, s, w, shown, session.sessionId))));
      expect(shares.map((r) => r.status)).toEqual([200, 200]);
    };
    await Promise.all([flow(a, [alice, bob]), flow(b, [alice, carol])]);
    await expectValidSpend(a, 2);
    await expectValidSpend(b, 2);
    for (const w of [a, b]) expect((await view(w)).sessions.map((s) => s.state)).toEqual(['complete']);
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
  });

  /** A logged-in WebSocket of one keyholder, collecting the events pushed to it. */
  async function listen(signer: FrostSigner) {
    const socket = new WebSocket(`${coord.url.replace(/^http/, 'ws')}/ws`);
    const frames: ServerFrame[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as ServerFrame));
    const wait = async <T>(find: () => T | undefined): Promise<T> => {
      for (let i = 0; i < 300; i++) {
        const found = find();
        if (found !== undefined) return found;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`not pushed; frames: ${JSON.stringify(frames)}`);
    };
    const challenge = await wait(() => frames.find((f): f is Extract<ServerFrame, { type: 'challenge' }> => f.type === 'challenge'));
    socket.send(JSON.stringify({ type: 'auth', envelope: signer.k.sign(MESSAGE_TYPES.wsAuth, { challenge: challenge.challenge }) }));
    await wait(() => frames.find((f) => f.type === 'ready'));
    return {
      next: (kind: CoordinatorEvent['kind']) => wait(() => frames.flatMap((f) => (f.type === 'event' && f.event.kind === kind ? [f.event] : []))[0]),
      close: () => socket.close(),
    };
  }
});
