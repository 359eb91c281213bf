/**
 * Test fixture, not product code: a 2-of-3 FROST vault made once by the signer's own DKG runner
 * (three homes with sealed shares and pins), copied into fresh homes per test; a two-input
 * withdrawal of that vault; and an in-memory coordinator that keeps the signing-round contract
 * of protocol/frost/signing-api.ts the way server/frost-signing does (a commitment is used by at
 * most one session, the same one sent again changes nothing, one unused commitment per
 * keyholder, the first t by arrival form a session, every share verified, aggregation checked
 * under each input's output key, a time-out fails the running session).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { canonicalJson } from '../../protocol/canonical-json';
import { type FrostVaultDescriptor, deriveVaultScript, parseVaultDescriptor } from '../../protocol/descriptor';
import { type Envelope, signEnvelope, verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import {
  type FrostChildPublic, type FrostCommitBody, type FrostSessionView, type FrostShareBody, type FrostSigningView, FROST_SIGN_MESSAGE_TYPES,
  aggregateSignature, checkCommitStatement, childPublicPackage, commitmentLists, decodeSignatureShare, participantIdentifier, verifyShare,
} from '../../protocol/frost';
import { intentHash } from '../../protocol/intent';
import type { WithdrawalIntent } from '../../protocol/api';
import { DEFAULT_POLICY, policyHash } from '../../protocol/policy';
import { buildWithdrawalPsbt, descriptorOracle, inspectPsbt, taprootKeySpendSighashes, vaultGlobalXpubs } from '../../protocol/psbt';
import { fundingTxPaying } from '../../test/support/funding-tx';
import type { CoordinatorClient } from '../coordinator/client';
import type { WithdrawalViewParsed } from '../coordinator/views';
import { runFrostDkg } from '../frost/dkg-runner';
import { FrostSecretStore, loadFrostShare } from '../frost/frost-files';
import { PASSPHRASE, FakeFrostCoordinator, depsFor, keyholder, openSetup, type FixtureKeyholder } from '../frost/frost-relay.fixture';
import { TEST_SCRYPT } from '../keystore/keystore-format';
import type { UnlockedKeystore } from '../keystore/keystore';
import { SealingKey } from '../keystore/sealed-file';
import { StateStore } from '../state/state-file';

export const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const random = (n: number) => new Uint8Array(randomBytes(n));

export interface FrostVaultTemplate { holders: FixtureKeyholder[]; vaultId: string; descriptor: FrostVaultDescriptor }

/** Three keyholders run the real DKG runner against the fake setup relay: one pinned 2-of-3 vault. */
export async function makeFrostVault(): Promise<FrostVaultTemplate> {
  const coordinator = new FakeFrostCoordinator();
  const holders = [keyholder('alice'), keyholder('bob'), keyholder('carol')];
  const setup = await openSetup(coordinator, holders[0]!, holders);
  const outcomes = await Promise.all(holders.map((h) => runFrostDkg(depsFor(coordinator, h), setup)));
  const pin = outcomes[0]!.status === 'complete' ? outcomes[0]!.pin : null;
  if (pin === null) throw new Error('the DKG did not complete');
  return { holders, vaultId: pin.vaultId, descriptor: parseVaultDescriptor(pin.descriptor, 'regtest', ['tr-frost']) };
}

/** A keyholder of the template in a home of its own (a copy), so each test starts from the pinned vault. */
export interface Signer { name: string; home: string; secret: Uint8Array; identityKey: string; state: StateStore; secrets(): FrostSecretStore; keystore: UnlockedKeystore }

export function copySigner(h: FixtureKeyholder): Signer {
  const home = mkdtempSync(join(tmpdir(), `conclave-frost-sign-${h.name}-`));
  cpSync(h.home, home, { recursive: true });
  const keystore = {
    identityKey: h.identityKey,
    signEnvelope: <T>(type: string, body: T, options: { now: Date }) => signEnvelope(type, body, h.secret, { now: options.now, randomBytes: random }),
  } as unknown as UnlockedKeystore;
  return {
    name: h.name, home, secret: h.secret, identityKey: h.identityKey, state: new StateStore(home), keystore,
    secrets: () => new FrostSecretStore(home, h.identityKey, new SealingKey(PASSPHRASE, TEST_SCRYPT, random)),
  };
}

/** Spends receive addresses 0 and 1 (600,000 + 500,000 sat), pays 1,000,000 to DESTINATION, 99,000 change at 1/0. */
export function frostWithdrawal(template: FrostVaultTemplate, proposer: FixtureKeyholder, now = new Date()): WithdrawalViewParsed {
  const d = template.descriptor;
  const coins = [deriveVaultScript(d, 0, 0), deriveVaultScript(d, 0, 1)];
  const funding = fundingTxPaying([{ script: coins[0]!.scriptPubKey, amount: 600_000n }, { script: coins[1]!.scriptPubKey, amount: 500_000n }], random(32));
  const psbt = buildWithdrawalPsbt({
    network: 'regtest',
    inputs: coins.map((script, vout) => ({ txid: funding.txid, vout, prevTxHex: funding.hex, script })),
    outputs: [{ address: DESTINATION, amount: 1_000_000n }],
    change: { script: deriveVaultScript(d, 1, 0), amount: 99_000n },
    globalXpubs: vaultGlobalXpubs(d),
    locktime: 0,
  });
  const intent: WithdrawalIntent = {
    vaultId: template.vaultId, network: 'regtest', requestId: randomUUID(), outputs: [{ address: DESTINATION, amount: '1000000' }],
    feeRate: '6', maxFee: '5000', memo: '', expiresAt: new Date(now.getTime() + 86_400_000).toISOString(), policyHash: policyHash(DEFAULT_POLICY),
  };
  const stamp = now.toISOString();
  return {
    id: randomUUID(), vaultId: template.vaultId, state: 'signing', requestId: intent.requestId, intent, intentHash: intentHash(intent),
    proposal: signEnvelope('withdrawal.propose', intent, proposer.secret, { now, randomBytes: random }), proposedBy: proposer.identityKey,
    psbt, unsignedTxid: inspectPsbt(psbt, descriptorOracle(d), 'regtest').unsignedTxid, fee: '1000', approvals: [], signatures: [],
    txid: null, txHex: null, createdAt: stamp, updatedAt: stamp,
  };
}

interface StoredCommitment { identityKey: string; commitmentId: string; envelope: Envelope<FrostCommitBody>; sessionId: string | null }
interface Session { id: string; signers: string[]; state: 'signing' | 'complete' | 'failed'; shares: Map<string, FrostShareBody>; failure: FrostSessionView['failure'] }
interface Input { child: FrostChildPublic; sighash: Uint8Array }

/** The coordinator's side of the signing rounds for one withdrawal, in memory. */
export class FakeFrostSigningCoordinator {
  readonly commitments: StoredCommitment[] = [];
  readonly sessions: Session[] = [];
  /** Every POST body received, in order (to look for secrets). */
  readonly received: unknown[] = [];
  /** One 64-byte BIP340 signature per input once complete. */
  signatures: Uint8Array[] | null = null;
  /** Rewrites the view served to a keyholder (a lying coordinator). */
  tamperView: ((view: FrostSigningView, identityKey: string) => FrostSigningView) | undefined;
  /** Called with each share statement before it is processed (to look at the signer's disk at that moment). */
  onShare: ((envelope: Envelope<FrostShareBody>) => void) | undefined;
  private readonly inputs: Input[];

  constructor(readonly withdrawal: WithdrawalViewParsed, readonly participants: string[], readonly threshold: number, template: FrostVaultTemplate) {
    const holder = template.holders[0]!;
    const share = loadFrostShare(holder.secrets(), holder.state.read(), template.vaultId);
    share.wipe();
    const summary = inspectPsbt(withdrawal.psbt, descriptorOracle(template.descriptor), 'regtest');
    const sighashes = taprootKeySpendSighashes(withdrawal.psbt);
    this.inputs = summary.inputs.map((input, i) => ({ child: childPublicPackage(share.key, share.chainCode, input.vault!.change, input.vault!.index), sighash: sighashes[i]! }));
  }

  client(identityKey: string): CoordinatorClient {
    const base = `/api/v1/withdrawals/${this.withdrawal.id}`;
    const answer = <S extends z.ZodType>(schema: S, value: unknown): z.infer<S> => schema.parse(JSON.parse(JSON.stringify(value)));
    return {
      get: async <S extends z.ZodType>(path: string, schema: S) => {
        if (path === base) return answer(schema, this.withdrawal);
        if (path === `${base}/frost`) return answer(schema, this.viewFor(identityKey));
        throw new ConclaveError('NOT_FOUND', `fake coordinator: no route GET ${path}`);
      },
      post: async <S extends z.ZodType>(path: string, body: unknown, schema: S) => {
        this.received.push(JSON.parse(JSON.stringify(body)));
        if (path === `${base}/frost/commitments`) this.commit(body);
        else {
          const match = new RegExp(`^${base}/frost/sessions/([0-9a-f-]{36})/shares$`).exec(path);
          if (match === null) throw new ConclaveError('NOT_FOUND', `fake coordinator: no route POST ${path}`);
          this.share(match[1]!, body);
        }
        return { status: 200, data: answer(schema, this.viewFor(identityKey)) };
      },
    } as unknown as CoordinatorClient;
  }

  view(): FrostSigningView {
    return {
      withdrawalId: this.withdrawal.id,
      waiting: this.unused().map((c) => c.identityKey),
      sessions: this.sessions.map((s) => ({
        sessionId: s.id, withdrawalId: this.withdrawal.id, state: s.state, signers: s.signers,
        commits: s.signers.map((k) => this.commitments.find((c) => c.sessionId === s.id && c.identityKey === k)!.envelope),
        sharesFrom: s.signers.filter((k) => s.shares.has(k)), failure: s.failure, createdAt: new Date().toISOString(),
      })),
    };
  }

  running(): Session | undefined {
    return this.sessions.find((s) => s.state === 'signing');
  }

  /** The running session waited too long: failed, and a new one forms from unused commitments. */
  timeOut(): void {
    const s = this.running();
    if (!s) return;
    s.state = 'failed';
    s.failure = { code: 'FROST_SESSION_TIMEOUT', message: 'timed out', identityKey: null };
    this.advance();
  }

  private viewFor(identityKey: string): FrostSigningView {
    const view = this.view();
    return this.tamperView ? this.tamperView(view, identityKey) : view;
  }

  private commit(input: unknown): void {
    const envelope = verifyEnvelope<FrostCommitBody>(input, { now: new Date(), expectedType: FROST_SIGN_MESSAGE_TYPES.commit, checkTime: false });
    const w = this.withdrawal;
    if (w.state !== 'signing') throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal is ${w.state}`);
    const { body } = checkCommitStatement(envelope, { withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, inputCount: this.inputs.length }, 'envelope');
    if (!this.participants.includes(envelope.signer)) throw new ConclaveError('NOT_A_MEMBER', 'not a keyholder');
    const same = this.commitments.find((c) => c.commitmentId === body.commitmentId);
    if (same) {
      if (same.sessionId === null && same.identityKey === envelope.signer && canonicalJson(same.envelope.body) === canonicalJson(body)) return;
      throw new ConclaveError('FROST_COMMITMENT_INVALID', `commitment ${body.commitmentId} was already used or sent with other content`);
    }
    if (this.unused().some((c) => c.identityKey === envelope.signer)) throw new ConclaveError('FROST_COMMITMENT_PENDING', 'an unused commitment of this keyholder waits');
    this.commitments.push({ identityKey: envelope.signer, commitmentId: body.commitmentId, envelope, sessionId: null });
    this.advance();
  }

  private share(sessionId: string, input: unknown): void {
    const envelope = verifyEnvelope<FrostShareBody>(input, { now: new Date(), expectedType: FROST_SIGN_MESSAGE_TYPES.share, checkTime: false });
    this.onShare?.(envelope);
    const session = this.sessions.find((s) => s.id === sessionId);
    if (!session) throw new ConclaveError('FROST_SESSION_NOT_FOUND', `no session ${sessionId}`);
    if (!session.signers.includes(envelope.signer)) throw new ConclaveError('FROST_NOT_IN_SESSION', 'not in the set');
    if (session.state !== 'signing') throw new ConclaveError('FROST_SESSION_CLOSED', `session is ${session.state}`);
    if (session.shares.has(envelope.signer)) return;
    const commits = this.commitments.filter((c) => c.sessionId === sessionId).sort((a, b) => this.participants.indexOf(a.identityKey) - this.participants.indexOf(b.identityKey));
    const mine = commits.find((c) => c.identityKey === envelope.signer)!;
    if (envelope.body.commitmentId !== mine.commitmentId) throw new ConclaveError('FROST_SESSION_INVALID', 'another commitment');
    const lists = this.lists(commits);
    const id = participantIdentifier(this.participants.indexOf(envelope.signer));
    const ok = envelope.body.shares.length === this.inputs.length && envelope.body.shares.every((s, i) => verifyShare(this.inputs[i]!.child.public, lists[i]!, this.inputs[i]!.sighash, id, decodeSignatureShare(s.share)));
    if (!ok) {
      session.state = 'failed';
      session.failure = { code: 'FROST_SHARE_INVALID', message: 'share does not verify', identityKey: envelope.signer };
      this.advance();
      throw new ConclaveError('FROST_SHARE_INVALID', `keyholder ${envelope.signer}: share does not verify`);
    }
    session.shares.set(envelope.signer, envelope.body);
    if (session.shares.size < session.signers.length) return;
    this.signatures = this.inputs.map((input, i) => {
      const shares: Record<string, Uint8Array> = {};
      for (const c of commits) shares[participantIdentifier(this.participants.indexOf(c.identityKey))] = decodeSignatureShare(session.shares.get(c.identityKey)!.shares[i]!.share);
      return aggregateSignature(input.child.public, lists[i]!, input.sighash, shares, input.child.outputKey);
    });
    session.state = 'complete';
    this.withdrawal.state = 'exported';
  }

  private lists(commits: StoredCommitment[]) {
    return commitmentLists(commits.map((c) => ({ identityKey: c.identityKey, body: c.envelope.body })), { participants: this.participants, threshold: this.threshold }, this.inputs.length);
  }

  private unused(): StoredCommitment[] {
    return this.commitments.filter((c) => c.sessionId === null);
  }

  private advance(): void {
    if (this.running() || this.withdrawal.state !== 'signing') return;
    const set = this.unused().slice(0, this.threshold);
    if (set.length < this.threshold) return;
    const id = randomUUID();
    for (const c of set) c.sessionId = id;
    const signers = set.map((c) => c.identityKey).sort((a, b) => this.participants.indexOf(a) - this.participants.indexOf(b));
    this.sessions.push({ id, signers, state: 'signing', shares: new Map(), failure: null });
  }

  /** Output key of input i, x-only: what its signature must verify under. */
  outputKey(i: number): Uint8Array {
    return this.inputs[i]!.child.outputKey;
  }

  sighash(i: number): Uint8Array {
    return this.inputs[i]!.sighash;
  }
}
