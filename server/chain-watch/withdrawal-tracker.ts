/**
 * Broadcast withdrawals followed to the configured depth: `broadcast -> confirmed` once their
 * transaction is CONCLAVE_MIN_CONFIRMATIONS deep, and followed further (to FOLLOW_DEPTH) so that
 * a reorg which takes a confirmed transaction out moves the withdrawal back to `broadcast`; if
 * the transaction left the mempool too, it is sent again (the same approved transaction, through
 * the outbox). Each state change is an audit event and a push. A transaction a fee bump
 * replaced may be mined instead of the current one: replaced-transaction-watch.ts settles the
 * withdrawal on it, and while it is in a block the current transaction is neither followed nor
 * sent again (it can never confirm).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { ChainBackend, ChainTip } from '../chain/chain-backend';
import { CHAIN_BACKEND } from '../chain/chain-factory';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { SignerHub } from '../events/signer-hub';
import { WithdrawalsRepository } from '../withdrawals/withdrawals.repository';
import type { ChainBroadcastEntity } from './chain-broadcast.entity';
import { type ChainSighting, FOLLOW_DEPTH, depthAt, locateTransaction } from './chain-sighting';
import { ChainWatchRepository } from './chain-watch.repository';
import { ReplacedTransactionWatch } from './replaced-transaction-watch';
import { WithdrawalBroadcaster } from './withdrawal-broadcaster';

export interface TrackedChange {
  withdrawalId: string;
  txid: string;
  change: 'confirmed' | 'unconfirmed' | 'in-block' | 'left-block' | 'resent' | 'replaced-confirmed';
}

@Injectable()
export class WithdrawalTracker {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CHAIN_BACKEND) private readonly backend: ChainBackend | null,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly hub: SignerHub,
    private readonly repo: ChainWatchRepository,
    private readonly broadcaster: WithdrawalBroadcaster,
    private readonly replaced: ReplacedTransactionWatch,
    private readonly clock: Clock,
  ) {}

  async pass(tip: ChainTip): Promise<TrackedChange[]> {
    const backend = this.backend;
    if (!backend) return [];
    const changes: TrackedChange[] = [];
    const minedReplaced = await this.replaced.mined(tip);
    for (const row of await this.repo.acceptedBroadcasts()) {
      // Buried deep enough: no reorg is expected to reach it any more.
      if (row.blockHeight !== null && depthAt(tip, row.blockHeight) >= FOLLOW_DEPTH) continue;
      // A replaced transaction holds its coins: this one is gone for good unless a reorg undoes that.
      if (minedReplaced.has(row.withdrawalId)) continue;
      const withdrawal = await this.withdrawals.find(row.withdrawalId);
      // A fee bump in progress (back to approval or signing) re-enqueues its own transaction.
      if (withdrawal.txid !== row.txid || !['broadcast', 'confirmed'].includes(withdrawal.state)) continue;
      const sighting = await locateTransaction(backend, tip, row.txid, row.blockHash);
      const change = await this.apply(row, tip, sighting);
      if (change) changes.push({ withdrawalId: row.withdrawalId, txid: row.txid, change });
    }
    for (const mined of minedReplaced.values()) {
      if (await this.replaced.settle(mined, tip)) changes.push({ withdrawalId: mined.replaced.withdrawalId, txid: mined.replaced.txid!, change: 'replaced-confirmed' });
    }
    return changes;
  }

  private apply(row: ChainBroadcastEntity, tip: ChainTip, sighting: ChainSighting): Promise<TrackedChange['change'] | null> {
    const now = this.clock.now().toISOString();
    return this.tx.run(async (manager) => {
      const withdrawal = await this.withdrawals.find(row.withdrawalId, manager, true);
      const outbox = await this.repo.outbox(manager, row.withdrawalId, true);
      if (!outbox || outbox.txid !== row.txid || outbox.state !== 'accepted' || withdrawal.txid !== row.txid) return null;
      const push = (state: 'broadcast' | 'confirmed') => this.hub.publishToVault(manager, withdrawal.vaultId, { kind: 'withdrawal.state', vaultId: withdrawal.vaultId, withdrawalId: withdrawal.id, state });
      if (sighting.where === 'block') {
        const moved = outbox.blockHash !== sighting.blockHash;
        if (moved) await this.repo.saveOutbox(manager, { ...outbox, blockHash: sighting.blockHash, blockHeight: sighting.height, updatedAt: now });
        if (withdrawal.state === 'broadcast' && depthAt(tip, sighting.height) >= this.config.chainWatch.minConfirmations) {
          await this.withdrawals.transition(manager, withdrawal.id, 'broadcast', 'confirmed', now);
          await this.audit.append(manager, {
            kind: 'withdrawal.confirmed', subject: withdrawal.id,
            payload: { txid: row.txid, blockHash: sighting.blockHash, blockHeight: sighting.height, confirmations: depthAt(tip, sighting.height) },
          });
          await push('confirmed');
          return 'confirmed';
        }
        return moved ? 'in-block' : null;
      }
      const wasConfirmed = withdrawal.state === 'confirmed';
      if (wasConfirmed) {
        await this.withdrawals.transition(manager, withdrawal.id, 'confirmed', 'broadcast', now);
        await this.audit.append(manager, {
          kind: 'withdrawal.unconfirmed', subject: withdrawal.id,
          payload: { txid: row.txid, previousBlock: outbox.blockHash, now: sighting.where, resend: sighting.where === 'gone' },
        });
        await push('broadcast');
      }
      if (sighting.where === 'gone') {
        await this.broadcaster.requeue(manager, outbox, now);
        return wasConfirmed ? 'unconfirmed' : 'resent';
      }
      if (outbox.blockHash !== null) await this.repo.saveOutbox(manager, { ...outbox, blockHash: null, blockHeight: null, updatedAt: now });
      return wasConfirmed ? 'unconfirmed' : outbox.blockHash !== null ? 'left-block' : null;
    });
  }
}
