/**
 * Interactive prompts on the controlling terminal. Prompts are written to stderr so that
 * stdout carries only command output (one JSON object with --json). Nothing typed at the
 * hidden prompt is echoed.
 */
import { createInterface } from 'node:readline';
import { ConclaveError } from '../protocol/errors';

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export function readHidden(prompt: string): Promise<string> {
  if (!isInteractive()) {
    return Promise.reject(new ConclaveError('VALIDATION_FAILED', 'passphrase: no terminal to prompt on; use --passphrase-file or CONCLAVE_PASSPHRASE'));
  }
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new ConclaveError('USER_DECLINED', 'passphrase prompt interrupted'));
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** Asks a yes/no question; anything but "y" or "yes" is a no. */
export async function confirm(question: string): Promise<boolean> {
  if (!isInteractive()) {
    throw new ConclaveError('VALIDATION_FAILED', 'confirmation needed but there is no terminal; review first, then pass --yes');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`${question} [y/N] `, resolve));
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
