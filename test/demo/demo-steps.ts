/** Output and process helpers shared by the demos. */
import type { ChildProcess } from 'node:child_process';

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Resolves with a child's output when it exits 0; rejects on another exit or after the timeout. */
export function waitForExit(child: ChildProcess, name: string, timeoutMs: number): Promise<string> {
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not finish within ${timeoutMs / 1000}s:\n${output}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${name} exited with ${code}:\n${output}`));
    });
  });
}
