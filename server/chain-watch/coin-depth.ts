/**
 * Confirmation depth as a gate on coin selection: with a chain backend, a coin is spendable only
 * once the transaction that made it is in a block CONCLAVE_MIN_CONFIRMATIONS deep (a coinbase
 * output: 100, the consensus rule) by the tip the watcher last saw. A coin the watcher has not
 * seen in a block yet (in the mempool, taken out by a reorg, registered by hand and not yet
 * seen) is not offered. Offline mode has no gate (COIN_DEPTH is null): there is no chain to ask.
 */
import type { EntityManager } from 'typeorm';
import type { UtxoEntity } from '../deposits/utxo.entity';
import { ChainWatchRepository } from './chain-watch.repository';

export const COIN_DEPTH = Symbol('COIN_DEPTH');

/** Coinbase outputs are spendable after this many confirmations (consensus). */
export const COINBASE_MATURITY = 100;

export interface CoinDepthGate {
  spendable(manager: EntityManager, coins: UtxoEntity[]): Promise<UtxoEntity[]>;
}

/** Built by chain-watch.providers.ts with a backend configured. */
export class ChainCoinDepth implements CoinDepthGate {
  constructor(private readonly repo: ChainWatchRepository, private readonly minConfirmations: number) {}

  async spendable(manager: EntityManager, coins: UtxoEntity[]): Promise<UtxoEntity[]> {
    const tip = await this.repo.tip(manager);
    if (!tip || coins.length === 0) return [];
    const rows = new Map((await this.repo.deposits(manager, [...new Set(coins.map((c) => c.txid))])).map((r) => [r.txid, r]));
    return coins.filter((coin) => {
      const row = rows.get(coin.txid);
      if (!row || row.state !== 'confirmed' || row.blockHeight === null) return false;
      const depth = tip.height - row.blockHeight + 1;
      return depth >= (row.coinbase ? Math.max(this.minConfirmations, COINBASE_MATURITY) : this.minConfirmations);
    });
  }
}
