/**
 * A scripted block chain behind the strict test servers (a Bitcoin Core node in
 * core-node.ts, an Esplora server through esplora-server.ts): blocks the test mines, takes
 * off the tip and puts back (as `invalidateblock` / `reconsiderblock` do on a regtest node), a
 * mempool, and the UTXO set both derive from. Transactions are real raw transactions; their
 * txids, outputs and spent outpoints are what the answers are computed from. Script and
 * signature validity are not checked: the coordinator's own verification is tested elsewhere,
 * and these servers stand for the node's bookkeeping (which coins exist, where a transaction is).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { scriptToAddress } from '../../protocol/address';
import type { NetworkName } from '../../protocol/network';
import { GENESIS_HASHES } from '../../server/chain/chain-values';

export interface SimTx {
  txid: string;
  wtxid: string;
  hex: string;
  tx: Transaction;
  /** Outpoints it spends ("txid:vout"); none for a transaction from outside the simulation. */
  spends: string[];
  /** Seconds since the epoch when it entered the mempool. */
  time: number;
}

export interface SimBlock {
  hash: string;
  height: number;
  txids: string[];
  time: number;
}

export interface SimCoin {
  txid: string;
  vout: number;
  script: string;
  amount: bigint;
  /** Null for a coin of a mempool transaction. */
  height: number | null;
  blockHash: string | null;
}

/** What the node's mempool says of a transaction, in Core's reject-reason terms. */
export type MempoolVerdict =
  | { ok: true; txid: string; wtxid: string; vsize: number; fee: bigint }
  | { ok: false; txid: string; wtxid: string; code: number; reason: string; details: string };

const GENESIS_TIME = 1296688602;

export class SimChain {
  readonly blocks: SimBlock[];
  /** Blocks taken off the active chain, by hash (getrawtransaction with such a block still finds its transactions). */
  readonly stale = new Map<string, SimBlock>();
  mempool: string[] = [];
  readonly txs = new Map<string, SimTx>();
  /** Scripted refusals by txid: what the node's policy would say (e.g. "min relay fee not met", "min relay fee not met, 10 < 15"). */
  readonly refusals = new Map<string, { reason: string; details: string }>();
  private readonly listeners: Array<() => void> = [];
  private blockCounter = 0;

  constructor(readonly network: NetworkName) {
    const genesis = Object.entries(GENESIS_HASHES).find(([, n]) => n === network)![0];
    this.blocks = [{ hash: genesis, height: 0, txids: [], time: GENESIS_TIME }];
  }

  /** Runs after every change (the Esplora projection follows the chain this way). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
    listener();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  get tip(): SimBlock {
    return this.blocks[this.blocks.length - 1]!;
  }

  /** A transaction from outside the simulation (someone paying a vault): into the mempool, its inputs not checked. */
  receive(hex: string): string {
    const sim = this.parse(hex, false);
    this.txs.set(sim.txid, sim);
    if (!this.mempool.includes(sim.txid) && !this.blockOf(sim.txid)) this.mempool.push(sim.txid);
    this.changed();
    return sim.txid;
  }

  /** What the mempool would say of `hex`, without taking it (testmempoolaccept). */
  check(hex: string): MempoolVerdict {
    const sim = this.parse(hex, true);
    const refuse = (code: number, reason: string, details = reason): MempoolVerdict => ({ ok: false, txid: sim.txid, wtxid: sim.wtxid, code, reason, details });
    if (this.mempool.includes(sim.txid)) return refuse(-26, 'txn-already-in-mempool');
    if (this.blockOf(sim.txid)) return refuse(-27, 'txn-already-known', 'Transaction outputs already in utxo set');
    const coins = this.coins(true);
    const spentByMempool = new Set(this.mempool.flatMap((id) => this.txs.get(id)!.spends));
    let total = 0n;
    for (const outpoint of sim.spends) {
      if (spentByMempool.has(outpoint)) return refuse(-26, 'txn-mempool-conflict');
      const coin = coins.get(outpoint);
      if (!coin) return refuse(-25, 'missing-inputs', 'bad-txns-inputs-missingorspent');
      total += coin.amount;
    }
    const out = Array.from({ length: sim.tx.outputsLength }, (_, i) => sim.tx.getOutput(i).amount!).reduce((a, b) => a + b, 0n);
    if (out > total) return refuse(-26, 'bad-txns-in-belowout');
    const scripted = this.refusals.get(sim.txid);
    if (scripted) return refuse(-26, scripted.reason, scripted.details);
    return { ok: true, txid: sim.txid, wtxid: sim.wtxid, vsize: sim.tx.vsize, fee: total - out };
  }

  /** As sendrawtransaction: accepted into the mempool, or the verdict that refused it. A transaction already there is accepted again. */
  submit(hex: string): MempoolVerdict {
    const verdict = this.check(hex);
    if (verdict.ok) {
      this.txs.set(verdict.txid, this.parse(hex, true));
      this.mempool.push(verdict.txid);
      this.changed();
    }
    return verdict;
  }

  /** Mines `count` blocks; the first takes every mempool transaction (or only `only`). */
  mine(count = 1, only?: string[]): string[] {
    const hashes: string[] = [];
    for (let n = 0; n < count; n += 1) {
      const take = n === 0 ? (only ?? [...this.mempool]) : [];
      this.mempool = this.mempool.filter((id) => !take.includes(id));
      this.blockCounter += 1;
      const parent = this.tip;
      const block: SimBlock = {
        hash: bytesToHex(sha256(utf8ToBytes(`sim block ${this.blockCounter} on ${parent.hash}`))),
        height: parent.height + 1, txids: take, time: parent.time + 600,
      };
      this.blocks.push(block);
      hashes.push(block.hash);
    }
    this.changed();
    return hashes;
  }

  /**
   * Takes the top `count` blocks off the active chain (invalidateblock): their transactions go
   * back to the mempool, except those in `drop`, which vanish (as when a competing chain spends
   * their inputs otherwise, or the node never saw them again). Returns the blocks taken off.
   */
  disconnect(count = 1, drop: string[] = []): SimBlock[] {
    const taken: SimBlock[] = [];
    for (let n = 0; n < count && this.blocks.length > 1; n += 1) {
      const block = this.blocks.pop()!;
      this.stale.set(block.hash, block);
      taken.unshift(block);
    }
    const back = taken.flatMap((b) => b.txids).filter((id) => !drop.includes(id));
    this.mempool = [...back, ...this.mempool.filter((id) => !back.includes(id))];
    this.changed();
    return taken;
  }

  /**
   * Puts blocks taken off back on the active chain (reconsiderblock), replacing whatever was
   * mined on their parent meanwhile; their transactions leave the mempool.
   */
  reconnect(blocks: SimBlock[]): void {
    const first = blocks[0]!;
    while (this.tip.height >= first.height) {
      const block = this.blocks.pop()!;
      this.stale.set(block.hash, block);
      this.mempool.push(...block.txids.filter((id) => !blocks.some((b) => b.txids.includes(id))));
    }
    for (const block of blocks) {
      this.stale.delete(block.hash);
      this.blocks.push(block);
    }
    const mined = new Set(blocks.flatMap((b) => b.txids));
    this.mempool = this.mempool.filter((id) => !mined.has(id));
    this.changed();
  }

  /** Drops a transaction from the mempool (eviction, expiry). */
  evict(txid: string): void {
    this.mempool = this.mempool.filter((id) => id !== txid);
    this.changed();
  }

  /** The active-chain block holding `txid`, if any. */
  blockOf(txid: string): SimBlock | undefined {
    return this.blocks.find((b) => b.txids.includes(txid));
  }

  confirmations(block: SimBlock): number {
    return this.tip.height - block.height + 1;
  }

  /** Unspent coins of the active chain, and with `withMempool` those of mempool transactions too, less what the mempool spends. */
  coins(withMempool: boolean): Map<string, SimCoin> {
    const coins = new Map<string, SimCoin>();
    const apply = (txid: string, block: SimBlock | null) => {
      const sim = this.txs.get(txid)!;
      for (const outpoint of sim.spends) coins.delete(outpoint);
      for (let vout = 0; vout < sim.tx.outputsLength; vout += 1) {
        const out = sim.tx.getOutput(vout);
        coins.set(`${txid}:${vout}`, { txid, vout, script: bytesToHex(out.script!), amount: out.amount!, height: block?.height ?? null, blockHash: block?.hash ?? null });
      }
    };
    for (const block of this.blocks) for (const txid of block.txids) apply(txid, block);
    if (withMempool) for (const txid of this.mempool) apply(txid, null);
    return coins;
  }

  /** The coins paying `address`, mempool included (Esplora's view). */
  coinsOfAddress(address: string): SimCoin[] {
    return [...this.coins(true).values()].filter((c) => scriptToAddress(hexToBytes(c.script), this.network) === address);
  }

  private parse(hex: string, internal: boolean): SimTx {
    const tx = Transaction.fromRaw(hexToBytes(hex), { allowUnknownOutputs: true, allowUnknownInputs: true, disableScriptCheck: true });
    const spends = internal ? Array.from({ length: tx.inputsLength }, (_, i) => {
      const input = tx.getInput(i);
      return `${bytesToHex(input.txid!)}:${input.index!}`;
    }) : [];
    const existing = this.txs.get(tx.id);
    return { txid: tx.id, wtxid: bytesToHex(sha256(sha256(hexToBytes(hex))).reverse()), hex: hex.toLowerCase(), tx, spends, time: existing?.time ?? this.tip.time + 1 };
  }
}
