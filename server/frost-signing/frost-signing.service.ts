/**
 * The coordinator's relay of FROST signing rounds for a Taproot vault's withdrawal (RFC 9591
 * section 5, BIP340 ciphersuite; wire contract in protocol/frost/signing-api.ts). The
 * withdrawal has gone through the same proposal, approvals and `signing` state as a multisig
 * one; here its keyholders sign it:
 *
 *   round 1   each keyholder sends signed nonce commitments (one pair per input). Once t
 *             keyholders have unused ones and no session is running, the first t by arrival
 *             form a session, in FROST identifier order, and are told (`frost.session`).
 *   round 2   each of them sends a signed share per input; every share is verified against
 *             the input's child key and BIP341 sighash before it counts. An invalid share fails
 *             the session naming its keyholder, who signs in no later session of the withdrawal;
 *             the others' unused commitments form a new session at once, or keyholders are told
 *             to commit again (`frost.retry`). With every share in, the shares are aggregated
 *             per input, checked under the spent output's key, and the withdrawal ends as every
 *             withdrawal does (WithdrawalFinalizer).
 *
 * A session that waits longer than CONCLAVE_FROST_SESSION_TIMEOUT_SECONDS is failed (no one
 * named) at the next commitment or sweep, so a crashed signer cannot stall a withdrawal.
 * Every step holds the withdrawal's row lock (PostgreSQL; SQLite runs one transaction at a
 * time): two sessions never open at once and a withdrawal is finalized once. The coordinator
 * never sees a nonce or a share of a key, only commitments and signature shares.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { canonicalJson } from '../../protocol/canonical-json';
import type { Envelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import {
  FROST_SIGN_MESSAGE_TYPES, type FrostCommitBody, type FrostSessionView, type FrostShareBody, type FrostSigningView, type FrostWithdrawalRef,
  aggregateSignature, checkCommitStatement, commitmentLists, decodeCommitments, decodeSignatureShare, frostCommitBodySchema,
  frostShareBodySchema, participantIdentifier, verifyShare,
} from '../../protocol/frost';
import type { NetworkName } from '../../protocol/network';
import { finalizeTaprootKeySpend, inspectPsbt, taprootKeySpendSighashes } from '../../protocol/psbt';
import { AuditService } from '../audit/audit.service';
import { Clock, Random } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { PeriodicSweep } from '../common/periodic-sweep';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { SignerHub } from '../events/signer-hub';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { WithdrawalFinalizer } from '../signing/withdrawal-finalizer';
import { VaultScripts } from '../vaults/vault-scripts';
import type { VaultEntity } from '../vaults/vault.entity';
import { VaultsRepository } from '../vaults/vaults.repository';
import type { WithdrawalEntity } from '../withdrawals/withdrawal.entity';
import { WithdrawalsRepository } from '../withdrawals/withdrawals.repository';
import type { FrostCommitmentEntity } from './frost-commitment.entity';
import type { FrostSessionEntity } from './frost-session.entity';
import { FrostSigningRepository } from './frost-signing.repository';
import { type FrostVaultKey, FrostVaultKeys } from './frost-vault-keys';
import { chooseSigningSet } from './signing-set';

/** What each input of the withdrawal's transaction is signed for: the address it spends and its BIP341 digest. */
interface SigningInput { change: 0 | 1; index: number; outputKey: Uint8Array; sighash: Uint8Array }

interface Context { withdrawal: WithdrawalEntity; vault: VaultEntity; key: FrostVaultKey; inputs: SigningInput[] }

const SIGNING_DATA_CACHE_LIMIT = 256;

@Injectable()
export class FrostSigningService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('FrostSigning');
  private readonly sessionSweep = new PeriodicSweep('FROST session sweep', this.logger, () => this.sweep());
  /** Per withdrawal transaction (id and unsigned txid: a fee bump makes another one). */
  private readonly signingData = new Map<string, SigningInput[]>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly scripts: VaultScripts,
    private readonly keys: FrostVaultKeys,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly repo: FrostSigningRepository,
    private readonly finalizer: WithdrawalFinalizer,
    private readonly hub: SignerHub,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = Math.min(this.config.expirySweepSeconds, this.config.frostSessionTimeoutSeconds);
    this.sessionSweep.start(seconds);
  }

  onApplicationShutdown(): void {
    this.sessionSweep.stop();
  }

  /** Round 1: a keyholder's signed commitments; opens a session when t keyholders are waiting. */
  async commit(withdrawalId: string, input: unknown): Promise<FrostSigningView> {
    await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<FrostCommitBody>(manager, input, FROST_SIGN_MESSAGE_TYPES.commit);
      const body = parseWith(frostCommitBodySchema, envelope.body, 'envelope.body');
      if (body.withdrawalId !== withdrawalId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.withdrawalId: does not match the route');
      const ctx = await this.context(manager, withdrawalId);
      const participantIndex = await this.keyholderIndex(manager, ctx, envelope.signer);
      this.requireSigning(ctx.withdrawal);
      checkCommitStatement(envelope, this.ref(ctx), 'envelope');
      body.inputs.forEach((c, i) => decodeCommitments({ identifier: participantIdentifier(participantIndex), hiding: c.hiding, binding: c.binding }, `envelope.body.inputs[${i}]`));
      const sessions = await this.repo.sessions(manager, withdrawalId);
      if (excludedKeyholders(sessions).has(envelope.signer)) {
        throw new ConclaveError('FROST_SIGNER_EXCLUDED', `withdrawal ${withdrawalId}: keyholder ${envelope.signer} sent an invalid share and signs in none of its further sessions`, { identityKey: envelope.signer });
      }
      const own = (await this.repo.commitments(manager, withdrawalId)).filter((c) => c.identityKey === envelope.signer);
      const same = own.find((c) => c.commitmentId === body.commitmentId);
      if (same) {
        // The same nonces sent again (a lost answer): nothing changes. Nonces once used never sign again.
        if (same.sessionId === null && canonicalJson(parseEnvelope(same).body) === canonicalJson(body)) return;
        throw new ConclaveError('FROST_COMMITMENT_INVALID', `envelope.body.commitmentId: ${body.commitmentId} was already ${same.sessionId === null ? 'sent with other commitments' : 'used in a session'}; commit fresh nonces under a new id`);
      }
      const pending = own.find((c) => c.sessionId === null && c.unsignedTxid === ctx.withdrawal.unsignedTxid);
      if (pending) {
        throw new ConclaveError('FROST_COMMITMENT_PENDING', `withdrawal ${withdrawalId}: commitment ${pending.commitmentId} of this keyholder still waits for a session; it is used first`, { commitmentId: pending.commitmentId });
      }
      const now = this.clock.now();
      await this.repo.insertCommitment(manager, {
        withdrawalId, identityKey: envelope.signer, commitmentId: body.commitmentId, unsignedTxid: body.unsignedTxid, participantIndex,
        envelope: canonicalJson(envelope), sessionId: null, createdAt: now.toISOString(),
      });
      await this.audit.append(manager, { kind: 'frost.commitment.received', actor: envelope.signer, subject: withdrawalId, payload: { commitmentId: body.commitmentId }, evidence: envelope });
      await this.advance(manager, ctx, sessions, now, false);
    });
    return this.view(withdrawalId);
  }

  /** Round 2: a signer's shares for its session; a bad one fails the session and is named. */
  async share(withdrawalId: string, sessionId: string, input: unknown): Promise<FrostSigningView> {
    const failure = await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<FrostShareBody>(manager, input, FROST_SIGN_MESSAGE_TYPES.share);
      const body = parseWith(frostShareBodySchema, envelope.body, 'envelope.body');
      if (body.withdrawalId !== withdrawalId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.withdrawalId: does not match the route');
      if (body.sessionId !== sessionId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.sessionId: does not match the route');
      const ctx = await this.context(manager, withdrawalId);
      const session = await this.repo.session(manager, sessionId);
      if (!session || session.withdrawalId !== withdrawalId) throw new ConclaveError('FROST_SESSION_NOT_FOUND', `withdrawal ${withdrawalId}: no FROST session ${sessionId}`);
      const signers = JSON.parse(session.signers) as string[];
      if (!signers.includes(envelope.signer)) throw new ConclaveError('FROST_NOT_IN_SESSION', `session ${sessionId}: keyholder ${envelope.signer} is not in its signing set`);
      this.requireSigning(ctx.withdrawal);
      if (session.state !== 'signing') {
        throw new ConclaveError('FROST_SESSION_CLOSED', `session ${sessionId}: is ${session.state}${session.failureCode ? ` (${session.failureCode})` : ''}; commit fresh nonces for a new session`);
      }
      const shares = await this.repo.shares(manager, withdrawalId);
      // Its shares are in already (a lost answer): nothing changes.
      if (shares.some((s) => s.sessionId === sessionId && s.identityKey === envelope.signer)) return null;
      if (body.intentHash !== ctx.withdrawal.intentHash) throw new ConclaveError('PSBT_MISMATCH', 'envelope.body.intentHash: shares are for another intent');
      if (body.unsignedTxid !== ctx.withdrawal.unsignedTxid) throw new ConclaveError('PSBT_MISMATCH', 'envelope.body.unsignedTxid: shares are for another transaction');
      const commits = (await this.repo.commitments(manager, withdrawalId)).filter((c) => c.sessionId === sessionId).sort((a, b) => a.participantIndex - b.participantIndex);
      const mine = commits.find((c) => c.identityKey === envelope.signer)!;
      if (body.commitmentId !== mine.commitmentId) {
        throw new ConclaveError('FROST_SESSION_INVALID', `envelope.body.commitmentId: this keyholder signs session ${sessionId} with commitment ${mine.commitmentId}, not ${body.commitmentId}`);
      }
      if (body.shares.length !== ctx.inputs.length || body.shares.some((s, i) => s.input !== i)) {
        throw new ConclaveError('VALIDATION_FAILED', `envelope.body.shares: one share per input, for inputs 0..${ctx.inputs.length - 1} in order`);
      }
      const lists = commitmentLists(commits.map((c) => ({ identityKey: c.identityKey, body: parseEnvelope(c).body })), ctx.key.group, ctx.inputs.length);
      const identifier = participantIdentifier(mine.participantIndex);
      const bad = body.shares.flatMap((s, i) => {
        const share = decodedShare(s.share);
        const { public: pub } = ctx.key.child(ctx.inputs[i]!.change, ctx.inputs[i]!.index);
        return share !== null && verifyShare(pub, lists[i]!, ctx.inputs[i]!.sighash, identifier, share) ? [] : [i];
      });
      const now = this.clock.now();
      await this.repo.insertShare(manager, {
        sessionId, identityKey: envelope.signer, withdrawalId, valid: bad.length === 0, envelope: canonicalJson(envelope), createdAt: now.toISOString(),
      });
      const received = shares.filter((s) => s.sessionId === sessionId && s.valid).length + (bad.length === 0 ? 1 : 0);
      await this.audit.append(manager, {
        kind: 'frost.share.received', actor: envelope.signer, subject: withdrawalId,
        payload: { sessionId, valid: bad.length === 0, count: received, of: signers.length }, evidence: envelope,
      });
      if (bad.length > 0) {
        const message = `keyholder ${envelope.signer}: the signature share for input${bad.length > 1 ? 's' : ''} ${bad.join(', ')} does not verify; it signs in no further session of this withdrawal`;
        await this.failSession(manager, ctx, session, 'FROST_SHARE_INVALID', message, envelope.signer, now);
        return { sessionId, identityKey: envelope.signer, inputs: bad, message };
      }
      if (received === signers.length) {
        const bodies = new Map(shares.filter((s) => s.sessionId === sessionId && s.valid).map((s) => [s.identityKey, (JSON.parse(s.envelope) as Envelope<FrostShareBody>).body]));
        bodies.set(envelope.signer, body);
        await this.complete(manager, ctx, session, commits, lists, bodies, now);
      }
      return null;
    });
    if (failure !== null) {
      // Committed: the session is failed and the keyholder named, for everyone to see.
      throw new ConclaveError('FROST_SHARE_INVALID', `session ${failure.sessionId}: ${failure.message}`, { sessionId: failure.sessionId, identityKey: failure.identityKey, inputs: failure.inputs });
    }
    return this.view(withdrawalId);
  }

  async view(withdrawalId: string): Promise<FrostSigningView> {
    const manager = this.dataSource.manager;
    const withdrawal = await this.withdrawals.find(withdrawalId, manager);
    // VAULT_KIND_UNSUPPORTED for a multisig vault's withdrawal.
    await this.keys.of(manager, await this.vaults.find(withdrawal.vaultId, manager));
    const commitments = await this.repo.commitments(manager, withdrawalId);
    const sessions = await this.repo.sessions(manager, withdrawalId);
    const shares = await this.repo.shares(manager, withdrawalId);
    const excluded = excludedKeyholders(sessions);
    const views = sessions.map((s): FrostSessionView => {
      const signers = JSON.parse(s.signers) as string[];
      const commits = commitments.filter((c) => c.sessionId === s.id).sort((a, b) => a.participantIndex - b.participantIndex);
      const from = new Set(shares.filter((sh) => sh.sessionId === s.id).map((sh) => sh.identityKey));
      return {
        sessionId: s.id, withdrawalId, state: s.state, signers, commits: commits.map(parseEnvelope),
        sharesFrom: signers.filter((k) => from.has(k)),
        failure: s.failureCode === null ? null : { code: s.failureCode, message: s.failureMessage ?? '', identityKey: s.failureIdentityKey },
        createdAt: s.createdAt,
      };
    });
    const waiting = usableCommitments(commitments, withdrawal, excluded).map((c) => c.identityKey);
    return { withdrawalId, waiting, sessions: views };
  }

  /** Fails every session that has waited longer than the time-out; returns their ids. */
  async sweep(): Promise<string[]> {
    const cutoff = this.clock.now().getTime() - this.config.frostSessionTimeoutSeconds * 1000;
    const due = (await this.repo.openSessions(this.dataSource.manager)).filter((s) => Date.parse(s.createdAt) <= cutoff);
    const failed: string[] = [];
    for (const s of due) {
      const ended = await this.tx.run(async (manager) => {
        const ctx = await this.context(manager, s.withdrawalId);
        const sessions = await this.repo.sessions(manager, s.withdrawalId);
        const current = sessions.find((x) => x.id === s.id);
        if (current?.state !== 'signing') return false;
        return this.advance(manager, ctx, sessions, this.clock.now(), false);
      });
      if (ended) failed.push(s.id);
    }
    return failed;
  }

  // ---- steps inside a transaction ----

  /** The withdrawal (row locked), its FROST vault, key and per-input signing data. */
  private async context(manager: EntityManager, withdrawalId: string): Promise<Context> {
    const withdrawal = await this.withdrawals.find(withdrawalId, manager, true);
    const vault = await this.vaults.find(withdrawal.vaultId, manager);
    const key = await this.keys.of(manager, vault);
    return { withdrawal, vault, key, inputs: this.inputsOf(withdrawal, vault) };
  }

  private inputsOf(withdrawal: WithdrawalEntity, vault: VaultEntity): SigningInput[] {
    const cacheKey = `${withdrawal.id}:${withdrawal.unsignedTxid}`;
    let inputs = this.signingData.get(cacheKey);
    if (inputs === undefined) {
      const summary = inspectPsbt(withdrawal.psbt, this.scripts.oracle(vault), vault.network as NetworkName);
      const sighashes = taprootKeySpendSighashes(withdrawal.psbt);
      inputs = summary.inputs.map((input, i) => {
        const script = input.vault && this.scripts.derive(vault, input.vault.change, input.vault.index);
        if (!script || script.kind !== 'tr-frost') throw new ConclaveError('PSBT_MISMATCH', `psbt/input[${i}]: spends no address of this FROST vault`);
        return { change: script.change, index: script.index, outputKey: script.outputKey, sighash: sighashes[i]! };
      });
      if (this.signingData.size >= SIGNING_DATA_CACHE_LIMIT) this.signingData.delete(this.signingData.keys().next().value as string);
      this.signingData.set(cacheKey, inputs);
    }
    return inputs;
  }

  private ref(ctx: Context): FrostWithdrawalRef {
    const { withdrawal } = ctx;
    return { withdrawalId: withdrawal.id, vaultId: withdrawal.vaultId, intentHash: withdrawal.intentHash, unsignedTxid: withdrawal.unsignedTxid, inputCount: ctx.inputs.length };
  }

  private requireSigning(withdrawal: WithdrawalEntity): void {
    if (withdrawal.state !== 'signing') throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawal.id}: is ${withdrawal.state}, not signing`);
  }

  /** The keyholder's index in the DKG params (FROST identifier index + 1); NOT_A_MEMBER otherwise. */
  private async keyholderIndex(manager: EntityManager, ctx: Context, identityKey: string): Promise<number> {
    const index = ctx.key.indexOf(identityKey);
    if (index < 0 || !(await this.vaults.isMember(manager, ctx.vault.id, identityKey))) {
      throw new ConclaveError('NOT_A_MEMBER', `${identityKey}: not a keyholder of vault ${ctx.vault.id}`);
    }
    return index;
  }

  /**
   * Times out the running session if it has waited too long (or closes it when a fee bump
   * replaced the transaction it signs), then opens a session if none runs
   * and t keyholders are waiting; when a session ended and none could form, tells keyholders to
   * commit again. Returns whether a session timed out.
   */
  private async advance(manager: EntityManager, ctx: Context, sessions: FrostSessionEntity[], now: Date, ended: boolean): Promise<boolean> {
    const { withdrawal, vault } = ctx;
    let retry = ended;
    let timedOut = false;
    const commitments = await this.repo.commitments(manager, withdrawal.id);
    const running = sessions.find((s) => s.state === 'signing');
    if (running) {
      // A fee bump replaced the transaction the session signs: its shares could never finalize this one.
      const stale = commitments.some((c) => c.sessionId === running.id && c.unsignedTxid !== withdrawal.unsignedTxid);
      const waited = now.getTime() - Date.parse(running.createdAt);
      if (!stale && waited < this.config.frostSessionTimeoutSeconds * 1000) return false;
      if (stale) {
        await this.endSession(manager, running, 'FROST_SESSION_CLOSED', `the withdrawal's transaction is now ${withdrawal.unsignedTxid}; keyholders commit fresh nonces for it`, null, now);
      } else {
        const signers = JSON.parse(running.signers) as string[];
        const from = new Set((await this.repo.shares(manager, withdrawal.id)).filter((s) => s.sessionId === running.id).map((s) => s.identityKey));
        const silent = signers.filter((k) => !from.has(k));
        await this.endSession(manager, running, 'FROST_SESSION_TIMEOUT',
          `no shares from ${silent.join(', ')} within ${this.config.frostSessionTimeoutSeconds} s; keyholders commit fresh nonces for a new session`, null, now);
        timedOut = true;
      }
      retry = true;
    }
    // A withdrawal that ended meanwhile (cancelled, expired) gets no new session.
    if (withdrawal.state !== 'signing') return timedOut;
    const excluded = excludedKeyholders(sessions);
    const set = chooseSigningSet(usableCommitments(commitments, withdrawal, excluded), ctx.key.group.threshold, excluded);
    if (set === null) {
      if (retry) await this.hub.publishToVault(manager, vault.id, { kind: 'frost.retry', vaultId: vault.id, withdrawalId: withdrawal.id });
      return timedOut;
    }
    const sessionId = this.random.uuid();
    const stamp = now.toISOString();
    const signers = set.map((c) => c.identityKey);
    const number = sessions.reduce((max, s) => Math.max(max, s.number), 0) + 1;
    await this.repo.insertSession(manager, {
      id: sessionId, withdrawalId: withdrawal.id, number, state: 'signing', signers: JSON.stringify(signers),
      failureCode: null, failureMessage: null, failureIdentityKey: null, createdAt: stamp, updatedAt: stamp,
    });
    await this.repo.markUsed(manager, set, sessionId);
    await this.audit.append(manager, { kind: 'frost.session.opened', subject: withdrawal.id, payload: { sessionId, signers } });
    await this.hub.publishToVault(manager, vault.id, { kind: 'frost.session', vaultId: vault.id, withdrawalId: withdrawal.id, sessionId });
    return timedOut;
  }

  private async failSession(manager: EntityManager, ctx: Context, session: FrostSessionEntity, code: 'FROST_SHARE_INVALID', message: string, identityKey: string, now: Date): Promise<void> {
    await this.endSession(manager, session, code, message, identityKey, now);
    const sessions = await this.repo.sessions(manager, ctx.withdrawal.id);
    await this.advance(manager, ctx, sessions, now, true);
  }

  private async endSession(manager: EntityManager, session: FrostSessionEntity, code: string, message: string, identityKey: string | null, now: Date): Promise<void> {
    await this.repo.endSession(manager, session.id, { state: 'failed', failureCode: code, failureMessage: message, failureIdentityKey: identityKey, updatedAt: now.toISOString() });
    session.state = 'failed';
    session.failureIdentityKey = identityKey;
    await this.audit.append(manager, { kind: 'frost.session.failed', subject: session.withdrawalId, payload: { sessionId: session.id, code, identityKey } });
  }

  /** Every share is in and valid: one BIP340 signature per input, the transaction finalized. */
  private async complete(
    manager: EntityManager, ctx: Context, session: FrostSessionEntity, commits: FrostCommitmentEntity[],
    lists: ReturnType<typeof commitmentLists>, bodies: Map<string, FrostShareBody>, now: Date,
  ): Promise<void> {
    const signatures = ctx.inputs.map((input, i) => {
      const shares: Record<string, Uint8Array> = {};
      for (const c of commits) shares[participantIdentifier(c.participantIndex)] = decodeSignatureShare(bodies.get(c.identityKey)!.shares[i]!.share);
      // Checked under the key the spent output commits to, not only the package's own.
      return aggregateSignature(ctx.key.child(input.change, input.index).public, lists[i]!, input.sighash, shares, input.outputKey);
    });
    const final = finalizeTaprootKeySpend(ctx.withdrawal.psbt, signatures);
    await this.repo.endSession(manager, session.id, { state: 'complete', failureCode: null, failureMessage: null, failureIdentityKey: null, updatedAt: now.toISOString() });
    await this.finalizer.finalize(manager, ctx.withdrawal, final, commits.map((c) => c.identityKey), now.toISOString());
  }
}

function parseEnvelope(c: FrostCommitmentEntity): Envelope<FrostCommitBody> {
  return JSON.parse(c.envelope) as Envelope<FrostCommitBody>;
}

/** Keyholders named for an invalid share in a failed session of the withdrawal. */
function excludedKeyholders(sessions: readonly FrostSessionEntity[]): Set<string> {
  return new Set(sessions.flatMap((s) => (s.state === 'failed' && s.failureIdentityKey !== null ? [s.failureIdentityKey] : [])));
}

/** Unused commitments for the withdrawal's current transaction, by keyholders not excluded. */
function usableCommitments(commitments: readonly FrostCommitmentEntity[], withdrawal: WithdrawalEntity, excluded: ReadonlySet<string>): FrostCommitmentEntity[] {
  return commitments.filter((c) => c.sessionId === null && c.unsignedTxid === withdrawal.unsignedTxid && !excluded.has(c.identityKey));
}

function decodedShare(hex: string): Uint8Array | null {
  try {
    return decodeSignatureShare(hex);
  } catch {
    return null;
  }
}
