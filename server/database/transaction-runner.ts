/**
 * Runs units of work in one database transaction each. TypeORM's better-sqlite3 driver
 * shares one query runner, so concurrent transactions interleave and lose atomicity (see
 * STACK.md): on SQLite every transaction goes through one queue. PostgreSQL runs them
 * concurrently, with row locks and conditional updates guarding shared rows.
 *
 * Work may register hooks that run only once its transaction has committed (live pushes about
 * what it wrote: a signer told about a change that was then rolled back would act on a lie).
 */
import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';

type Hooks = Map<string, () => void>;

export class TransactionRunner {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly open = new WeakMap<EntityManager, Hooks>();
  private readonly logger = new Logger('TransactionRunner');

  constructor(private readonly dataSource: DataSource) {}

  get isSqlite(): boolean {
    return this.dataSource.options.type === 'better-sqlite3';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const hooks: Hooks = new Map();
    const unit = async (manager: EntityManager): Promise<T> => {
      this.open.set(manager, hooks);
      try {
        return await work(manager);
      } finally {
        this.open.delete(manager);
      }
    };
    let committed: Promise<T>;
    if (this.isSqlite) {
      committed = this.queue.then(() => this.dataSource.transaction(unit));
      this.queue = committed.catch(() => undefined);
    } else {
      committed = this.dataSource.transaction('READ COMMITTED', unit);
    }
    return committed.then((result) => {
      this.runHooks(hooks);
      return result;
    });
  }

  /**
   * Runs `hook` after the transaction of `manager` commits (never if it rolls back). A later
   * hook under the same key replaces an earlier one, so only the last of several similar
   * pushes in one transaction is sent. `manager` MUST come from `run`.
   */
  afterCommit(manager: EntityManager, key: string, hook: () => void): void {
    const hooks = this.open.get(manager);
    if (!hooks) throw new Error('afterCommit: the entity manager is not one of a running TransactionRunner transaction');
    hooks.delete(key);
    hooks.set(key, hook);
  }

  private runHooks(hooks: Hooks): void {
    for (const [key, hook] of hooks) {
      try {
        hook();
      } catch (error) {
        // The change is committed whatever a push does; a failed push is only logged.
        this.logger.error({ msg: 'after-commit hook failed', key, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
