/**
 * Builds the configured chain backend: null in offline mode (coins imported from funding
 * transactions, final transactions exported), else a Core or Esplora client for the
 * coordinator's network. connectChainBackend also asks the backend which network it is on and
 * refuses a mismatch, so a coordinator never starts against a node on another network.
 *
 * Wiring it into Nest (for the integrator):
 *   { provide: CHAIN_BACKEND, inject: [APP_CONFIG], useFactory: (c: AppConfig) => connectChainBackend(c, (e) => logger.warn(...)) }
 */
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import { BitcoinCoreClient } from './bitcoin-core-client';
import type { ChainBackend } from './chain-backend';
import type { ChainConfig } from './chain-config';
import { EsploraClient } from './esplora-client';

/** Nest injection token of the `ChainBackend | null` (null: offline). */
export const CHAIN_BACKEND = Symbol('CHAIN_BACKEND');

export interface ChainBackendConfig {
  network: NetworkName;
  chain: ChainConfig;
}

export function createChainBackend(config: ChainBackendConfig): ChainBackend | null {
  const { chain, network } = config;
  switch (chain.backend) {
    case 'offline':
      return null;
    case 'core':
      return new BitcoinCoreClient({ url: chain.url, auth: chain.auth, network, timeoutMs: chain.timeoutMs, scanTimeoutMs: chain.scanTimeoutMs, fallbackFeeRate: chain.fallbackFeeRate });
    case 'esplora':
      return new EsploraClient({ url: chain.url, network, timeoutMs: chain.timeoutMs, scanTimeoutMs: chain.scanTimeoutMs, fallbackFeeRate: chain.fallbackFeeRate });
  }
}

/**
 * createChainBackend, then the network check at start-up: a backend on another network is
 * refused (CHAIN_WRONG_NETWORK, start-up fails). A backend that cannot be reached yet does not
 * stop the coordinator (`onUnreachable` is told): every client checks the network again before
 * its first other call, so nothing is read from or sent to an unchecked node.
 */
export async function connectChainBackend(config: ChainBackendConfig, onUnreachable?: (error: ConclaveError) => void): Promise<ChainBackend | null> {
  const backend = createChainBackend(config);
  if (!backend) return null;
  try {
    const actual = await backend.network();
    if (actual !== config.network) {
      throw new ConclaveError('CHAIN_WRONG_NETWORK', `the ${backend.kind === 'core' ? 'Bitcoin Core node' : 'Esplora server'} is on ${actual}; the coordinator runs on ${config.network} (CONCLAVE_NETWORK)`, { expected: config.network, actual });
    }
  } catch (error) {
    if (error instanceof ConclaveError && error.code === 'CHAIN_UNAVAILABLE' && onUnreachable) {
      onUnreachable(error);
      return backend;
    }
    throw error;
  }
  return backend;
}
