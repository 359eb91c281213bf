/**
 * Runs units of work in one database transaction each. TypeORM's better-sqlite3 driver
 * shares one query runner, so concurrent transactions interleave and lose atomicity (see
 * STACK.md): on SQLite every transaction goes through one queue. PostgreSQL runs them
 * concurrently, with row locks and conditional updates guarding shared rows.
 */
import type { DataSource, EntityManager } from 'typeorm';

export class TransactionRunner {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataSource: DataSource) {}

  get isSqlite(): boolean {
    return this.dataSource.options.type === 'better-sqlite3';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.isSqlite) return this.dataSource.transaction('READ COMMITTED', work);
    const result = this.queue.then(() => this.dataSource.transaction(work));
    this.queue = result.catch(() => undefined);
    return result;
  }
}
