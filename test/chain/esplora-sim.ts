/**
 * An Esplora server over a SimChain: the server's state follows the chain after every change
 * (tip, transactions with their heights, coins by address with the mempool's), and POST /tx
 * goes to the simulated node, whose refusals are relayed as electrs relays Core's.
 */
import { scriptToAddress } from '../../protocol/address';
import { hexToBytes } from '@noble/hashes/utils.js';
import { type EsploraChainState, EsploraServer, electrsRefusal } from './esplora-server';
import type { SimChain } from './sim-chain';

export function project(chain: SimChain, state: EsploraChainState): void {
  state.blocks.splice(0, state.blocks.length, ...chain.blocks.map((b) => b.hash));
  state.txs.clear();
  for (const block of chain.blocks) for (const txid of block.txids) state.txs.set(txid, { hex: chain.txs.get(txid)!.hex, blockHeight: block.height });
  for (const txid of chain.mempool) state.txs.set(txid, { hex: chain.txs.get(txid)!.hex, blockHeight: null });
  state.utxos.clear();
  for (const coin of chain.coins(true).values()) {
    const address = scriptToAddress(hexToBytes(coin.script), chain.network);
    if (!address) continue;
    state.utxos.set(address, [...(state.utxos.get(address) ?? []), { txid: coin.txid, vout: coin.vout, value: Number(coin.amount), blockHeight: coin.height }]);
  }
}

export async function startEsploraSim(chain: SimChain, feeEstimates: Record<string, number> = { 1: 2.5, 6: 1.2 }): Promise<EsploraServer> {
  const state: EsploraChainState = { network: chain.network, blocks: [], txs: new Map(), utxos: new Map(), feeEstimates, refusals: new Map() };
  const server = await EsploraServer.start(state);
  chain.onChange(() => project(chain, state));
  server.submit = (hex) => {
    let verdict;
    try {
      verdict = chain.submit(hex);
    } catch {
      return electrsRefusal(-22, 'TX decode failed. Make sure the tx has at least one input.');
    }
    if (verdict.ok || verdict.reason === 'txn-already-in-mempool') return null;
    return electrsRefusal(verdict.code, verdict.details);
  };
  return server;
}
