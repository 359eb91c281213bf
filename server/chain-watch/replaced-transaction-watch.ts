/**
 * A fee bump keeps the transaction it replaces (withdrawal_transactions) because either may be
 * the one that is mined: a miner may never have seen the replacement, or the replaced one may
 * have been mined before the replacement was even signed. Until the withdrawal is confirmed,
 * whatever its state after the bump (awaiting approval, approved, signing, signed, broadcast),
 * the watcher asks where each replaced transaction is. One in a block of the active chain holds
 * the withdrawal's coins, so the current transaction can never confirm: the tracker stops
 * following (and re-sending) it, and once the replaced one is CONCLAVE_MIN_CONFIRMATIONS deep
 * the withdrawal is settled on it, in one database transaction:
 * - `-> confirmed`, its transaction (unsignedTxid, fee, txid, txHex) the mined one;
 * - the transaction it had is kept among the replaced ones in its place, and the mined one
 *   leaves that list (the list always holds every transaction but the current one, so that if a
 *   reorg takes the mined one out, the other can still be noticed when it is mined instead);
 * - approvals and partial signatures collected for the replacement are dropped: they can never
 *   be used (the audit log keeps them); its coins are marked spent;
 * - the outbox row names the mined txid, accepted, in its block: a send of the replacement in
 *   flight finds another txid there and leaves it alone, and from here on the tracker follows the
 *   mined transaction as any other (a reorg takes the withdrawal back to `broadcast`, and sends
 *   the mined transaction again if it left the mempool; it is an approved one, invariant 9);
 * - a `withdrawal.confirmed` event with `replacedTxConfirmed: true`, both intent hashes and both
 *   txids, and a push.
 * The withdrawal keeps the latest intent its members signed (the replacement's: the same vault,
 * outputs and request, only the fee terms differ); the event says which transaction paid them.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { WithdrawalState } from '../../protocol/api';
import type { ChainBackend, ChainTip } from '../chain/chain-backend';
import { CHAIN_BACKEND } from '../chain/chain-factory';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { UtxoRepository } from '../deposits/utxo.repository';
import { SignerHub } from '../events/signer-hub';
import { PartialSignatureEntity } from '../signing/partial-signature.entity';
import { ApprovalEntity } from '../withdrawals/approval.entity';
import { WithdrawalTransactionEntity } from '../withdrawals/withdrawal-transaction.entity';
import { WithdrawalsRepository } from '../withdrawals/withdrawals.repository';
import { depthAt, locateTransaction } from './chain-sighting';
import { ChainWatchRepository } from './chain-watch.repository';

/** States after a fee bump in which the withdrawal is not confirmed yet (a bump is refused in any other). */
const UNSETTLED_AFTER_BUMP: readonly WithdrawalState[] = ['awaiting_approval', 'approved', 'signing', 'signed', 'broadcast'];

/** A replaced transaction found in a block of the active chain. */
export interface MinedReplaced {
  replaced: WithdrawalTransactionEntity;
  blockHash: string;
  height: number;
}

@Injectable()
export class ReplacedTransactionWatch {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CHAIN_BACKEND) private readonly backend: ChainBackend | null,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly utxos: UtxoRepository,
    private readonly hub: SignerHub,
    private readonly repo: ChainWatchRepository,
    private readonly clock: Clock,
  ) {}

  /** The replaced transactions in a block of the active chain, by withdrawal (at most one each: they spend the same coins). */
  async mined(tip: ChainTip): Promise<Map<string, MinedReplaced>> {
    const found = new Map<string, MinedReplaced>();
    const backend = this.backend;
    if (!backend) return found;
    for (const replaced of await this.repo.replacedTransactions(UNSETTLED_AFTER_BUMP)) {
      if (found.has(replaced.withdrawalId)) continue;
      const sighting = await locateTransaction(backend, tip, replaced.txid!, null);
      if (sighting.where === 'block') found.set(replaced.withdrawalId, { replaced, blockHash: sighting.blockHash, height: sighting.height });
    }
    return found;
  }

  /** Settles the withdrawal on the mined replaced transaction once it is deep enough; true when it did. */
  async settle(mined: MinedReplaced, tip: ChainTip): Promise<boolean> {
    const confirmations = depthAt(tip, mined.height);
    if (confirmations < this.config.chainWatch.minConfirmations) return false;
    const now = this.clock.now().toISOString();
    const { withdrawalId } = mined.replaced;
    return this.tx.run(async (manager) => {
      const withdrawal = await this.withdrawals.find(withdrawalId, manager, true);
      const replacedRows = manager.getRepository(WithdrawalTransactionEntity);
      const replaced = await replacedRows.findOne({ where: { withdrawalId, unsignedTxid: mined.replaced.unsignedTxid } });
      // Looked at outside this transaction: settle only on what is still true.
      if (!UNSETTLED_AFTER_BUMP.includes(withdrawal.state) || replaced?.txid !== mined.replaced.txid || replaced.txid === null || replaced.txHex === null) return false;
      await replacedRows.delete({ withdrawalId, unsignedTxid: replaced.unsignedTxid });
      await replacedRows.insert({
        withdrawalId, unsignedTxid: withdrawal.unsignedTxid, intentHash: withdrawal.intentHash, fee: withdrawal.fee,
        txid: withdrawal.txid, txHex: withdrawal.txHex, replacedBy: replaced.intentHash, replacedAt: now,
      });
      const approvals = (await manager.getRepository(ApprovalEntity).delete({ withdrawalId })).affected ?? 0;
      const signatures = (await manager.getRepository(PartialSignatureEntity).delete({ withdrawalId })).affected ?? 0;
      await this.utxos.markSpent(manager, withdrawalId);
      await this.withdrawals.transition(manager, withdrawalId, withdrawal.state, 'confirmed', now, {
        unsignedTxid: replaced.unsignedTxid, fee: replaced.fee, txid: replaced.txid, txHex: replaced.txHex,
      });
      await this.repo.saveOutbox(manager, {
        withdrawalId, vaultId: withdrawal.vaultId, txid: replaced.txid, state: 'accepted', attempts: 0, nextAttemptAt: now,
        lastError: null, rejectReason: null, blockHash: mined.blockHash, blockHeight: mined.height, updatedAt: now,
      });
      await this.audit.append(manager, {
        kind: 'withdrawal.confirmed', subject: withdrawalId,
        payload: {
          txid: replaced.txid, blockHash: mined.blockHash, blockHeight: mined.height, confirmations,
          replacedTxConfirmed: true, intentHash: replaced.intentHash, fee: replaced.fee,
          replacementIntentHash: withdrawal.intentHash, replacementTxid: withdrawal.txid, replacementState: withdrawal.state,
          discarded: { approvals, signatures },
        },
      });
      await this.hub.publishToVault(manager, withdrawal.vaultId, { kind: 'withdrawal.state', vaultId: withdrawal.vaultId, withdrawalId, state: 'confirmed' });
      return true;
    });
  }
}
