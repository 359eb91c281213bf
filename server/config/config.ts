/**
 * Coordinator configuration, read once from the environment and validated: a wrong value
 * stops start-up with a message naming the variable, instead of surfacing later.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { NETWORK_NAMES } from '../../protocol/network';
import { CHAIN_ENV, type ChainConfig, chainConfigFromEnv } from '../chain/chain-config';
import { CHAIN_WATCH_ENV, type ChainWatchConfig, chainWatchConfigFromEnv } from '../chain-watch/chain-watch-config';
import { WEBHOOK_ENV, type WebhookConfig, webhookConfigFromEnv } from '../webhooks/webhook-config';

const envSchema = z.object({
  CONCLAVE_HOST: z.string().min(1).default('127.0.0.1'),
  CONCLAVE_PORT: z.coerce.number().int().min(0).max(65535).default(8650),
  CONCLAVE_DATA_DIR: z.string().min(1).default('./.conclave-data'),
  /** The coordinator's identity secret (hex), which signs the audit log; default <data dir>/coordinator-identity.key. */
  CONCLAVE_SERVER_KEY_FILE: z.string().min(1).optional(),
  CONCLAVE_NETWORK: z.enum(NETWORK_NAMES).default('regtest'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  /** Postgres schema to use; lets several test runs share one database. */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).optional(),
  CONCLAVE_LOG_FORMAT: z.enum(['json', 'text']).default('json'),
  CONCLAVE_LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug']).default('log'),
  /** Smallest fee rate (sat/vB) the coordinator builds with; recent Core relays 0.1 sat/vB. */
  CONCLAVE_MIN_FEE_RATE: z.coerce.number().min(0.1).max(10_000).default(1),
  /** Addresses derived ahead of the last used one on each chain (BIP44 gap limit). */
  CONCLAVE_GAP_LIMIT: z.coerce.number().int().min(1).max(1000).default(20),
  /** How often withdrawals whose intent expired are ended and their coins released. */
  CONCLAVE_EXPIRY_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86_400).default(15),
  /** How long a FROST signing session waits for its signers' shares before it is failed and a new one may form. */
  CONCLAVE_FROST_SESSION_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(120),
  /** WebAuthn relying party id for passkeys (the web app's host name, no scheme or port). */
  CONCLAVE_WEBAUTHN_RP_ID: z.string().regex(/^[a-z0-9.-]{1,253}$/, 'expected a host name').default('localhost'),
  /** Origins the web app is served from (comma-separated), as browsers write them in clientDataJSON. */
  CONCLAVE_WEBAUTHN_ORIGIN: z.string().min(1).default('http://localhost'),
  /** Chain backend: CONCLAVE_CHAIN (offline | core | esplora) and its settings (chain/chain-config.ts). */
  ...CHAIN_ENV,
  /** Following the chain with a backend: poll interval, confirmation depth, broadcast retries (chain-watch/chain-watch-config.ts). */
  ...CHAIN_WATCH_ENV,
  /** Webhook delivery: sweep, time-out, retries and back-off, private addresses (webhooks/webhook-config.ts). */
  ...WEBHOOK_ENV,
});

export type AppConfig = {
  host: string;
  port: number;
  dataDir: string;
  /** File holding the coordinator's audit-signing secret; several instances on one PostgreSQL MUST share it. */
  serverKeyFile: string;
  network: (typeof NETWORK_NAMES)[number];
  databaseUrl?: string;
  databaseSchema?: string;
  logFormat: 'json' | 'text';
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  minFeeRate: number;
  gapLimit: number;
  expirySweepSeconds: number;
  frostSessionTimeoutSeconds: number;
  /** Offline (the default) or a Bitcoin Core / Esplora backend (chain/chain-factory.ts builds it). */
  chain: ChainConfig;
  /** Deposits, confirmations, reorgs and broadcasts when a backend is configured (server/chain-watch). */
  chainWatch: ChainWatchConfig;
  /** Passkey sign-in and registration (server/auth): relying party id and accepted origins. */
  webauthn: { rpId: string; origins: string[] };
  /** Signed webhooks to administrators' endpoints (server/webhooks). */
  webhooks: WebhookConfig;
};

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const chain = chainConfigFromEnv(e, e.CONCLAVE_NETWORK, e.CONCLAVE_MIN_FEE_RATE);
  const badOrigin = e.CONCLAVE_WEBAUTHN_ORIGIN.split(',').map((o) => o.trim()).find((o) => !/^https?:\/\/[^/\s]+$/.test(o));
  if (badOrigin !== undefined) throw new ConfigError(`invalid configuration:\n  CONCLAVE_WEBAUTHN_ORIGIN: "${badOrigin}" is not an origin like https://conclave.example.com`);
  if (chain.issues.length > 0) throw new ConfigError(`invalid configuration:\n  ${chain.issues.join('\n  ')}`);
  return {
    host: e.CONCLAVE_HOST,
    port: e.CONCLAVE_PORT,
    dataDir: e.CONCLAVE_DATA_DIR,
    serverKeyFile: e.CONCLAVE_SERVER_KEY_FILE ?? join(e.CONCLAVE_DATA_DIR, 'coordinator-identity.key'),
    network: e.CONCLAVE_NETWORK,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    logFormat: e.CONCLAVE_LOG_FORMAT,
    logLevel: e.CONCLAVE_LOG_LEVEL,
    minFeeRate: e.CONCLAVE_MIN_FEE_RATE,
    gapLimit: e.CONCLAVE_GAP_LIMIT,
    expirySweepSeconds: e.CONCLAVE_EXPIRY_SWEEP_SECONDS,
    frostSessionTimeoutSeconds: e.CONCLAVE_FROST_SESSION_TIMEOUT_SECONDS,
    chain: chain.chain,
    chainWatch: chainWatchConfigFromEnv(e, e.CONCLAVE_NETWORK),
    webhooks: webhookConfigFromEnv(e),
    webauthn: { rpId: e.CONCLAVE_WEBAUTHN_RP_ID, origins: e.CONCLAVE_WEBAUTHN_ORIGIN.split(',').map((o) => o.trim()).filter((o) => o.length > 0) },
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
