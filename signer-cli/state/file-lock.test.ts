/**
 * The state lock between signer processes on one home: mutual exclusion across real
 * processes, a dead owner's lock taken over, and a takeover decided only under the guard.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST } from '../../test/support/processes';
import { FileLock } from './file-lock';

const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid as number;
const fresh = () => join(mkdtempSync(join(tmpdir(), 'conclave-lock-')), 'state.json.lock');

describe('state lock', () => {
  test('a lock whose owner is dead is taken over, and released after use', () => {
    const path = fresh();
    writeFileSync(path, String(deadPid()));
    expect(new FileLock(path, 300).withLock(() => readFileSync(path, 'utf8'))).toBe(String(process.pid));
    expect(existsSync(path)).toBe(false);
  });

  test('a live owner is waited for until the timeout', () => {
    const path = fresh();
    writeFileSync(path, String(process.ppid));
    expect(() => new FileLock(path, 200).withLock(() => 'ran')).toThrow(/another signer process holds the state lock/);
    expect(readFileSync(path, 'utf8')).toBe(String(process.ppid));
  });

  test('no takeover while another process holds the takeover guard', () => {
    const path = fresh();
    writeFileSync(path, String(deadPid()));
    writeFileSync(`${path}.takeover`, String(process.ppid));
    expect(() => new FileLock(path, 200).withLock(() => 'ran')).toThrow(/holds the state lock/);
    expect(existsSync(path)).toBe(true);
  });

  test('a guard left by a process killed inside a takeover expires, and the takeover then happens', () => {
    const path = fresh();
    writeFileSync(path, String(deadPid()));
    writeFileSync(`${path}.takeover`, String(deadPid()));
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.takeover`, old, old);
    expect(new FileLock(path, 1000).withLock(() => 'ran')).toBe('ran');
    expect(existsSync(`${path}.takeover`)).toBe(false);
  });

  test('four processes racing for a dead owner\'s lock never lose an update', async () => {
    const path = fresh();
    const counter = join(path, '..', 'counter');
    writeFileSync(counter, '0');
    writeFileSync(path, String(deadPid()));
    const worker = `
      const fs = require('node:fs');
      const { FileLock } = require(${JSON.stringify(join(DIST, 'signer-cli', 'state', 'file-lock.js'))});
      const lock = new FileLock(${JSON.stringify(path)}, 30000);
      for (let i = 0; i < 40; i++) {
        lock.withLock(() => {
          const n = Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8'));
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
          fs.writeFileSync(${JSON.stringify(counter)}, String(n + 1));
        });
      }`;
    const exits = await Promise.all(Array.from({ length: 4 }, () => new Promise<number | null>((resolve) => {
      spawn(process.execPath, ['-e', worker], { stdio: 'inherit' }).on('exit', resolve);
    })));
    expect(exits).toEqual([0, 0, 0, 0]);
    expect(readFileSync(counter, 'utf8')).toBe('160');
    expect(existsSync(path)).toBe(false);
  });
});
