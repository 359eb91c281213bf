/**
 * signer-cli run inside the test process through its own `main` (argument parsing, commands,
 * output), with stdout captured and stderr (progress, prompts) silenced: faster than a child
 * process where the test needs no process boundary.
 */
import { main } from '../../signer-cli/main';

/** The exit code and everything the command printed on stdout. */
export async function runCliCaptured(...args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await main(['node', 'conclave-signer', ...args]), stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** With --json: the exit code and the one JSON object the command printed last. */
export async function runCliJson(...args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  const { code, stdout } = await runCliCaptured('--json', ...args);
  return { code, json: JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown> };
}
