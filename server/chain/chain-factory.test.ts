/** CONCLAVE_CHAIN and its variables, through loadConfig, and the backend built from them. */
import { ConfigError, loadConfig } from '../config/config';
import { BitcoinCoreClient } from './bitcoin-core-client';
import { connectChainBackend, createChainBackend } from './chain-factory';
import { EsploraClient } from './esplora-client';

describe('chain configuration', () => {
  it('is offline by default, as before', () => {
    expect(loadConfig({}).chain).toEqual({ backend: 'offline', fallbackFeeRate: '1' });
    expect(createChainBackend(loadConfig({}))).toBeNull();
  });

  it('reads Core with user and password, defaulting the URL to the network\'s RPC port', () => {
    expect(loadConfig({ CONCLAVE_CHAIN: 'core', CONCLAVE_CORE_USER: 'rpc', CONCLAVE_CORE_PASSWORD: 'pw' }).chain).toEqual({
      backend: 'core', url: 'http://127.0.0.1:18443', auth: { user: 'rpc', password: 'pw' }, timeoutMs: 10_000, scanTimeoutMs: 300_000, fallbackFeeRate: '1',
    });
    expect(loadConfig({ CONCLAVE_NETWORK: 'signet', CONCLAVE_CHAIN: 'core', CONCLAVE_CORE_COOKIE_FILE: '/var/lib/bitcoind/signet/.cookie' }).chain)
      .toMatchObject({ url: 'http://127.0.0.1:38332', auth: { cookieFile: '/var/lib/bitcoind/signet/.cookie' } });
  });

  it('reads Esplora with its URL, time-outs and fallback fee rate', () => {
    const config = loadConfig({
      CONCLAVE_NETWORK: 'mainnet', CONCLAVE_CHAIN: 'esplora', CONCLAVE_ESPLORA_URL: 'https://esplora.example/api',
      CONCLAVE_CHAIN_TIMEOUT_MS: '5000', CONCLAVE_CHAIN_SCAN_TIMEOUT_MS: '60000', CONCLAVE_FALLBACK_FEE_RATE: '4.5',
    });
    expect(config.chain).toEqual({ backend: 'esplora', url: 'https://esplora.example/api', timeoutMs: 5000, scanTimeoutMs: 60_000, fallbackFeeRate: '4.5' });
    expect(createChainBackend(config)).toBeInstanceOf(EsploraClient);
  });

  it.each([
    [{ CONCLAVE_CHAIN: 'electrum' }, 'CONCLAVE_CHAIN'],
    [{ CONCLAVE_CHAIN: 'core' }, 'CONCLAVE_CORE_COOKIE_FILE'],
    [{ CONCLAVE_CHAIN: 'core', CONCLAVE_CORE_USER: 'rpc' }, 'CONCLAVE_CORE_PASSWORD'],
    [{ CONCLAVE_CHAIN: 'core', CONCLAVE_CORE_PASSWORD: 'pw' }, 'CONCLAVE_CORE_USER'],
    [{ CONCLAVE_CHAIN: 'core', CONCLAVE_CORE_USER: 'rpc', CONCLAVE_CORE_PASSWORD: 'pw', CONCLAVE_CORE_COOKIE_FILE: '/c' }, 'CONCLAVE_CORE_COOKIE_FILE'],
    [{ CONCLAVE_CHAIN: 'core', CONCLAVE_CORE_URL: 'http://rpc:pw@127.0.0.1:8332', CONCLAVE_CORE_COOKIE_FILE: '/c' }, 'CONCLAVE_CORE_URL'],
    [{ CONCLAVE_CHAIN: 'esplora' }, 'CONCLAVE_ESPLORA_URL'],
    [{ CONCLAVE_CHAIN: 'esplora', CONCLAVE_ESPLORA_URL: 'ftp://esplora.example' }, 'CONCLAVE_ESPLORA_URL'],
    [{ CONCLAVE_CHAIN_TIMEOUT_MS: '10' }, 'CONCLAVE_CHAIN_TIMEOUT_MS'],
    [{ CONCLAVE_CHAIN_SCAN_TIMEOUT_MS: 'forever' }, 'CONCLAVE_CHAIN_SCAN_TIMEOUT_MS'],
    [{ CONCLAVE_FALLBACK_FEE_RATE: '0.0001' }, 'CONCLAVE_FALLBACK_FEE_RATE'],
    [{ CONCLAVE_CHAIN: 'esplora', CONCLAVE_ESPLORA_URL: 'http://e', CONCLAVE_MIN_FEE_RATE: '5' }, 'CONCLAVE_FALLBACK_FEE_RATE: 1 sat/vB is below CONCLAVE_MIN_FEE_RATE'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });
});

describe('createChainBackend / connectChainBackend', () => {
  it('builds a Core client for core', () => {
    const config = loadConfig({ CONCLAVE_CHAIN: 'core', CONCLAVE_CORE_USER: 'rpc', CONCLAVE_CORE_PASSWORD: 'pw' });
    expect(createChainBackend(config)).toBeInstanceOf(BitcoinCoreClient);
  });

  it('offline connects to nothing', async () => {
    await expect(connectChainBackend(loadConfig({}))).resolves.toBeNull();
  });

  it('a backend not reachable at start: refused without a handler, kept (and told) with one', async () => {
    const config = loadConfig({ CONCLAVE_CHAIN: 'esplora', CONCLAVE_ESPLORA_URL: 'http://127.0.0.1:9', CONCLAVE_CHAIN_TIMEOUT_MS: '500' });
    await expect(connectChainBackend(config)).rejects.toMatchObject({ code: 'CHAIN_UNAVAILABLE' });
    const told: string[] = [];
    const backend = await connectChainBackend(config, (error) => told.push(error.code));
    expect(backend).toBeInstanceOf(EsploraClient);
    expect(told).toEqual(['CHAIN_UNAVAILABLE']);
  });
});
