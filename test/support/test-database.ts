/**
 * The database a test runs against: SQLite in a fresh temporary directory by default, or,
 * when DATABASE_URL is set (CI's second pass), PostgreSQL in a schema of the test's own,
 * dropped afterwards, so test files can run side by side on one database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';

export interface TestDatabase {
  env: Record<string, string>;
  dialect: 'sqlite' | 'postgres';
  dataDir: string;
  schema?: string;
  cleanup(): Promise<void>;
}

export function testDatabase(): TestDatabase {
  const dataDir = mkdtempSync(join(tmpdir(), 'conclave-test-'));
  const url = process.env.DATABASE_URL;
  if (!url) {
    return { env: { CONCLAVE_DATA_DIR: dataDir }, dialect: 'sqlite', dataDir, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  return {
    env: { CONCLAVE_DATA_DIR: dataDir, DATABASE_URL: url, DATABASE_SCHEMA: schema },
    dialect: 'postgres', dataDir, schema,
    cleanup: async () => {
      const ds = await new DataSource({ type: 'postgres', url }).initialize();
      try {
        await ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await ds.destroy();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
