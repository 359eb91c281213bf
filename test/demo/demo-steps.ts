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

type Signer = (home: string, args: string[], env: Record<string, string>) => Promise<Record<string, unknown>>;

/** Step 7: the withdrawal's state and its final transaction, written to `final.hex` in `root`. */
export async function finalTransaction(run: Signer, home: string, withdrawalId: string, root: string, env: Record<string, string>): Promise<{ state: string; hex: string }> {
  const shown = await run(home, ['withdrawal', 'show', withdrawalId], env);
  const state = String((shown.withdrawal as { state?: string } | undefined)?.state ?? shown.state);
  const file = `${root}/final.hex`;
  const tx = await run(home, ['withdrawal', 'tx', withdrawalId, '--out', file], env);
  say(`7. withdrawal state: ${state}; final transaction written to ${file}`);
  say(`   txid ${tx.txid}`);
  say(`   hex  ${tx.hex}`);
  return { state, hex: String(tx.hex) };
}

/**
 * Step 9: a keyholder who listened (and so kept the signed audit heads pushed to it) verifies
 * the coordinator's whole audit log; then the demo's verdict.
 */
export async function auditAndVerdict(run: Signer, who: { name: string; home: string }, env: Record<string, string>, state: string, findings: string[]): Promise<boolean> {
  const audit = await run(who.home, ['audit', 'verify'], env);
  const verified = audit.verified as { coordinatorSignatures: number; evidence: number; seenHeads: number };
  say(`9. ${who.name} verified the audit log: ${audit.count} events, hash chain, ${verified.coordinatorSignatures} coordinator signatures`);
  say(`   (key pinned at join), ${verified.evidence} signed statements, ${verified.seenHeads} heads seen while listening`);
  if (state !== 'exported') say(`   FAIL withdrawal state is ${state}, expected exported`);
  return state === 'exported' && findings.every((line) => line.startsWith('ok')) && audit.valid === true;
}
