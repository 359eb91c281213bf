/**
 * Database access for the chain watcher: the tip it last saw, deposit transactions it follows,
 * the broadcast outbox, and the transactions fee bumps replaced.
 */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, In, LessThanOrEqual } from 'typeorm';
import type { WithdrawalState } from '../../protocol/api';
import type { ChainTip } from '../chain/chain-backend';
import { RawTransactionEntity } from '../deposits/raw-transaction.entity';
import { UtxoEntity } from '../deposits/utxo.entity';
import { AddressEntity } from '../vaults/address.entity';
import { VaultEntity } from '../vaults/vault.entity';
import { WithdrawalTransactionEntity } from '../withdrawals/withdrawal-transaction.entity';
import { WithdrawalEntity } from '../withdrawals/withdrawal.entity';
import { ChainBroadcastEntity } from './chain-broadcast.entity';
import { ChainDepositEntity } from './chain-deposit.entity';
import { ChainTipEntity } from './chain-tip.entity';

@Injectable()
export class ChainWatchRepository {
  constructor(private readonly dataSource: DataSource) {}

  async tip(manager: EntityManager = this.dataSource.manager): Promise<ChainTip | null> {
    const row = await manager.getRepository(ChainTipEntity).findOne({ where: { id: 1 } });
    return row ? { height: row.height, hash: row.hash } : null;
  }

  async saveTip(manager: EntityManager, tip: ChainTip, now: string): Promise<void> {
    await manager.getRepository(ChainTipEntity).save({ id: 1, height: tip.height, hash: tip.hash, updatedAt: now });
  }

  deposit(manager: EntityManager, txid: string): Promise<ChainDepositEntity | null> {
    return manager.getRepository(ChainDepositEntity).findOne({ where: { txid } });
  }

  deposits(manager: EntityManager, txids: string[]): Promise<ChainDepositEntity[]> {
    if (txids.length === 0) return Promise.resolve([]);
    return manager.getRepository(ChainDepositEntity).find({ where: { txid: In(txids) } });
  }

  async saveDeposit(manager: EntityManager, row: ChainDepositEntity): Promise<void> {
    await manager.getRepository(ChainDepositEntity).save(row);
  }

  /** Deposit transactions of a vault still worth following: in a block less than `finalDepth` deep, or in the mempool. */
  async depositsToFollow(vaultId: string, tip: ChainTip, finalDepth: number): Promise<ChainDepositEntity[]> {
    const rows = await this.dataSource.getRepository(ChainDepositEntity).find({ where: { vaultId, state: In(['confirmed', 'mempool']) }, order: { txid: 'ASC' } });
    return rows.filter((r) => r.state === 'mempool' || r.blockHeight === null || tip.height - r.blockHeight + 1 < finalDepth);
  }

  outbox(manager: EntityManager, withdrawalId: string, forUpdate = false): Promise<ChainBroadcastEntity | null> {
    const lock = forUpdate && manager.connection.options.type === 'postgres' ? { lock: { mode: 'pessimistic_write' as const } } : {};
    return manager.getRepository(ChainBroadcastEntity).findOne({ where: { withdrawalId }, ...lock });
  }

  async saveOutbox(manager: EntityManager, row: ChainBroadcastEntity): Promise<void> {
    await manager.getRepository(ChainBroadcastEntity).save(row);
  }

  /** Outbox rows to send now, oldest first. */
  dueBroadcasts(now: string): Promise<ChainBroadcastEntity[]> {
    return this.dataSource.getRepository(ChainBroadcastEntity).find({ where: { state: 'pending', nextAttemptAt: LessThanOrEqual(now) }, order: { nextAttemptAt: 'ASC', withdrawalId: 'ASC' } });
  }

  acceptedBroadcasts(): Promise<ChainBroadcastEntity[]> {
    return this.dataSource.getRepository(ChainBroadcastEntity).find({ where: { state: 'accepted' }, order: { withdrawalId: 'ASC' } });
  }

  /** Signed transactions a fee bump replaced, of withdrawals in `states`: one of them may still be mined instead. */
  replacedTransactions(states: readonly WithdrawalState[]): Promise<WithdrawalTransactionEntity[]> {
    return this.dataSource.getRepository(WithdrawalTransactionEntity).createQueryBuilder('t')
      .innerJoin(WithdrawalEntity, 'w', 'w.id = t.withdrawal_id')
      .where('t.txid IS NOT NULL AND w.state IN (:...states)', { states })
      .orderBy('t.withdrawal_id', 'ASC').addOrderBy('t.replaced_at', 'ASC')
      .getMany();
  }

  /** The first `count` addresses of one chain of a vault, by index (the caller stored them: ensureAddresses). */
  addresses(manager: EntityManager, vaultId: string, change: 0 | 1, count: number): Promise<AddressEntity[]> {
    return manager.getRepository(AddressEntity).createQueryBuilder('a')
      .where('a.vault_id = :vaultId AND a.change = :change AND a.idx < :count', { vaultId, change, count })
      .orderBy('a.idx', 'ASC').getMany();
  }

  coinsOf(manager: EntityManager, txids: string[]): Promise<UtxoEntity[]> {
    if (txids.length === 0) return Promise.resolve([]);
    return manager.getRepository(UtxoEntity).find({ where: { txid: In(txids) }, order: { txid: 'ASC', vout: 'ASC' } });
  }

  async insertCoin(manager: EntityManager, coin: UtxoEntity): Promise<void> {
    await manager.getRepository(UtxoEntity).insert(coin);
  }

  /** Removes the unreserved coins of a transaction that left the chain; reserved and spent ones stay. */
  async removeAvailableCoins(manager: EntityManager, txid: string): Promise<void> {
    await manager.getRepository(UtxoEntity).delete({ txid, status: 'available' });
  }

  rawTransaction(manager: EntityManager, txid: string): Promise<RawTransactionEntity | null> {
    return manager.getRepository(RawTransactionEntity).findOne({ where: { txid } });
  }

  async keepRawTransaction(manager: EntityManager, txid: string, hex: string, now: string): Promise<void> {
    if (await this.rawTransaction(manager, txid)) return;
    await manager.getRepository(RawTransactionEntity).insert({ txid, hex, createdAt: now });
  }

  /** Marks `index` used on one chain of a vault: its next unused index moves past it (never back). */
  async markIndexUsed(manager: EntityManager, vaultId: string, change: 0 | 1, index: number): Promise<void> {
    const column = change === 0 ? 'next_receive_index' : 'next_change_index';
    const field = change === 0 ? 'nextReceiveIndex' : 'nextChangeIndex';
    await manager.createQueryBuilder().update(VaultEntity).set({ [field]: index + 1 })
      .where(`id = :vaultId AND ${column} <= :index`, { vaultId, index }).execute();
  }
}
