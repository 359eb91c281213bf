/**
 * Real processes for end-to-end runs and the demo: a coordinator (`dist/server/main.js`) and
 * signer CLIs (`dist/signer-cli/main.js`), talking over loopback exactly as users run them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { basename, join } from 'node:path';

// Compiled output: this file runs from dist/test/support (demo, bench) or from test/support
// under jest; either way the processes started are the built ones in dist/.
const UP_TWO = join(__dirname, '..', '..');
export const DIST = basename(UP_TWO) === 'dist' ? UP_TWO : join(UP_TWO, 'dist');
export const SERVER_MAIN = join(DIST, 'server', 'main.js');
export const SIGNER_MAIN = join(DIST, 'signer-cli', 'main.js');

export interface Coordinator { url: string; process: ChildProcess; logs: string[]; stop(): Promise<void> }

/** `env` entries set to undefined are removed from the inherited environment. */
export async function startCoordinator(env: Record<string, string | undefined>): Promise<Coordinator> {
  const merged: Record<string, string | undefined> = { ...process.env, CONCLAVE_PORT: '0', CONCLAVE_LOG_LEVEL: 'warn', ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coordinator did not start:\n${logs.join('')}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      logs.push(chunk.toString());
      const match = /"msg":"coordinator listening","url":"([^"]+)"/.exec(logs.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`coordinator exited with ${code}:\n${logs.join('')}`));
    });
  });
  return {
    url, process: child, logs,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

export interface CliResult { code: number; stdout: string; stderr: string; json: Record<string, unknown> | null }

/** Runs one signer-cli command to completion; `--json` output is parsed when present. */
export function runSigner(home: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SIGNER_MAIN, '--home', home, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      let json: Record<string, unknown> | null = null;
      const last = stdout.trim().split('\n').pop();
      try {
        json = last ? (JSON.parse(last) as Record<string, unknown>) : null;
      } catch {
        json = null;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
  });
}

/** Starts a long-running signer command (e.g. `listen`) and returns the child. */
export function spawnSigner(home: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [SIGNER_MAIN, '--home', home, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}
