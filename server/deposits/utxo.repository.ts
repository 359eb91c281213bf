/**
 * Coin reservation (invariant 5). A coin moves from `available` to `reserved` only by a
 * conditional update that names its expected status: of two concurrent withdrawals wanting
 * the same coin, exactly one update matches a row; the other fails and rolls back whole.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConclaveError } from '../../protocol/errors';
import { COIN_DEPTH, type CoinDepthGate } from '../chain-watch/coin-depth';
import { UtxoEntity } from './utxo.entity';

@Injectable()
export class UtxoRepository {
  /** `depth`: with a chain backend, only coins confirmed deep enough are offered (chain-watch/coin-depth.ts); null offline. */
  constructor(@Optional() @Inject(COIN_DEPTH) private readonly depth: CoinDepthGate | null = null) {}

  /** Coins free to select: unreserved and, with a chain backend, confirmed to the configured depth. */
  async available(manager: EntityManager, vaultId: string): Promise<UtxoEntity[]> {
    const coins = await manager.getRepository(UtxoEntity).find({ where: { vaultId, status: 'available' } });
    return this.depth ? this.depth.spendable(manager, coins) : coins;
  }

  async reserve(manager: EntityManager, coins: Array<{ txid: string; vout: number }>, withdrawalId: string): Promise<void> {
    for (const coin of coins) {
      const result = await manager.createQueryBuilder().update(UtxoEntity)
        .set({ status: 'reserved', reservedBy: withdrawalId })
        .where('txid = :txid AND vout = :vout AND status = :status', { txid: coin.txid, vout: coin.vout, status: 'available' })
        .execute();
      if (result.affected !== 1) {
        throw new ConclaveError('INSUFFICIENT_FUNDS', `coin ${coin.txid}:${coin.vout} was reserved by another withdrawal meanwhile; retry`);
      }
    }
  }

  /** Gives back the coins of a withdrawal that ended without a transaction (cancelled, expired). */
  async release(manager: EntityManager, withdrawalId: string): Promise<number> {
    const result = await manager.getRepository(UtxoEntity).update({ reservedBy: withdrawalId, status: 'reserved' }, { status: 'available', reservedBy: null });
    return result.affected ?? 0;
  }

  async markSpent(manager: EntityManager, withdrawalId: string): Promise<void> {
    await manager.getRepository(UtxoEntity).update({ reservedBy: withdrawalId, status: 'reserved' }, { status: 'spent' });
  }

  /** A fee bump replaces the withdrawal's transaction: its coins are reserved again, by the same withdrawal. */
  async unmarkSpent(manager: EntityManager, withdrawalId: string): Promise<void> {
    await manager.getRepository(UtxoEntity).update({ reservedBy: withdrawalId, status: 'spent' }, { status: 'reserved' });
  }
}
