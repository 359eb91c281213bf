/**
 * How the coordinator follows the chain once a backend is configured (chain/chain-config.ts):
 *   CONCLAVE_CHAIN_POLL_SECONDS      how often the watcher looks for deposits, confirmations and
 *                                    reorgs, and retries due broadcasts (default 30)
 *   CONCLAVE_MIN_CONFIRMATIONS       depth at which a deposit becomes spendable and a withdrawal
 *                                    `confirmed` (default 6 on mainnet, 1 elsewhere)
 *   CONCLAVE_BROADCAST_RETRY_SECONDS first pause after a broadcast the backend could not take
 *                                    (CHAIN_UNAVAILABLE); doubled after each failure, at most 1 hour
 *                                    (default 10)
 * The gap limit is CONCLAVE_GAP_LIMIT (config/config.ts), shared with offline deposits.
 */
import { z } from 'zod';
import type { NetworkName } from '../../protocol/network';

export const CHAIN_WATCH_ENV = {
  CONCLAVE_CHAIN_POLL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
  CONCLAVE_MIN_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).optional(),
  CONCLAVE_BROADCAST_RETRY_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
};

export type ChainWatchEnv = z.infer<z.ZodObject<typeof CHAIN_WATCH_ENV>>;

export interface ChainWatchConfig {
  pollSeconds: number;
  minConfirmations: number;
  broadcastRetrySeconds: number;
}

/** Six blocks is the customary depth for large amounts on mainnet; test networks reorganize rarely and cheaply. */
const DEFAULT_MIN_CONFIRMATIONS: Record<NetworkName, number> = { mainnet: 6, testnet: 1, signet: 1, regtest: 1 };

export function chainWatchConfigFromEnv(e: ChainWatchEnv, network: NetworkName): ChainWatchConfig {
  return {
    pollSeconds: e.CONCLAVE_CHAIN_POLL_SECONDS,
    minConfirmations: e.CONCLAVE_MIN_CONFIRMATIONS ?? DEFAULT_MIN_CONFIRMATIONS[network],
    broadcastRetrySeconds: e.CONCLAVE_BROADCAST_RETRY_SECONDS,
  };
}
