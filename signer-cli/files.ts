/**
 * Durable local files (DESIGN.md invariant 9: a crash at any point loses nothing). A file is
 * replaced by writing a temporary sibling, fsyncing it, renaming it over the target and
 * fsyncing the directory, so a reader sees either the old or the new content, never a torn one,
 * and the new content survives a power cut once this returns.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'wx', mode);
  try {
    // openSync's mode is filtered by the umask; the keystore must be 0600 whatever the umask.
    fchmodSync(fd, mode);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(tmp);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (error) {
    unlinkSync(tmp);
    throw error;
  }
  fsyncDir(dir);
}

/** Removes a file, if present, so that the removal survives a power cut once this returns. */
export function removeFileDurably(path: string): void {
  if (!existsSync(path)) return;
  unlinkSync(path);
  fsyncDir(dirname(path));
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
