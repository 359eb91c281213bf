/**
 * Database errors a request can cause become stable codes, never an INTERNAL 500: a value the
 * database cannot hold (PostgreSQL SQLSTATE class 22, data exception) is VALIDATION_FAILED, a
 * lost race on a unique row is CONFLICT_RETRY (not DUPLICATE_REQUEST, which means a request id
 * reused with other content). Real driver errors where a database is at hand.
 */
import 'reflect-metadata';
import { DataSource, QueryFailedError } from 'typeorm';
import { toConclaveError } from './error.filter';

const driverError = (code: string) => Object.assign(new Error(`driver error ${code}`), { code });
const queryFailed = (code: string) => new QueryFailedError('SELECT 1', [], driverError(code));
const mapped = (error: unknown) => {
  const e = toConclaveError(error);
  return e && [e.status, e.code];
};

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the query to fail');
}

describe('database errors as answers', () => {
  test.each(['22001', '22003', '22021', '22P02', '22007'])('PostgreSQL data exception %s is VALIDATION_FAILED', (code) => {
    expect(mapped(queryFailed(code))).toEqual([400, 'VALIDATION_FAILED']);
  });

  test.each(['SQLITE_TOOBIG', 'SQLITE_MISMATCH'])('SQLite data error %s is VALIDATION_FAILED', (code) => {
    expect(mapped(queryFailed(code))).toEqual([400, 'VALIDATION_FAILED']);
  });

  test.each(['23505', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY'])('a lost race on a unique row (%s) is CONFLICT_RETRY', (code) => {
    expect(mapped(queryFailed(code))).toEqual([409, 'CONFLICT_RETRY']);
  });

  test('other database failures stay unmapped (an INTERNAL 500 that is logged)', () => {
    expect(toConclaveError(queryFailed('42P01'))).toBeNull();
    expect(toConclaveError(queryFailed('SQLITE_ERROR'))).toBeNull();
  });

  test('real SQLite errors', async () => {
    const ds = await new DataSource({ type: 'better-sqlite3', database: ':memory:' }).initialize();
    try {
      await ds.query('CREATE TABLE t (id varchar(4) PRIMARY KEY)');
      await ds.query('INSERT INTO t (id) VALUES (?)', ['a']);
      expect(mapped(await failure(() => ds.query('INSERT INTO t (id) VALUES (?)', ['a'])))).toEqual([409, 'CONFLICT_RETRY']);
    } finally {
      await ds.destroy();
    }
  });

  // Like every database test here, this runs in CI's PostgreSQL pass (DATABASE_URL set); the
  // SQLite pass has the SQLite errors above.
  if (process.env.DATABASE_URL) test('real PostgreSQL errors: out of range, NUL in text, too long, unique race', async () => {
    const ds = await new DataSource({ type: 'postgres', url: process.env.DATABASE_URL }).initialize();
    const runner = ds.createQueryRunner(); // one connection, which sees its temporary table
    try {
      expect(mapped(await failure(() => runner.query('SELECT $1::int4 AS n', ['3000000000'])))).toEqual([400, 'VALIDATION_FAILED']);
      expect(mapped(await failure(() => runner.query('SELECT $1::text AS s', ['a\u0000b'])))).toEqual([400, 'VALIDATION_FAILED']);
      await runner.query('CREATE TEMPORARY TABLE t (id varchar(4) PRIMARY KEY)');
      expect(mapped(await failure(() => runner.query('INSERT INTO t (id) VALUES ($1)', ['abcdef'])))).toEqual([400, 'VALIDATION_FAILED']);
      await runner.query('INSERT INTO t (id) VALUES ($1)', ['a']);
      expect(mapped(await failure(() => runner.query('INSERT INTO t (id) VALUES ($1)', ['a'])))).toEqual([409, 'CONFLICT_RETRY']);
    } finally {
      await runner.release();
      await ds.destroy();
    }
  });
});
