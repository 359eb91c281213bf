/**
 * A scripted block chain behind the strict test servers (a Bitcoin Core node in
 * core-node.ts, an Esplora server through esplora-server.ts): blocks the test mines, takes
 * off the tip and puts back (as `invalidateblock` / `reconsiderblock` do on a regtest node), a
 * mempool, and the UTXO set both derive from. The mempool replaces as Core does by default
 * (full RBF): a conflicting transaction paying more than all it evicts, plus the incremental
 * relay fee, takes their place; one paying less is refused with Core's "insufficient fee"
 * message; a mined transaction evicts what conflicts with it. Transactions are real raw transactions; their
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
  | { ok: true; txid: string; wtxid: string; vsize: number; fee: bigint; replaces: string[] }
  | { ok: false; txid: string; wtxid: string; code: number; reason: string; details: string };

const GENESIS_TIME = 1296688602;

/** The node's incremental relay fee: what a replacement must pay on top of what it evicts, per vbyte of its own size. */
export const INCREMENTAL_RELAY_SAT_PER_VB = 1n;

/** Satoshis as Core's FormatMoney writes BTC in messages: 8 decimals, trailing zeros trimmed to at least two. */
export function formatMoney(sats: bigint): string {
  const sign = sats < 0n ? '-' : '';
  const abs = sats < 0n ? -sats : sats;
  const text = `${abs / 100_000_000n}.${(abs % 100_000_000n).toString().padStart(8, '0')}`;
  return sign + text.replace(/(\.\d\d\d*?)0+$/, '$1');
}

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
    // Full RBF (Core's default since 28.0): whatever conflicts may be replaced, if the fees pay for it.
    const evicted = this.replacedBy(sim);
    const coins = this.coins(true, evicted);
    let total = 0n;
    for (const outpoint of sim.spends) {
      if (evicted.has(outpoint.slice(0, 64))) return refuse(-26, 'bad-txns-spends-conflicting-tx', `bad-txns-spends-conflicting-tx, ${sim.txid} spends conflicting transaction ${outpoint.slice(0, 64)}`);
      const coin = coins.get(outpoint);
      if (!coin) return refuse(-25, 'missing-inputs', 'bad-txns-inputs-missingorspent');
      total += coin.amount;
    }
    const out = Array.from({ length: sim.tx.outputsLength }, (_, i) => sim.tx.getOutput(i).amount!).reduce((a, b) => a + b, 0n);
    if (out > total) return refuse(-26, 'bad-txns-in-belowout');
    const scripted = this.refusals.get(sim.txid);
    if (scripted) return refuse(-26, scripted.reason, scripted.details);
    const fee = total - out;
    const unpaid = this.unpaidReplacement(sim, fee, evicted);
    if (unpaid) return refuse(-26, 'insufficient fee', `insufficient fee, rejecting replacement ${sim.txid}, ${unpaid}`);
    return { ok: true, txid: sim.txid, wtxid: sim.wtxid, vsize: sim.tx.vsize, fee, replaces: [...evicted] };
  }

  /** As sendrawtransaction: accepted into the mempool (evicting what it replaces), or the verdict that refused it. */
  submit(hex: string): MempoolVerdict {
    const verdict = this.check(hex);
    if (verdict.ok) {
      this.txs.set(verdict.txid, this.parse(hex, true));
      this.mempool = [...this.mempool.filter((id) => !verdict.replaces.includes(id)), verdict.txid];
      this.changed();
    }
    return verdict;
  }

  /** The mempool transactions `sim` conflicts with (spends an outpoint they spend), and all their mempool descendants. */
  private replacedBy(sim: SimTx): Set<string> {
    return this.withDescendants(this.mempool.filter((id) => this.txs.get(id)!.spends.some((o) => sim.spends.includes(o))));
  }

  /** `txids` and every mempool transaction spending an output of one of them, directly or not. */
  private withDescendants(txids: string[]): Set<string> {
    const found = new Set(txids);
    for (let grew = found.size > 0; grew;) {
      grew = false;
      for (const id of this.mempool) {
        if (!found.has(id) && this.txs.get(id)!.spends.some((o) => found.has(o.slice(0, 64)))) {
          found.add(id);
          grew = true;
        }
      }
    }
    return found;
  }

  /**
   * Core's PaysForRBF: a replacement pays at least the fees of everything it evicts, plus the
   * incremental relay fee for its own size (INCREMENTAL_RELAY_SAT_PER_VB). Null when it does, or
   * replaces nothing; otherwise the rest of Core's refusal message.
   */
  private unpaidReplacement(sim: SimTx, fee: bigint, evicted: Set<string>): string | null {
    if (evicted.size === 0) return null;
    const replacedFees = [...evicted].reduce((sum, id) => sum + this.feeOf(id), 0n);
    if (fee < replacedFees) return `less fees than conflicting txs; ${formatMoney(fee)} < ${formatMoney(replacedFees)}`;
    const relay = BigInt(sim.tx.vsize) * INCREMENTAL_RELAY_SAT_PER_VB;
    if (fee - replacedFees < relay) return `not enough additional fees to relay; ${formatMoney(fee - replacedFees)} < ${formatMoney(relay)}`;
    return null;
  }

  /** Fee of a transaction the simulation took (inputs from its own outputs; 0 for one from outside). */
  private feeOf(txid: string): bigint {
    const sim = this.txs.get(txid)!;
    const paidIn = sim.spends.reduce((sum, outpoint) => {
      const [parent, vout] = outpoint.split(':') as [string, string];
      return sum + (this.txs.get(parent)?.tx.getOutput(Number(vout)).amount ?? 0n);
    }, 0n);
    const paidOut = Array.from({ length: sim.tx.outputsLength }, (_, i) => sim.tx.getOutput(i).amount!).reduce((a, b) => a + b, 0n);
    return paidIn - paidOut;
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
      this.dropConflicts(take);
    }
    this.changed();
    return hashes;
  }

  /** As a node connecting a block: mempool transactions spending what `mined` spent leave, with their descendants. */
  private dropConflicts(mined: string[]): void {
    const spent = new Set(mined.flatMap((id) => this.txs.get(id)!.spends));
    const gone = this.withDescendants(this.mempool.filter((id) => this.txs.get(id)!.spends.some((o) => spent.has(o))));
    this.mempool = this.mempool.filter((id) => !gone.has(id));
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
    const mined = blocks.flatMap((b) => b.txids);
    this.mempool = this.mempool.filter((id) => !mined.includes(id));
    this.dropConflicts(mined);
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

  /**
   * Unspent coins of the active chain, and with `withMempool` those of mempool transactions too,
   * less what the mempool spends; mempool transactions in `without` (about to be replaced) left out.
   */
  coins(withMempool: boolean, without: ReadonlySet<string> = new Set()): Map<string, SimCoin> {
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
    if (withMempool) for (const txid of this.mempool) if (!without.has(txid)) apply(txid, null);
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
