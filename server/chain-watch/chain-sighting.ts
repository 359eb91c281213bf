/**
 * Where a transaction is now, as one value the watcher acts on: in a block of the active chain,
 * in the mempool, or gone (unknown to the backend: never sent, dropped, replaced, or taken out
 * by a reorg and not back in the mempool).
 */
import type { ChainBackend, ChainTip } from '../chain/chain-backend';

export type ChainSighting =
  | { where: 'block'; blockHash: string; height: number }
  | { where: 'mempool' }
  | { where: 'gone' };

/**
 * Asks the backend where `txid` is. `knownBlock`, the block it was last seen in, is asked first:
 * a Core node without -txindex finds a confirmed transaction only with its block. When that
 * block has left the active chain, the transaction is looked up again without it (mempool, or
 * another block with -txindex). Heights are counted against `tip`.
 */
export async function locateTransaction(backend: ChainBackend, tip: ChainTip, txid: string, knownBlock: string | null): Promise<ChainSighting> {
  if (knownBlock !== null && backend.kind === 'core') {
    const inBlock = await backend.transaction(txid, { blockHash: knownBlock }).catch((error: unknown) => {
      // A block the node no longer knows at all ("Block hash not found"): look without it.
      if ((error as { code?: string }).code === 'CHAIN_REQUEST_REFUSED') return null;
      throw error;
    });
    if (inBlock && inBlock.confirmations > 0 && inBlock.blockHash !== null) return block(tip, inBlock.blockHash, inBlock.confirmations);
  }
  const found = await backend.transaction(txid);
  if (!found) return { where: 'gone' };
  if (found.confirmations > 0 && found.blockHash !== null) return block(tip, found.blockHash, found.confirmations);
  return { where: 'mempool' };
}

function block(tip: ChainTip, blockHash: string, confirmations: number): ChainSighting {
  return { where: 'block', blockHash, height: Math.max(0, tip.height - confirmations + 1) };
}

/** Confirmations of a transaction at `height` by `tip` (0 when not in a block). */
export function depthAt(tip: ChainTip, height: number | null): number {
  return height === null ? 0 : Math.max(0, tip.height - height + 1);
}

/** Past this depth a deposit or a withdrawal is no longer followed for reorgs (as deep as coinbase maturity). */
export const FOLLOW_DEPTH = 100;
