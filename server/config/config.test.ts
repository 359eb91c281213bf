/** Configuration from the environment: defaults, and a refusal that names the variable. */
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('gives the embedded defaults: SQLite in ./.conclave-data, regtest, loopback', () => {
    expect(loadConfig({})).toMatchObject({ host: '127.0.0.1', port: 8650, dataDir: './.conclave-data', network: 'regtest', databaseUrl: undefined, logFormat: 'json', gapLimit: 20 });
  });

  it('keeps the coordinator identity key in the data directory unless CONCLAVE_SERVER_KEY_FILE says otherwise', () => {
    expect(loadConfig({ CONCLAVE_DATA_DIR: '/var/lib/conclave' }).serverKeyFile).toBe('/var/lib/conclave/coordinator-identity.key');
    expect(loadConfig({ CONCLAVE_SERVER_KEY_FILE: '/run/secrets/conclave.key' }).serverKeyFile).toBe('/run/secrets/conclave.key');
  });

  it('reads PostgreSQL and the network from the environment', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/conclave', CONCLAVE_NETWORK: 'signet', CONCLAVE_PORT: '9000' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u@db:5432/conclave', network: 'signet', port: 9000 });
  });

  it.each([
    [{ CONCLAVE_NETWORK: 'bitcoin' }, 'CONCLAVE_NETWORK'],
    [{ CONCLAVE_PORT: '70000' }, 'CONCLAVE_PORT'],
    [{ CONCLAVE_PORT: 'eighty' }, 'CONCLAVE_PORT'],
    [{ DATABASE_URL: 'mysql://root@localhost/x' }, 'DATABASE_URL'],
    [{ CONCLAVE_MIN_FEE_RATE: '0.01' }, 'CONCLAVE_MIN_FEE_RATE'],
    [{ DATABASE_SCHEMA: 'Robert"); DROP' }, 'DATABASE_SCHEMA'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(variable));
  });
});
