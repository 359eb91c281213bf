/**
 * Deposits seen on the chain, for every active vault of either kind: both derivation chains
 * (receive `/0/*` and change `/1/*`) are watched from index 0 to CONCLAVE_GAP_LIMIT addresses
 * past the highest used one; a coin found near the end moves the window on and the chain is
 * asked again, so a coin beyond the gap is found only once an address before it is used (the
 * BIP44 rule wallets keep). New coins are registered with their full previous transaction as
 * the offline path does (one database transaction, one audit event).
 *
 * Each transaction paying a vault is then followed until it is buried FOLLOW_DEPTH deep:
 * its block (so a reorg that takes it out is noticed), or the mempool, or gone. A reorg moves
 * its coins back to unconfirmed (coin-depth.ts no longer offers them) or, when the transaction
 * is gone, removes its unreserved coins; coins a live withdrawal holds keep their reservation
 * and the deposit is flagged. A reorg that brings it back restores it. Every step is an event.
 */
import { Inject, Injectable } from '@nestjs/common';
import { hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { DataSource, type EntityManager } from 'typeorm';
import type { ChainBackend, ChainTip, ChainUtxo, WatchedChain } from '../chain/chain-backend';
import { CHAIN_BACKEND } from '../chain/chain-factory';
import { MAX_WATCHED_PER_CHAIN } from '../chain/chain-values';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { singlePathDescriptors } from '../../protocol/descriptor';
import type { UtxoEntity } from '../deposits/utxo.entity';
import type { AddressEntity } from '../vaults/address.entity';
import { VaultScripts } from '../vaults/vault-scripts';
import type { VaultEntity } from '../vaults/vault.entity';
import { VaultsRepository } from '../vaults/vaults.repository';
import type { ChainDepositEntity } from './chain-deposit.entity';
import { type ChainSighting, FOLLOW_DEPTH, locateTransaction } from './chain-sighting';
import { ChainWatchRepository } from './chain-watch.repository';

/** Rounds of "a coin near the end of the window: look further" in one pass (each round moves at least one index). */
const MAX_WINDOW_ROUNDS = 50;

export interface DepositPass {
  /** Outpoints registered in this pass. */
  detected: string[];
  /** Txids whose sighting changed (confirmed, unconfirmed, gone, restored). */
  changed: string[];
}

interface VaultWindow {
  vault: VaultEntity;
  /** Addresses watched on each chain, by script. */
  byScript: Map<string, AddressEntity>;
  chains: WatchedChain[];
}

@Injectable()
export class DepositWatcher {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CHAIN_BACKEND) private readonly backend: ChainBackend | null,
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly scripts: VaultScripts,
    private readonly repo: ChainWatchRepository,
    private readonly clock: Clock,
  ) {}

  /** One pass over every active vault, against `tip`. */
  async pass(tip: ChainTip): Promise<DepositPass> {
    const result: DepositPass = { detected: [], changed: [] };
    if (!this.backend) return result;
    for (const vaultId of await this.vaults.listIds()) {
      const vault = await this.vaults.find(vaultId);
      if (!(await this.isActive(vault))) continue;
      await this.passVault(this.backend, vault, tip, result);
    }
    return result;
  }

  private async isActive(vault: VaultEntity): Promise<boolean> {
    try {
      await this.vaults.requireActive(this.repoManager(), vault);
      return true;
    } catch {
      return false;
    }
  }

  private repoManager(): EntityManager {
    return this.dataSource.manager;
  }

  private async passVault(backend: ChainBackend, vault: VaultEntity, tip: ChainTip, result: DepositPass): Promise<void> {
    // The window grows while coins turn up near its end; the last snapshot covers all of it.
    const next: [number, number] = [vault.nextReceiveIndex, vault.nextChangeIndex];
    let window = await this.window(vault, next);
    let snapshot = await backend.utxos(window.chains);
    for (let round = 0; round < MAX_WINDOW_ROUNDS; round += 1) {
      let moved = false;
      for (const coin of snapshot.utxos) {
        const address = window.byScript.get(coin.scriptPubKey)!;
        const change = address.change as 0 | 1;
        if (address.index >= next[change]) {
          next[change] = address.index + 1;
          moved = true;
        }
      }
      if (!moved) break;
      window = await this.window(vault, next);
      snapshot = await backend.utxos(window.chains);
    }
    const snapshotTip = snapshot.tip;
    const byTxid = new Map<string, ChainUtxo[]>();
    for (const coin of snapshot.utxos) byTxid.set(coin.txid, [...(byTxid.get(coin.txid) ?? []), coin]);

    for (const [txid, coins] of byTxid) {
      const first = coins[0]!;
      let sighting: ChainSighting;
      if (first.confirmations > 0 && first.blockHash !== null && first.blockHeight !== null) {
        sighting = { where: 'block', blockHash: first.blockHash, height: first.blockHeight };
      } else if (first.confirmations > 0) {
        sighting = await locateTransaction(backend, snapshotTip, txid, null);
      } else {
        sighting = { where: 'mempool' };
      }
      if (await this.apply(backend, vault, window, txid, coins, sighting, result)) result.changed.push(txid);
    }
    // Transactions followed whose coins the snapshot no longer shows: spent, or taken out by a reorg.
    for (const row of await this.repo.depositsToFollow(vault.id, tip, FOLLOW_DEPTH)) {
      if (byTxid.has(row.txid)) continue;
      const sighting = await locateTransaction(backend, tip, row.txid, row.blockHash);
      if (await this.apply(backend, vault, window, row.txid, [], sighting, result)) result.changed.push(row.txid);
    }
  }

  /** Stores the addresses of the window and returns what the backend is asked to watch. */
  private async window(vault: VaultEntity, next: [number, number]): Promise<VaultWindow> {
    const descriptors = singlePathDescriptors(this.scripts.descriptorOf(vault));
    const byScript = new Map<string, AddressEntity>();
    const chains: WatchedChain[] = [];
    await this.tx.run(async (manager) => {
      for (const change of [0, 1] as const) {
        const count = Math.min(next[change] + this.config.gapLimit, MAX_WATCHED_PER_CHAIN);
        await this.vaults.ensureAddresses(manager, vault, change, count);
        const addresses = await this.repo.addresses(manager, vault.id, change, count);
        for (const a of addresses) byScript.set(a.scriptPubKey, a);
        chains.push({ descriptor: change === 0 ? descriptors.receive : descriptors.change, scripts: addresses.map((a) => ({ address: a.address, scriptPubKey: a.scriptPubKey })) });
      }
    });
    return { vault, byScript, chains };
  }

  /**
   * Registers new coins of `txid` and records where it is now, in one database transaction with
   * its audit events. Returns true when something changed.
   */
  private async apply(backend: ChainBackend, vault: VaultEntity, window: VaultWindow, txid: string, seen: ChainUtxo[], sighting: ChainSighting, result: DepositPass): Promise<boolean> {
    const known = await this.repo.coinsOf(this.repoManager(), [txid]);
    const fresh = seen.filter((c) => !known.some((k) => k.vout === c.vout));
    // The full previous transaction, checked against its txid by the backend client.
    let hex: string | null = null;
    if (fresh.length > 0) {
      const found = await backend.transaction(txid, sighting.where === 'block' ? { blockHash: sighting.blockHash } : {});
      if (!found) return false; // gone between the two calls: the next pass sees where it went
      hex = found.hex;
    }
    const now = this.clock.now().toISOString();
    return this.tx.run(async (manager) => {
      const row = await this.repo.deposit(manager, txid);
      if (!row && fresh.length === 0 && known.length === 0) return false;
      if (hex !== null) await this.repo.keepRawTransaction(manager, txid, hex, now);
      const rawHex = hex ?? (await this.repo.rawTransaction(manager, txid))?.hex ?? null;
      const coinbase = rawHex !== null && isCoinbase(rawHex);
      const registered: UtxoEntity[] = [];
      for (const coin of fresh) {
        const address = window.byScript.get(coin.scriptPubKey)!;
        const utxo = {
          txid, vout: coin.vout, vaultId: vault.id, amount: coin.amount, address: address.address, change: address.change,
          index: address.index, status: 'available' as const, reservedBy: null, createdAt: now,
        } as UtxoEntity;
        await this.repo.insertCoin(manager, utxo);
        await this.repo.markIndexUsed(manager, vault.id, address.change as 0 | 1, address.index);
        registered.push(utxo);
        result.detected.push(`${txid}:${coin.vout}`);
      }
      if (registered.length > 0) {
        const reloaded = await this.vaults.find(vault.id, manager);
        for (const change of [0, 1] as const) {
          await this.vaults.ensureAddresses(manager, reloaded, change, (change === 0 ? reloaded.nextReceiveIndex : reloaded.nextChangeIndex) + this.config.gapLimit);
        }
      }
      const block = sighting.where === 'block' ? { blockHash: sighting.blockHash, blockHeight: sighting.height } : { blockHash: null, blockHeight: null };
      const state = sighting.where === 'block' ? 'confirmed' : sighting.where;
      const previous = row ? { state: row.state, blockHash: row.blockHash } : null;
      if (registered.length > 0) {
        await this.audit.append(manager, {
          kind: 'deposit.detected', subject: vault.id,
          payload: { txid, outputs: registered.map((u) => ({ vout: u.vout, amount: u.amount, address: u.address })), state, ...block, restored: previous?.state === 'gone' },
        });
      }
      const next: ChainDepositEntity = {
        txid, vaultId: vault.id, state, ...block, coinbase, flagged: row?.flagged ?? false, updatedAt: now,
      };
      const moved = !row || row.state !== next.state || row.blockHash !== next.blockHash;
      if (!moved && registered.length === 0) return false;
      if (moved && row) await this.recordMove(manager, vault, row, next, sighting);
      else if (moved && !row && registered.length === 0 && state === 'confirmed') {
        // Coins registered by hand (offline path) first seen on the chain.
        await this.audit.append(manager, { kind: 'deposit.confirmed', subject: vault.id, payload: { txid, ...block, previousBlock: null, restored: false } });
      }
      await this.repo.saveDeposit(manager, next);
      return true;
    });
  }

  /** A followed deposit moved: into a (new) block, back to the mempool, or gone. */
  private async recordMove(manager: EntityManager, vault: VaultEntity, row: ChainDepositEntity, next: ChainDepositEntity, sighting: ChainSighting): Promise<void> {
    const coins = await this.repo.coinsOf(manager, [row.txid]);
    const held = coins.filter((c) => c.status !== 'available');
    const heldBy = [...new Set(held.map((c) => c.reservedBy).filter((id): id is string => id !== null))];
    if (sighting.where === 'block') {
      const restored = row.state !== 'confirmed';
      next.flagged = false;
      await this.audit.append(manager, {
        kind: 'deposit.confirmed', subject: vault.id,
        payload: { txid: row.txid, blockHash: sighting.blockHash, blockHeight: sighting.height, previousBlock: row.blockHash, restored },
      });
      return;
    }
    // Out of the mempool and gone is worth telling; back into the mempool from gone, the coins' return says it.
    const leaves = (sighting.where === 'mempool' && row.state === 'confirmed') || (sighting.where === 'gone' && row.state !== 'gone');
    if (!leaves) return;
    const removed = sighting.where === 'gone' ? coins.filter((c) => c.status === 'available').map((c) => `${c.txid}:${c.vout}`) : [];
    if (sighting.where === 'gone') await this.repo.removeAvailableCoins(manager, row.txid);
    // Coins a live withdrawal holds keep their reservation: the operator decides (a fee bump, or wait for the reorg to heal).
    next.flagged = held.length > 0;
    await this.audit.append(manager, {
      kind: 'deposit.unconfirmed', subject: vault.id,
      payload: { txid: row.txid, previousBlock: row.blockHash, now: sighting.where, removed, held: held.map((c) => `${c.txid}:${c.vout}`), heldBy },
    });
  }
}

/** A coinbase transaction: one input spending the null outpoint. */
function isCoinbase(hex: string): boolean {
  try {
    const tx = Transaction.fromRaw(hexToBytes(hex), { allowUnknownOutputs: true, allowUnknownInputs: true, disableScriptCheck: true });
    const input = tx.getInput(0);
    return tx.inputsLength === 1 && input.index === 0xffffffff && input.txid !== undefined && input.txid.every((b) => b === 0);
  } catch {
    return false;
  }
}
