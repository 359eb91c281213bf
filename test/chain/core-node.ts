/**
 * A scripted Bitcoin Core node for CoreRpcServer (its `node` option): getblockchaininfo,
 * scantxoutset, getrawtransaction, testmempoolaccept and sendrawtransaction answered from a
 * SimChain, in the shapes, HTTP statuses and error objects of the recorded transcript
 * (../shared/vectors/bitcoin-core-regtest-rpc-transcript.json): getblockchaininfo is the
 * recorded answer with the chain's height and tip; errors are HTTP 500 with Core's codes and
 * messages (-5 "No such mempool or blockchain transaction...", -25
 * "bad-txns-inputs-missingorspent", -26 policy refusals, -22 "TX decode failed...", -8 for
 * bad parameters). The node runs with -txindex, as the recorded one did (it found a confirmed
 * transaction without its block hash). Methods it does not script (estimatesmartfee...) fall
 * through to the transcript replay.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { scriptToAddress } from '../../protocol/address';
import { addChecksum, descriptorOutputScript, parseDescriptor } from '../../protocol/descriptor';
import type { NetworkName } from '../../protocol/network';
import type { CoreTranscript } from './core-rpc-server';
import type { SimBlock, SimChain, SimTx } from './sim-chain';
import { entryByNote } from './transcript-vault';

export interface NodeAnswer {
  status: number;
  result?: unknown;
  error?: { code: number; message: string };
}

export type CoreNodeAnswerer = (method: string, params: unknown[]) => NodeAnswer | undefined;

const CORE_CHAIN_NAMES: Record<NetworkName, string> = { mainnet: 'main', testnet: 'test', signet: 'signet', regtest: 'regtest' };

const NO_SUCH_TX = 'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.';
const DECODE_FAILED = 'TX decode failed. Make sure the tx has at least one input.';

function fail(code: number, message: string, status = 500): NodeAnswer {
  return { status, error: { code, message } };
}

/** Satoshis as the BTC JSON number Core writes (exact: at most 8 decimals). */
export function btcNumber(sats: bigint): number {
  const whole = sats / 100_000_000n;
  const frac = (sats % 100_000_000n).toString().padStart(8, '0');
  return Number(`${whole}.${frac}`);
}

export function coreNode(chain: SimChain, transcript: CoreTranscript): CoreNodeAnswerer {
  const info = entryByNote(transcript, 'chain state at the end').response.result as Record<string, unknown>;
  const isHex = (value: unknown): value is string => typeof value === 'string' && /^(?:[0-9a-fA-F]{2})+$/.test(value);

  const verbose = (sim: SimTx, block: SimBlock | undefined, active: boolean): Record<string, unknown> => {
    const tx = sim.tx;
    const body: Record<string, unknown> = {
      txid: sim.txid, hash: sim.wtxid, version: tx.version, size: sim.hex.length / 2, vsize: tx.vsize, weight: tx.weight, locktime: tx.lockTime,
      vin: Array.from({ length: tx.inputsLength }, (_, i) => {
        const input = tx.getInput(i);
        const scriptSig = input.finalScriptSig ? bytesToHex(input.finalScriptSig) : '';
        return {
          txid: bytesToHex(input.txid!), vout: input.index, scriptSig: { asm: '', hex: scriptSig },
          ...(input.finalScriptWitness ? { txinwitness: input.finalScriptWitness.map(bytesToHex) } : {}), sequence: input.sequence,
        };
      }),
      vout: Array.from({ length: tx.outputsLength }, (_, n) => {
        const out = tx.getOutput(n);
        const address = scriptToAddress(out.script!, chain.network);
        return { value: btcNumber(out.amount!), n, scriptPubKey: { hex: bytesToHex(out.script!), ...(address ? { address } : {}) } };
      }),
      hex: sim.hex,
    };
    if (block) {
      if (!active) body.in_active_chain = false;
      Object.assign(body, { blockhash: block.hash, confirmations: active ? chain.confirmations(block) : 0, time: block.time, blocktime: block.time });
    }
    return body;
  };

  const handlers: Record<string, (params: unknown[]) => NodeAnswer | undefined> = {
    getblockchaininfo: () => ({
      status: 200,
      result: { ...info, chain: CORE_CHAIN_NAMES[chain.network], blocks: chain.tip.height, headers: chain.tip.height, bestblockhash: chain.tip.hash, time: chain.tip.time, mediantime: chain.tip.time },
    }),

    scantxoutset: (params) => {
      const [action, objects] = params;
      if (action !== 'start' || !Array.isArray(objects)) return undefined;
      const wanted = new Set<string>();
      for (const object of objects as Array<{ desc?: unknown; range?: unknown }>) {
        if (typeof object?.desc !== 'string') return fail(-8, 'Scan object needs to be either a string or an object');
        let parsed;
        try {
          parsed = parseDescriptor(object.desc, { requireChecksum: false });
        } catch (error) {
          return fail(-5, error instanceof Error ? error.message : 'Invalid descriptor');
        }
        const range = object.range ?? 1000;
        const [from, to] = typeof range === 'number' ? [0, range] : Array.isArray(range) ? range as [number, number] : [-1, -1];
        if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from) return fail(-8, 'Range should be greater or equal than 0');
        for (let i = from; i <= to; i += 1) wanted.add(bytesToHex(descriptorOutputScript(parsed, i)));
      }
      const utxos = chain.coins(false);
      const unspents = [...utxos.values()].filter((c) => wanted.has(c.script)).map((c) => {
        const address = scriptToAddress(Buffer.from(c.script, 'hex'), chain.network);
        return {
          txid: c.txid, vout: c.vout, scriptPubKey: c.script, desc: addChecksum(`addr(${address})`), amount: btcNumber(c.amount), coinbase: false,
          height: c.height!, blockhash: c.blockHash!, confirmations: chain.tip.height - c.height! + 1,
        };
      });
      const total = unspents.reduce((sum, u) => sum + BigInt(Math.round(u.amount * 1e8)), 0n);
      return { status: 200, result: { success: true, txouts: utxos.size, height: chain.tip.height, bestblock: chain.tip.hash, unspents, total_amount: btcNumber(total) } };
    },

    getrawtransaction: (params) => {
      const [txid, verbosity, blockHash] = params;
      if (typeof txid !== 'string' || !/^[0-9a-f]{64}$/.test(txid)) return fail(-8, 'parameter 1 must be hexadecimal string');
      const sim = chain.txs.get(txid);
      let block: SimBlock | undefined;
      let active = true;
      if (blockHash !== undefined) {
        block = chain.blocks.find((b) => b.hash === blockHash) ?? chain.stale.get(String(blockHash));
        if (!block) return fail(-5, 'Block hash not found');
        active = chain.blocks.includes(block);
        if (!sim || !block.txids.includes(txid)) return fail(-5, 'No such transaction found in the provided block. Use gettransaction for wallet transactions.');
      } else {
        block = chain.blockOf(txid);
        if (!sim || (!block && !chain.mempool.includes(txid))) return fail(-5, NO_SUCH_TX);
      }
      if (verbosity === false || verbosity === 0) return { status: 200, result: sim.hex };
      return { status: 200, result: verbose(sim, block, active) };
    },

    testmempoolaccept: (params) => {
      const [list] = params;
      if (!Array.isArray(list) || list.length !== 1) return undefined;
      if (!isHex(list[0])) return fail(-22, DECODE_FAILED);
      let verdict;
      try {
        verdict = chain.check(list[0]);
      } catch {
        return fail(-22, DECODE_FAILED);
      }
      if (verdict.ok) {
        const base = btcNumber(verdict.fee);
        return { status: 200, result: [{ txid: verdict.txid, wtxid: verdict.wtxid, allowed: true, vsize: verdict.vsize, fees: { base, 'effective-feerate': btcNumber((verdict.fee * 1000n) / BigInt(verdict.vsize)), 'effective-includes': [verdict.wtxid] } }] };
      }
      return { status: 200, result: [{ txid: verdict.txid, wtxid: verdict.wtxid, allowed: false, 'reject-reason': verdict.reason, 'reject-details': verdict.details }] };
    },

    sendrawtransaction: (params) => {
      const [hex] = params;
      if (!isHex(hex)) return fail(-22, DECODE_FAILED);
      let verdict;
      try {
        verdict = chain.submit(hex);
      } catch {
        return fail(-22, DECODE_FAILED);
      }
      if (verdict.ok) return { status: 200, result: verdict.txid };
      // A transaction already in the mempool is answered with its txid again (recorded).
      if (verdict.reason === 'txn-already-in-mempool') return { status: 200, result: verdict.txid };
      if (verdict.reason === 'txn-already-known') return fail(-27, 'Transaction outputs already in utxo set');
      return fail(verdict.code, verdict.details);
    },
  };

  return (method, params) => handlers[method]?.(params);
}
