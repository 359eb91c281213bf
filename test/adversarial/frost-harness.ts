/**
 * The stage of the FROST part of the malicious-coordinator suite (issue 4, point 6; RFC 9591
 * section 5 as Conclave relays it, protocol/frost/signing-api.ts): a real coordinator process,
 * two tampering proxies in front of it, and three real signer-cli keyholders who made a 2-of-3
 * FROST vault by DKG through them. Bob joined through `proxy`, Carol through `carolProxy`, so
 * the two can be shown different things; what really happened is read from the coordinator
 * directly. One vault per file, funded with many coins that its scenarios spend one by one.
 *
 * Alice is played in this process, with her own keystore and FROST share read from her home
 * (as a keyholder's machine would hold them): she proposes, and commits and shares with
 * protocol/frost directly at the coordinator, honestly or not as a scenario needs. Her `listen`
 * never runs. Each scenario proposes first and starts its listeners afterwards: the proxies let
 * listings and pushes of only the scenario's own withdrawals through (`listed`), so what an
 * earlier scenario left open never reaches a later one.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { MESSAGE_TYPES, type VaultView, type WithdrawalIntent, type WithdrawalView } from '../../protocol/api';
import type { Envelope } from '../../protocol/envelope';
import {
  COMMITMENT_ID_BYTES, FROST_SIGN_MESSAGE_TYPES, type FrostChildPublic, type FrostCommitBody, type FrostSessionView, type FrostShareBody,
  type FrostSigningGroup, type FrostSigningView, type Nonces, checkSigningPackage, childPublicPackage, childSigningKey, commitNonces,
  commitmentHex, encodeSignatureShare, signShare,
} from '../../protocol/frost';
import type { TaprootKeySpend } from '../../protocol/intent';
import { withdrawalViewSchema } from '../../signer-cli/coordinator/views';
import { FrostSecretStore, type LoadedFrostShare, loadFrostShare } from '../../signer-cli/frost/frost-files';
import { TEST_SCRYPT } from '../../signer-cli/keystore/keystore-format';
import { type UnlockedKeystore, unlockKeystore } from '../../signer-cli/keystore/keystore';
import { SealingKey } from '../../signer-cli/keystore/sealed-file';
import { verifyPinnedWithdrawal } from '../../signer-cli/signing/sign-withdrawal';
import { type PinnedVault, StateStore } from '../../signer-cli/state/state-file';
import { verifyFrostTransaction } from '../demo/verify-frost-tx';
import { setUpCliFrostVault } from '../support/cli-frost-vault';
import { type CliKeyholder, signer } from '../support/cli-vault';
import { fakeFundingTx } from '../support/funding-tx';
import { type Coordinator, spawnSigner, startCoordinator } from '../support/processes';
import { type TestDatabase, testDatabase } from '../support/test-database';
import { memberFetch } from '../support/member-fetch';
import { DESTINATION, ENV, Listener, PASSPHRASE } from './harness';
import { TamperingProxy } from './tampering-proxy';

export const FROST_ENV = { ...ENV, CONCLAVE_FROST_POLL_MS: '100' };
const rng = (n: number) => new Uint8Array(randomBytes(n));

type Names = 'alice' | 'bob' | 'carol';

interface Coin { txid: string; vout: number; amount: bigint; address: string }

export interface FrostStage {
  root: string;
  db: TestDatabase;
  coordinator: Coordinator;
  /** Between Bob (and Alice's CLI) and the coordinator. */
  proxy: TamperingProxy;
  /** Between Carol and the coordinator. */
  carolProxy: TamperingProxy;
  keyholders: Record<Names, CliKeyholder>;
  vault: VaultView;
  alice: InProcessSigner;
  /** Withdrawals whose listings and pushes the proxies let through. */
  listed: Set<string>;
  listeners: Set<ChildProcess>;
  coins: Map<string, Coin>;
}

/** Coordinator, proxies, three keystores joined through them, and a 2-of-3 FROST vault funded with `coins` coins. */
export async function openFrostStage(coins: number, amount: bigint): Promise<FrostStage> {
  const root = mkdtempSync(join(tmpdir(), 'conclave-adversarial-frost-'));
  const db = testDatabase();
  const names: Names[] = ['alice', 'bob', 'carol'];
  const [started, ...created] = await Promise.allSettled([
    // Sessions never time out during a file: the scenarios that need a round to fail make it fail.
    startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest', CONCLAVE_FROST_SESSION_TIMEOUT_SECONDS: '3600' }),
    ...names.map((name) => signer(join(root, name), ['init', '--network', 'regtest'], FROST_ENV)),
  ]);
  const failure = [started, ...created].find((r) => r.status === 'rejected');
  if (failure !== undefined) {
    if (started.status === 'fulfilled') await started.value.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
    throw failure.reason;
  }
  const coordinator = (started as PromiseFulfilledResult<Coordinator>).value;
  const [proxy, carolProxy] = await Promise.all([TamperingProxy.start(coordinator.url), TamperingProxy.start(coordinator.url)]);
  const stage = { root, db, coordinator, proxy, carolProxy, listed: new Set<string>(), listeners: new Set<ChildProcess>(), coins: new Map<string, Coin>() } as FrostStage;
  for (const p of [proxy, carolProxy]) isolate(p, stage.listed);
  try {
    const inits = created.map((r) => (r as PromiseFulfilledResult<Record<string, unknown>>).value);
    const joined = await Promise.all(names.map(async (name, i): Promise<CliKeyholder> => {
      const home = join(root, name);
      await signer(home, ['--coordinator', name === 'carol' ? carolProxy.url : proxy.url, 'join', '--name', name], FROST_ENV);
      const init = inits[i]!;
      return { name, home, identityKey: String(init.identityKey), fingerprint: String(init.fingerprint), xpub: (init.accountKey as { xpub: string }).xpub };
    }));
    stage.keyholders = { alice: joined[0]!, bob: joined[1]!, carol: joined[2]! };
    const made = await setUpCliFrostVault({ root, coordinatorUrl: proxy.url, env: FROST_ENV, keyholders: joined });
    stage.vault = await direct<VaultView>(stage, `/api/v1/vaults/${made.vaultId}`);
    stage.alice = InProcessSigner.open(stage.keyholders.alice, made.vaultId);
    await fund(stage, coins, amount);
  } catch (error) {
    await closeFrostStage(stage);
    throw error;
  }
  return stage;
}

/** Listings and pushes of withdrawals other than the listed ones never reach a listener through `proxy`. */
function isolate(proxy: TamperingProxy, listed: ReadonlySet<string>): void {
  proxy.rewrite(({ method, path, status, body }) => {
    if (method !== 'GET' || status !== 200 || !/^\/api\/v1\/vaults\/[^/]+\/withdrawals(\?|$)/.test(path) || !Array.isArray(body)) return undefined;
    return { body: (body as WithdrawalView[]).filter((w) => listed.has(w.id)) };
  });
  proxy.rewriteFrames((frame) => {
    if (frame.type !== 'event' || !('withdrawalId' in frame.event)) return frame;
    return listed.has(frame.event.withdrawalId) ? frame : null;
  });
}

export async function closeFrostStage(stage: FrostStage | undefined): Promise<void> {
  if (stage === undefined) return;
  for (const child of stage.listeners) child.kill('SIGKILL');
  stage.alice?.wipe();
  await stage.proxy?.stop();
  await stage.carolProxy?.stop();
  await stage.coordinator.stop();
  await stage.db.cleanup();
  rmSync(stage.root, { recursive: true, force: true });
}

/** One funding transaction with `count` coins on the vault's first two receive addresses, registered by Alice. */
async function fund(stage: FrostStage, count: number, amount: bigint): Promise<void> {
  const addresses = (await direct<Array<{ address: string }>>(stage, `/api/v1/vaults/${stage.vault.id}/addresses?change=0&from=0&count=2`)).map((a) => a.address);
  const payments = Array.from({ length: count }, (_, i) => ({ address: addresses[i % 2]!, amount }));
  const funding = fakeFundingTx(payments, 'regtest');
  payments.forEach((p, vout) => stage.coins.set(`${funding.txid}:${vout}`, { txid: funding.txid, vout, ...p }));
  const reply = await call(stage, 'POST', `/api/v1/vaults/${stage.vault.id}/deposits`, stage.alice.sign(MESSAGE_TYPES.depositRegister, { vaultId: stage.vault.id, rawTx: funding.hex }));
  if (reply.status !== 201) throw new Error(`deposit: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
}

/** A request to the real coordinator, bypassing the proxies. */
export async function call<T = unknown>(stage: FrostStage, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  // Reads as alice (a member's session, server/auth); a POST speaks for whoever signed its body.
  const res = method === 'GET' ? await memberFetch(stage.coordinator.url, stage.keyholders.alice.home, path, PASSPHRASE) : await fetch(`${stage.coordinator.url}${path}`, {
    method, headers: body === undefined ? undefined : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  // Parsed here, not by fetch: canonical JSON refuses objects of another realm (fetch's, under jest).
  return { status: res.status, body: JSON.parse(await res.text()) as T };
}

export async function direct<T>(stage: FrostStage, path: string): Promise<T> {
  const reply = await call<T>(stage, 'GET', path);
  if (reply.status !== 200) throw new Error(`GET ${path}: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** The FROST rounds of a withdrawal as the coordinator really holds them. */
export const frostView = (stage: FrostStage, w: { id: string }) => direct<FrostSigningView>(stage, `/api/v1/withdrawals/${w.id}/frost`);

/** Alice's signed intent (100,000 sat unless told), sent straight to the coordinator; from now on listeners hear of this withdrawal only. */
export async function propose(stage: FrostStage, amount = 100_000n): Promise<WithdrawalView> {
  const intent: WithdrawalIntent = {
    vaultId: stage.vault.id, network: 'regtest', requestId: `adv-frost-${randomBytes(6).toString('hex')}`,
    outputs: [{ address: DESTINATION, amount: amount.toString() }], feeRate: '2', maxFee: '100000', memo: 'adversarial suite (FROST)',
    expiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(), policyHash: stage.vault.policyHash,
  };
  const reply = await call<WithdrawalView>(stage, 'POST', `/api/v1/vaults/${stage.vault.id}/withdrawals`, stage.alice.sign(MESSAGE_TYPES.withdrawalPropose, intent));
  if (reply.status !== 201 || reply.body.state !== 'signing') throw new Error(`propose: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
  stage.listed.clear();
  stage.listed.add(reply.body.id);
  return reply.body;
}

/** Alice cancels a withdrawal nobody shared in, so that it takes no further session. */
export async function cancel(stage: FrostStage, w: WithdrawalView): Promise<void> {
  const reply = await call(stage, 'POST', `/api/v1/withdrawals/${w.id}/cancel`, stage.alice.sign(MESSAGE_TYPES.withdrawalCancel, { withdrawalId: w.id, intentHash: w.intentHash, reason: 'adversarial scenario over' }));
  if (reply.status !== 200) throw new Error(`cancel: HTTP ${reply.status} ${JSON.stringify(reply.body)}`);
}

/** Alice posts a signed statement straight to the coordinator. */
export const commitDirect = (stage: FrostStage, w: { id: string }, envelope: Envelope<FrostCommitBody>) =>
  call<FrostSigningView & { error?: { code: string } }>(stage, 'POST', `/api/v1/withdrawals/${w.id}/frost/commitments`, envelope);
export const shareDirect = (stage: FrostStage, w: { id: string }, envelope: Envelope<FrostShareBody>) =>
  call<FrostSigningView & { error?: { code: string; message: string; details?: Record<string, unknown> } }>(
    stage, 'POST', `/api/v1/withdrawals/${w.id}/frost/sessions/${envelope.body.sessionId}/shares`, envelope);

/** `listen --yes --json --exit-after 1` for Bob (through `proxy`) or Carol (through `carolProxy`), connected and waiting. */
export async function listen(stage: FrostStage, name: 'bob' | 'carol'): Promise<Listener> {
  const child = spawnSigner(stage.keyholders[name].home, ['--json', 'listen', '--yes', '--exit-after', '1'], FROST_ENV);
  stage.listeners.add(child);
  child.on('exit', () => stage.listeners.delete(child));
  const listener = new Listener(child);
  await listener.waitFor((l) => l.event === 'connected', 'a connection to the coordinator');
  return listener;
}

/** The first line of `event` for this withdrawal. */
export const eventFor = (listener: Listener, w: { id: string }, event: string, timeoutMs?: number) =>
  listener.waitFor((l) => l.withdrawalId === w.id && l.event === event, `a ${event} event for withdrawal ${w.id}`, timeoutMs);

/** Polls the coordinator's own view until `done` holds. */
export async function until(stage: FrostStage, w: { id: string }, what: string, done: (view: FrostSigningView) => boolean, timeoutMs = 30_000): Promise<FrostSigningView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await frostView(stage, w);
    if (done(view)) return view;
    if (Date.now() > deadline) throw new Error(`withdrawal ${w.id}: no ${what} within ${timeoutMs} ms: ${JSON.stringify(view)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Rewrites every running session in the FROST signing views of this withdrawal that `proxy`
 * relays: `GET .../frost` and the answers to commitments and shares, as a consistent liar would.
 */
export function tamperSessions(proxy: TamperingProxy, w: { id: string }, edit: (session: FrostSessionView) => FrostSessionView): () => void {
  const prefix = `/api/v1/withdrawals/${w.id}/frost`;
  return proxy.rewrite(({ path, status, body }) => {
    if (status !== 200 || !path.startsWith(prefix) || !Array.isArray((body as Partial<FrostSigningView>).sessions)) return undefined;
    const view = JSON.parse(JSON.stringify(body)) as FrostSigningView;
    return { body: { ...view, sessions: view.sessions.map((s) => (s.state === 'signing' ? edit(s) : s)) } };
  });
}

/** Share statements that went through `proxy` for this withdrawal, in order. */
export function sharePosts(proxy: TamperingProxy, w: { id: string }, since = 0): Array<Envelope<FrostShareBody>> {
  return proxy.requestsSince(since, 'POST', new RegExp(`^/api/v1/withdrawals/${w.id}/frost/sessions/[^/]+/shares$`))
    .map((r) => JSON.parse(r.body) as Envelope<FrostShareBody>);
}

/** The signed commitment statement of `identityKey` in a session. */
export function commitOf(session: FrostSessionView, identityKey: string): Envelope<FrostCommitBody> {
  const found = session.commits.find((c) => c.signer === identityKey);
  if (found === undefined) throw new Error(`session ${session.sessionId} holds no commitment of ${identityKey}`);
  return found;
}

/**
 * The exported transaction checked independently (test/demo/verify-frost-tx.ts): it spends the
 * coins the vault was funded with, pays the destination and the vault's change, and each
 * witness is one BIP340 signature under the spent output's key.
 */
export async function expectValidSpend(stage: FrostStage, w: WithdrawalView): Promise<void> {
  const done = await direct<WithdrawalView>(stage, `/api/v1/withdrawals/${w.id}`);
  expect(done.state).toBe('exported');
  const tx = Transaction.fromRaw(hexToBytes(done.txHex!), { allowUnknownOutputs: true });
  const inputs = Array.from({ length: tx.inputsLength }, (_, i) => {
    const input = tx.getInput(i);
    return stage.coins.get(`${Buffer.from(input.txid!).toString('hex')}:${input.index}`)!;
  });
  expect(inputs.every((c) => c !== undefined)).toBe(true);
  const groupXpub = /^tr\(([A-Za-z0-9]+)\/<0;1>\/\*\)#[a-z0-9]{8}$/.exec(stage.vault.descriptor)![1]!;
  // The coordinator takes the next unused change index; the check derives that address from the xpub itself.
  const findings = Array.from({ length: 32 }, (_, changeIndex) => verifyFrostTransaction({
    txHex: done.txHex!, inputs, destination: { address: DESTINATION, amount: BigInt(w.intent.outputs[0]!.amount) }, vault: { groupXpub, changeIndex },
  })).find((lines) => lines.every((line) => line.startsWith('ok')));
  expect(findings).toBeDefined();
  expect(findings!.filter((line) => /BIP340 signature verifies/.test(line))).toHaveLength(inputs.length);
}

/**
 * A keyholder played in this process with her own keystore and FROST share: she verifies what
 * she is asked to sign (the signer's own check, sign-withdrawal.ts), commits fresh nonces and
 * signs with protocol/frost, keeping each nonce pair for one use only. `corrupt` makes her the
 * malicious signer of issue 4, point 6.
 */
export class InProcessSigner {
  private readonly nonces = new Map<string, { nonces: Nonces[]; commitments: Array<{ hiding: string; binding: string }> }>();

  private constructor(readonly identityKey: string, private readonly keystore: UnlockedKeystore, private readonly share: LoadedFrostShare, private readonly pinned: PinnedVault) {}

  static open(keyholder: CliKeyholder, vaultId: string): InProcessSigner {
    const keystore = unlockKeystore(keyholder.home, PASSPHRASE);
    const state = new StateStore(keyholder.home).read();
    const secrets = new FrostSecretStore(keyholder.home, keystore.identityKey, new SealingKey(PASSPHRASE, TEST_SCRYPT, rng));
    const share = loadFrostShare(secrets, state, vaultId);
    return new InProcessSigner(keystore.identityKey, keystore, share, state.vaults.find((v) => v.vaultId === vaultId)!);
  }

  /** The vault's keyholders in FROST identifier order, as she pinned them. */
  get group(): FrostSigningGroup {
    return { participants: this.pinned.members.map((m) => m.identityKey), threshold: this.pinned.threshold };
  }

  /** The public package of an input's key, as the coordinator verifies and aggregates with it. */
  childPublic(spend: TaprootKeySpend): FrostChildPublic {
    return childPublicPackage(this.share.key, this.share.chainCode, spend.change, spend.index);
  }

  sign<T>(type: string, body: T): Envelope<T> {
    return this.keystore.signEnvelope(type, body, { now: new Date() });
  }

  keySpends(w: WithdrawalView): TaprootKeySpend[] {
    const verdict = verifyPinnedWithdrawal(withdrawalViewSchema.parse(w), this.pinned, new Date(), []);
    if (!verdict.ok || verdict.kind !== 'tr-frost') throw new Error(`alice refuses withdrawal ${w.id}: ${JSON.stringify(verdict)}`);
    return verdict.keySpends;
  }

  /** Fresh nonces for every input, kept here, and the signed `frost.sign.commit` statement. */
  commit(w: WithdrawalView): Envelope<FrostCommitBody> {
    const made = this.keySpends(w).map((s) => commitNonces(this.childKey(s).secret, rng));
    const commitmentId = Buffer.from(rng(COMMITMENT_ID_BYTES)).toString('hex');
    const commitments = made.map((m) => commitmentHex(m.commitments));
    this.nonces.set(commitmentId, { nonces: made.map((m) => m.nonces), commitments });
    return this.sign(FROST_SIGN_MESSAGE_TYPES.commit, {
      withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, commitmentId,
      inputs: commitments.map((c, input) => ({ input, ...c })),
    });
  }

  /** Her shares in `session` (checked as a signer checks it); the nonces are forgotten first. `corrupt`: each share plus one. */
  shares(w: WithdrawalView, session: FrostSessionView, options: { corrupt?: boolean } = {}): Envelope<FrostShareBody> {
    const mine = commitOf(session, this.identityKey).body;
    const stored = this.nonces.get(mine.commitmentId);
    if (stored === undefined) throw new Error(`alice holds no unused nonces for commitment ${mine.commitmentId}`);
    const spends = this.keySpends(w);
    const pkg = checkSigningPackage({
      session,
      withdrawal: { withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, inputCount: spends.length },
      group: this.group,
      me: { identityKey: this.identityKey, commitmentId: mine.commitmentId, commitments: stored.commitments },
    });
    this.nonces.delete(mine.commitmentId);
    const shares = spends.map((s, input) => {
      const key = this.childKey(s);
      const share = signShare(key.secret, key.public, stored.nonces[input]!, pkg.commitmentLists[input]!, s.sighash);
      if (options.corrupt) share[31] ^= 0x01;
      return { input, share: encodeSignatureShare(share) };
    });
    return this.sign(FROST_SIGN_MESSAGE_TYPES.share, {
      withdrawalId: w.id, sessionId: session.sessionId, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, commitmentId: mine.commitmentId, shares,
    });
  }

  wipe(): void {
    this.share.wipe();
    this.keystore.wipe();
  }

  private childKey(spend: TaprootKeySpend) {
    return childSigningKey(this.share.key, this.share.share, this.share.chainCode, spend.change, spend.index);
  }
}
