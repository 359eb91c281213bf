/**
 * TypeORM options for the two supported databases: SQLite (better-sqlite3, a file in the
 * data directory; the embedded default) and PostgreSQL (DATABASE_URL). Schema changes only
 * ever come from the per-dialect migrations; `synchronize` stays off.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/config';
import { ENTITIES } from './entities';
import { POSTGRES_MIGRATIONS } from './migrations/postgres';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';

export type Dialect = 'sqlite' | 'postgres';

export function dialectOf(config: Pick<AppConfig, 'databaseUrl'>): Dialect {
  return config.databaseUrl ? 'postgres' : 'sqlite';
}

export function dataSourceOptions(config: Pick<AppConfig, 'databaseUrl' | 'databaseSchema' | 'dataDir'>): DataSourceOptions {
  if (config.databaseUrl) {
    return {
      type: 'postgres',
      url: config.databaseUrl,
      schema: config.databaseSchema,
      entities: ENTITIES,
      migrations: POSTGRES_MIGRATIONS,
      migrationsRun: false,
      synchronize: false,
      // The migrations' SQL is unqualified: search_path makes it land in the configured schema.
      extra: { max: 10, ...(config.databaseSchema ? { options: `-c search_path=${config.databaseSchema}` } : {}) },
    };
  }
  const dir = resolve(config.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    type: 'better-sqlite3',
    database: join(dir, 'conclave.sqlite'),
    entities: ENTITIES,
    migrations: SQLITE_MIGRATIONS,
    migrationsRun: false,
    synchronize: false,
    // WAL keeps readers going during a write; FULL sync makes each commit durable (invariant 9).
    prepareDatabase: (db: { pragma: (sql: string) => unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
    },
  };
}
