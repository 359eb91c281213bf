/**
 * A lock file shared by every signer process on one home (`listen` and a command run beside it).
 * Node has no flock, and a native module for it would have to be built on every keyholder's
 * machine, so the lock is a file created with O_EXCL holding its owner's pid.
 *
 * A lock left by a process that was killed (kill -9) must not block the signer forever, so a
 * lock whose owner is gone is taken over. Taking over is where two processes can race: both
 * see the dead pid, one removes the stale lock and creates its own, and the other, still
 * acting on what it read earlier, removes that live lock. So a takeover happens only while
 * holding a second, short-lived guard file, and the lock is re-read under the guard: whoever
 * comes second sees the live lock (or none) and leaves it alone.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { ConclaveError } from '../../protocol/errors';

/** A lock whose pid cannot be read yet is being created; after this long its creator is gone. */
const UNREADABLE_LOCK_STALE_MS = 2000;
/** The guard is held for one read and one unlink; older than this, its holder was killed inside. */
const GUARD_STALE_MS = 2000;
const RETRY_MS = 25;

export class FileLock {
  private readonly guardPath: string;

  constructor(readonly path: string, private readonly timeoutMs: number) {
    this.guardPath = `${path}.takeover`;
  }

  /** Runs `fn` holding the lock; waits up to the timeout for another holder. */
  withLock<T>(fn: () => T): T {
    this.acquire();
    try {
      return fn();
    } finally {
      unlinkSync(this.path);
    }
  }

  /** Like withLock, but holds the lock across `fn`'s awaits (a long-running command). */
  async withLockAsync<T>(fn: () => Promise<T>): Promise<T> {
    this.acquire();
    try {
      return await fn();
    } finally {
      unlinkSync(this.path);
    }
  }

  private acquire(): void {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      if (createExclusive(this.path, String(process.pid))) return;
      if (this.takeOverIfStale()) continue;
      if (Date.now() > deadline) {
        throw new ConclaveError('VALIDATION_FAILED', `${this.path}: another signer process holds the state lock`);
      }
      sleep(RETRY_MS);
    }
  }

  /** Removes the lock when its owner is gone, deciding under the guard; true when it did. */
  private takeOverIfStale(): boolean {
    if (!createExclusive(this.guardPath, String(process.pid))) {
      removeIfOlderThan(this.guardPath, GUARD_STALE_MS);
      return false;
    }
    try {
      if (!this.isStale()) return false;
      unlinkSync(this.path);
      return true;
    } finally {
      unlinkSync(this.guardPath);
    }
  }

  private isStale(): boolean {
    let pid: number;
    let ageMs: number;
    try {
      pid = Number.parseInt(readFileSync(this.path, 'utf8'), 10);
      ageMs = Date.now() - statSync(this.path).mtimeMs;
    } catch {
      return false; // gone already: the next attempt simply creates it
    }
    if (!Number.isSafeInteger(pid) || pid <= 0) return ageMs > UNREADABLE_LOCK_STALE_MS;
    return pid !== process.pid && !isAlive(pid);
  }
}

/** Creates `path` only if it does not exist (O_EXCL); false when it does. */
function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function removeIfOlderThan(path: string, ms: number): void {
  try {
    if (Date.now() - statSync(path).mtimeMs > ms) unlinkSync(path);
  } catch {
    // removed meanwhile by its holder or another waiter
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
