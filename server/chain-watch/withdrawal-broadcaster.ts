/**
 * Sending finalized withdrawals with a chain backend. The finalizer writes an outbox row in the
 * transaction that made the withdrawal `signed` (enqueue); this service then checks the
 * transaction against the node's mempool rules (Core testmempoolaccept; Esplora has no such
 * check, so it goes straight to broadcast, whose refusal carries the same kind of reason) and
 * broadcasts it:
 * - accepted: `signed -> broadcast`, its coins spent, an audit event, a push;
 * - refused by the node (TX_REJECTED): the withdrawal stays `signed`, the reason is recorded with
 *   an audit event, and it waits for a member's retry (`rearm`, by POST
 *   /api/v1/withdrawals/:id/broadcast/retry): a refusal may pass later
 *   (fee rate, a conflicting transaction that leaves the mempool), so it is never `failed` here;
 * - the backend unreachable (CHAIN_UNAVAILABLE, time-outs, 5xx): retried with a doubling pause.
 * What is sent is read from the withdrawal row at that moment and must have the outbox's txid:
 * only the approved transaction (or an approved fee-bump replacement, which re-enqueues) can
 * ever go out (invariant 9). After a crash, pending rows are sent on start.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConclaveError } from '../../protocol/errors';
import type { EntityManager } from 'typeorm';
import type { ChainBackend } from '../chain/chain-backend';
import { CHAIN_BACKEND } from '../chain/chain-factory';
import { txidOfInput } from '../chain/chain-values';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { UtxoRepository } from '../deposits/utxo.repository';
import { SignerHub } from '../events/signer-hub';
import type { WithdrawalEntity } from '../withdrawals/withdrawal.entity';
import { WithdrawalsRepository } from '../withdrawals/withdrawals.repository';
import type { ChainBroadcastEntity } from './chain-broadcast.entity';
import { ChainWatchRepository } from './chain-watch.repository';

/** Longest pause between two attempts to reach the backend. */
const MAX_BACKOFF_SECONDS = 3600;

/** testmempoolaccept reasons meaning "the node has it already": broadcasting again is harmless. */
const ALREADY_KNOWN = /^(txn-already-known|txn-already-in-mempool|txn-same-nonwitness-data-in-mempool)\b/;

export type BroadcastOutcome =
  | { withdrawalId: string; outcome: 'accepted'; txid: string; check: 'accepted' | 'unchecked' | 'known' }
  | { withdrawalId: string; outcome: 'rejected'; txid: string; reason: string }
  | { withdrawalId: string; outcome: 'retry'; txid: string; error: string; nextAttemptAt: string }
  | { withdrawalId: string; outcome: 'superseded'; txid: string };

@Injectable()
export class WithdrawalBroadcaster {
  private readonly logger = new Logger('WithdrawalBroadcaster');
  private running: Promise<BroadcastOutcome[]> | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CHAIN_BACKEND) private readonly backend: ChainBackend | null,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly utxos: UtxoRepository,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly hub: SignerHub,
    private readonly repo: ChainWatchRepository,
    private readonly clock: Clock,
  ) {}

  /** True with a chain backend: finalized withdrawals are broadcast rather than exported. */
  get enabled(): boolean {
    return this.backend !== null;
  }

  /**
   * In the finalizer's transaction: the withdrawal (now `signed`, with `txid`) goes into the
   * outbox, to be sent once that transaction has committed. A fee bump's replacement overwrites
   * the row of the transaction it replaces.
   */
  async enqueue(manager: EntityManager, withdrawal: WithdrawalEntity, txid: string, now: string): Promise<void> {
    await this.repo.saveOutbox(manager, {
      withdrawalId: withdrawal.id, vaultId: withdrawal.vaultId, txid, state: 'pending', attempts: 0, nextAttemptAt: now,
      lastError: null, rejectReason: null, blockHash: null, blockHeight: null, updatedAt: now,
    });
    await this.hub.publishToVault(manager, withdrawal.vaultId, { kind: 'withdrawal.state', vaultId: withdrawal.vaultId, withdrawalId: withdrawal.id, state: 'signed' });
    this.tx.afterCommit(manager, `broadcast:${withdrawal.id}`, () => this.kick());
  }

  /**
   * Sends what is due in the background (after a commit; at start with `everything`, which
   * resumes every pending row at once, back-off or not); failures are logged.
   */
  kick(everything = false): void {
    if (this.stopped || !this.backend) return;
    this.runDue(everything ? new Date(8.64e15) : undefined).catch((error: unknown) => this.logger.error({ msg: 'broadcast run failed', error: String(error) }));
  }

  /**
   * Sends every pending row due by `at` (default now), one at a time; one run at a time per
   * process (a second caller waits for the running one and then runs again).
   */
  async runDue(at?: Date): Promise<BroadcastOutcome[]> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.sendDue(at);
    try {
      return await this.running;
    } finally {
      this.running = null;
    }
  }

  /** Stops new runs and waits for the one in flight (shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.running) await this.running.catch(() => undefined);
  }

  /**
   * A retry of a refused broadcast (the withdrawal is still `signed`): the row is due again now.
   * Returns false when there is nothing refused to retry. Members ask for it with a signed
   * statement (broadcast-retry.service.ts), which is audited; this is the same step without one.
   */
  async retry(withdrawalId: string): Promise<boolean> {
    const now = this.clock.now().toISOString();
    return this.tx.run(async (manager) => {
      const row = await this.repo.outbox(manager, withdrawalId, true);
      if (!row || row.state !== 'rejected') return false;
      await this.rearm(manager, row, now);
      return true;
    });
  }

  /**
   * In the caller's transaction: a refused row is due again now (its back-off forgotten), and is
   * sent once that transaction has committed. The reason it was refused stays until the next
   * outcome replaces it.
   */
  async rearm(manager: EntityManager, row: ChainBroadcastEntity, now: string): Promise<ChainBroadcastEntity> {
    const due: ChainBroadcastEntity = { ...row, state: 'pending', attempts: 0, nextAttemptAt: now, lastError: null, updatedAt: now };
    await this.repo.saveOutbox(manager, due);
    this.tx.afterCommit(manager, `broadcast:${row.withdrawalId}`, () => this.kick());
    return due;
  }

  /** The watcher found a broadcast transaction gone from the node (evicted, or reorganized out): send it again. */
  async requeue(manager: EntityManager, row: ChainBroadcastEntity, now: string): Promise<void> {
    await this.repo.saveOutbox(manager, { ...row, state: 'pending', attempts: 0, nextAttemptAt: now, blockHash: null, blockHeight: null, updatedAt: now });
    this.tx.afterCommit(manager, `broadcast:${row.withdrawalId}`, () => this.kick());
  }

  private async sendDue(at?: Date): Promise<BroadcastOutcome[]> {
    const backend = this.backend;
    if (!backend || this.stopped) return [];
    const outcomes: BroadcastOutcome[] = [];
    for (const row of await this.repo.dueBroadcasts((at ?? this.clock.now()).toISOString())) {
      if (this.stopped) break;
      outcomes.push(await this.send(backend, row));
    }
    return outcomes;
  }

  private async send(backend: ChainBackend, row: ChainBroadcastEntity): Promise<BroadcastOutcome> {
    const withdrawal = await this.withdrawals.find(row.withdrawalId);
    const base = { withdrawalId: row.withdrawalId, txid: row.txid };
    // Only the withdrawal's own final transaction, with the txid the outbox was written for.
    if (withdrawal.txid !== row.txid || withdrawal.txHex === null || !['signed', 'broadcast'].includes(withdrawal.state) || txidOfHex(withdrawal.txHex) !== row.txid) {
      await this.settle(row, { state: 'superseded' });
      return { ...base, outcome: 'superseded' };
    }
    const hex = withdrawal.txHex;
    try {
      let check: 'accepted' | 'unchecked' | 'known' = 'unchecked';
      if (withdrawal.state === 'signed') {
        const tested = await backend.testAccept(hex);
        if (tested.status === 'rejected') {
          if (ALREADY_KNOWN.test(tested.reason)) check = 'known';
          else if (/missingorspent/.test(tested.reason) && await this.onChain(backend, row.txid)) check = 'known';
          else return await this.reject(row, withdrawal, tested.details ?? tested.reason, 'testmempoolaccept');
        } else {
          check = tested.status;
        }
      }
      await backend.broadcast(hex);
      await this.accept(row, withdrawal, check);
      return { ...base, outcome: 'accepted', check };
    } catch (error) {
      if (error instanceof ConclaveError && (error.code === 'TX_REJECTED' || error.code === 'TX_MALFORMED')) {
        const reason = typeof error.details?.reason === 'string' ? error.details.reason : error.message;
        // The coins may be spent by this very transaction, confirmed meanwhile.
        if (/missingorspent/.test(reason) && await this.onChain(backend, row.txid).catch(() => false)) {
          await this.accept(row, withdrawal, 'known');
          return { ...base, outcome: 'accepted', check: 'known' };
        }
        return this.reject(row, withdrawal, reason, 'broadcast');
      }
      const message = error instanceof ConclaveError ? `${error.code}: ${error.message}` : String(error);
      // Cut by our own shutdown: not the backend's failure; the row stays due for the next start.
      if (this.stopped) return { ...base, outcome: 'retry', error: message, nextAttemptAt: row.nextAttemptAt };
      const attempts = row.attempts + 1;
      const pause = Math.min(this.config.chainWatch.broadcastRetrySeconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS);
      const nextAttemptAt = new Date(this.clock.now().getTime() + pause * 1000).toISOString();
      this.logger.warn({ msg: 'broadcast failed; will retry', withdrawalId: row.withdrawalId, txid: row.txid, attempts, nextAttemptAt, error: message });
      await this.settle(row, { attempts, nextAttemptAt, lastError: message });
      return { ...base, outcome: 'retry', error: message, nextAttemptAt };
    }
  }

  private async onChain(backend: ChainBackend, txid: string): Promise<boolean> {
    return (await backend.transaction(txid)) !== null;
  }

  /** Updates the outbox row if it still stands for the same txid (a fee bump may have replaced it meanwhile). */
  private async settle(row: ChainBroadcastEntity, change: Partial<ChainBroadcastEntity>): Promise<void> {
    const now = this.clock.now().toISOString();
    await this.tx.run(async (manager) => {
      const current = await this.repo.outbox(manager, row.withdrawalId, true);
      if (!current || current.txid !== row.txid || current.state !== 'pending') return;
      await this.repo.saveOutbox(manager, { ...current, ...change, updatedAt: now });
    });
  }

  private async accept(row: ChainBroadcastEntity, withdrawal: WithdrawalEntity, check: 'accepted' | 'unchecked' | 'known'): Promise<void> {
    const now = this.clock.now().toISOString();
    await this.tx.run(async (manager) => {
      const current = await this.withdrawals.find(withdrawal.id, manager, true);
      const outbox = await this.repo.outbox(manager, row.withdrawalId, true);
      if (!outbox || outbox.txid !== row.txid || outbox.state !== 'pending' || current.txid !== row.txid) return;
      await this.repo.saveOutbox(manager, { ...outbox, state: 'accepted', lastError: null, rejectReason: null, updatedAt: now });
      if (current.state === 'signed') {
        await this.withdrawals.transition(manager, withdrawal.id, 'signed', 'broadcast', now);
        await this.utxos.markSpent(manager, withdrawal.id);
        await this.audit.append(manager, { kind: 'withdrawal.broadcast', subject: withdrawal.id, payload: { txid: row.txid, backend: this.backend!.kind, check, attempts: outbox.attempts + 1 } });
        await this.hub.publishToVault(manager, withdrawal.vaultId, { kind: 'withdrawal.state', vaultId: withdrawal.vaultId, withdrawalId: withdrawal.id, state: 'broadcast' });
      } else {
        await this.audit.append(manager, { kind: 'withdrawal.rebroadcast', subject: withdrawal.id, payload: { txid: row.txid, backend: this.backend!.kind } });
      }
    });
  }

  private async reject(row: ChainBroadcastEntity, withdrawal: WithdrawalEntity, reason: string, by: 'testmempoolaccept' | 'broadcast'): Promise<BroadcastOutcome> {
    const now = this.clock.now().toISOString();
    const text = reason.slice(0, 500);
    await this.tx.run(async (manager) => {
      const outbox = await this.repo.outbox(manager, row.withdrawalId, true);
      if (!outbox || outbox.txid !== row.txid || outbox.state !== 'pending') return;
      await this.repo.saveOutbox(manager, { ...outbox, state: 'rejected', rejectReason: text, updatedAt: now });
      await this.audit.append(manager, { kind: 'withdrawal.broadcast-rejected', subject: withdrawal.id, payload: { txid: row.txid, backend: this.backend!.kind, by, reason: text } });
    });
    this.logger.warn({ msg: 'the node refused the withdrawal transaction; it stays signed until an operator retries', withdrawalId: row.withdrawalId, txid: row.txid, reason: text });
    return { withdrawalId: row.withdrawalId, txid: row.txid, outcome: 'rejected', reason: text };
  }
}

function txidOfHex(hex: string): string | null {
  try {
    return txidOfInput(hex);
  } catch {
    return null;
  }
}
