/**
 * The chain backend's configuration, from the environment (read by config/config.ts):
 *   CONCLAVE_CHAIN            offline (default) | core | esplora
 *   CONCLAVE_CORE_URL         Core's RPC root; default http://127.0.0.1:<the network's RPC port>
 *   CONCLAVE_CORE_USER / CONCLAVE_CORE_PASSWORD, or CONCLAVE_CORE_COOKIE_FILE (e.g. ~/.bitcoin/regtest/.cookie)
 *   CONCLAVE_ESPLORA_URL      the Esplora API root (required for esplora)
 *   CONCLAVE_FALLBACK_FEE_RATE sat/vB when the backend has no estimate (default 1)
 *   CONCLAVE_CHAIN_TIMEOUT_MS  bound on each call, retries included (default 10000)
 *   CONCLAVE_CHAIN_SCAN_TIMEOUT_MS bound on a UTXO lookup over all watched scripts (default 300000:
 *                             Core's scantxoutset reads the whole UTXO set, minutes on mainnet)
 */
import { z } from 'zod';
import type { NetworkName } from '../../protocol/network';
import type { CoreAuth } from './bitcoin-core-client';

const httpUrl = z.string().refine((text) => {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '' && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}, 'expected an http(s) URL without credentials, query or fragment (credentials go in their own variables)');

/** Added to the coordinator's environment schema. */
export const CHAIN_ENV = {
  CONCLAVE_CHAIN: z.enum(['offline', 'core', 'esplora']).default('offline'),
  CONCLAVE_CORE_URL: httpUrl.optional(),
  CONCLAVE_CORE_USER: z.string().min(1).optional(),
  CONCLAVE_CORE_PASSWORD: z.string().min(1).optional(),
  CONCLAVE_CORE_COOKIE_FILE: z.string().min(1).optional(),
  CONCLAVE_ESPLORA_URL: httpUrl.optional(),
  CONCLAVE_FALLBACK_FEE_RATE: z.string().regex(/^(0|[1-9][0-9]{0,6})(\.[0-9]{1,3})?$/, 'expected sat/vB as a decimal string (at most 3 decimals)').default('1'),
  CONCLAVE_CHAIN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  CONCLAVE_CHAIN_SCAN_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(300_000),
};

export type ChainEnv = z.infer<z.ZodObject<typeof CHAIN_ENV>>;

interface ChainCommon {
  timeoutMs: number;
  scanTimeoutMs: number;
  fallbackFeeRate: string;
}

export type ChainConfig =
  /** Offline, the fallback rate is what GET /api/v1/fee-estimates suggests (server/chain-watch/fee-estimates.service.ts). */
  | { backend: 'offline'; fallbackFeeRate: string }
  | ({ backend: 'core'; url: string; auth: CoreAuth } & ChainCommon)
  | ({ backend: 'esplora'; url: string } & ChainCommon);

/** Bitcoin Core's default RPC ports (testnet: testnet3's; testnet4 listens on 48332). */
const CORE_RPC_PORTS: Record<NetworkName, number> = { mainnet: 8332, testnet: 18332, signet: 38332, regtest: 18443 };

/**
 * The chain configuration, or the problems with it, each naming its variable. `minFeeRate` is
 * CONCLAVE_MIN_FEE_RATE: a fallback below it could never be used.
 */
export function chainConfigFromEnv(e: ChainEnv, network: NetworkName, minFeeRate: number): { chain: ChainConfig; issues: string[] } {
  const issues: string[] = [];
  const common: ChainCommon = { timeoutMs: e.CONCLAVE_CHAIN_TIMEOUT_MS, scanTimeoutMs: e.CONCLAVE_CHAIN_SCAN_TIMEOUT_MS, fallbackFeeRate: e.CONCLAVE_FALLBACK_FEE_RATE };
  if (e.CONCLAVE_CHAIN !== 'offline' && Number(e.CONCLAVE_FALLBACK_FEE_RATE) < minFeeRate) {
    issues.push(`CONCLAVE_FALLBACK_FEE_RATE: ${e.CONCLAVE_FALLBACK_FEE_RATE} sat/vB is below CONCLAVE_MIN_FEE_RATE (${minFeeRate})`);
  }
  if (e.CONCLAVE_CHAIN === 'core') {
    const hasUser = e.CONCLAVE_CORE_USER !== undefined;
    const hasPassword = e.CONCLAVE_CORE_PASSWORD !== undefined;
    const hasCookie = e.CONCLAVE_CORE_COOKIE_FILE !== undefined;
    let auth: CoreAuth | null = null;
    if (hasCookie && (hasUser || hasPassword)) {
      issues.push('CONCLAVE_CORE_COOKIE_FILE: give either the cookie file or CONCLAVE_CORE_USER and CONCLAVE_CORE_PASSWORD, not both');
    } else if (hasCookie) {
      auth = { cookieFile: e.CONCLAVE_CORE_COOKIE_FILE! };
    } else if (hasUser !== hasPassword) {
      issues.push(hasUser ? 'CONCLAVE_CORE_PASSWORD: required with CONCLAVE_CORE_USER' : 'CONCLAVE_CORE_USER: required with CONCLAVE_CORE_PASSWORD');
    } else if (!hasUser) {
      issues.push('CONCLAVE_CORE_COOKIE_FILE: CONCLAVE_CHAIN=core needs the node\'s cookie file, or CONCLAVE_CORE_USER and CONCLAVE_CORE_PASSWORD');
    } else {
      auth = { user: e.CONCLAVE_CORE_USER!, password: e.CONCLAVE_CORE_PASSWORD! };
    }
    const url = e.CONCLAVE_CORE_URL ?? `http://127.0.0.1:${CORE_RPC_PORTS[network]}`;
    return auth && issues.length === 0 ? { chain: { backend: 'core', url, auth, ...common }, issues } : { chain: { backend: 'offline', fallbackFeeRate: e.CONCLAVE_FALLBACK_FEE_RATE }, issues };
  }
  if (e.CONCLAVE_CHAIN === 'esplora') {
    if (e.CONCLAVE_ESPLORA_URL === undefined) issues.push('CONCLAVE_ESPLORA_URL: required with CONCLAVE_CHAIN=esplora (the API root, e.g. http://127.0.0.1:3002)');
    return issues.length === 0 ? { chain: { backend: 'esplora', url: e.CONCLAVE_ESPLORA_URL!, ...common }, issues } : { chain: { backend: 'offline', fallbackFeeRate: e.CONCLAVE_FALLBACK_FEE_RATE }, issues };
  }
  return { chain: { backend: 'offline', fallbackFeeRate: e.CONCLAVE_FALLBACK_FEE_RATE }, issues };
}
