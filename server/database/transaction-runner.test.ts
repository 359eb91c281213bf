/**
 * After-commit hooks: what a transaction registers runs only once it has committed (a signer
 * must never hear of a change that was rolled back), and a later hook under the same key
 * replaces an earlier one (one audit.head push per transaction, the last).
 */
import { Logger } from '@nestjs/common';
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { TransactionRunner } from './transaction-runner';

describe('TransactionRunner after-commit hooks', () => {
  let dataSource: DataSource;
  let runner: TransactionRunner;
  beforeEach(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:' }).initialize();
    await dataSource.query('CREATE TABLE t (n integer NOT NULL)');
    runner = new TransactionRunner(dataSource);
  });
  afterEach(async () => dataSource.destroy());

  test('run after the commit, with the committed rows visible, and only the last under each key', async () => {
    const seen: string[] = [];
    const count = async () => Number((await dataSource.query('SELECT count(*) AS n FROM t'))[0].n);
    let rowsAtHook = -1;
    await runner.run(async (manager) => {
      await manager.query('INSERT INTO t (n) VALUES (1)');
      runner.afterCommit(manager, 'head', () => seen.push('head 1'));
      runner.afterCommit(manager, 'other', () => seen.push('other'));
      runner.afterCommit(manager, 'head', () => {
        seen.push('head 2');
        void count().then((n) => { rowsAtHook = n; });
      });
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['other', 'head 2']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(rowsAtHook).toBe(1);
  });

  test('never run when the transaction rolls back', async () => {
    const seen: string[] = [];
    await expect(runner.run(async (manager) => {
      await manager.query('INSERT INTO t (n) VALUES (1)');
      runner.afterCommit(manager, 'head', () => seen.push('head'));
      throw new Error('refused');
    })).rejects.toThrow('refused');
    expect(seen).toEqual([]);
    expect(Number((await dataSource.query('SELECT count(*) AS n FROM t'))[0].n)).toBe(0);
  });

  test('a failing hook does not fail the committed work; a manager from outside run() is a bug', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await expect(runner.run(async (manager) => {
      runner.afterCommit(manager, 'head', () => { throw new Error('socket gone'); });
      return 'done';
    })).resolves.toBe('done');
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ msg: 'after-commit hook failed', key: 'head' }));
    logged.mockRestore();
    expect(() => runner.afterCommit(dataSource.manager, 'head', () => undefined)).toThrow(/not one of a running/);
  });
});
