/**
 * `npm run demo`: a whole 2-of-3 withdrawal with real processes on a fresh machine. Starts a
 * coordinator on SQLite in a temporary directory, creates three encrypted keystores with the
 * signer CLI, sets up and pins a vault, registers a deposit, proposes a withdrawal, lets two
 * signer processes sign over WebSocket, checks the final transaction independently, and has a
 * signer verify the coordinator's audit log.
 * Exits 0 only if every check passed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { depositToFirstAddress, setUpCliVault, signer } from '../support/cli-vault';
import { startCoordinator, spawnSigner } from '../support/processes';
import { verifyFinalTransaction } from './verify-final-tx';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const AMOUNT = 250_000n;
const DEPOSIT = 1_000_000n;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function waitForExit(child: ChildProcess, name: string, timeoutMs: number): Promise<string> {
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

async function main(): Promise<number> {
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'conclave-demo-'));
  const env = { CONCLAVE_PASSPHRASE: 'demo passphrase - not for real funds' };
  say(`Conclave demo: 2-of-3 P2WSH vault on regtest, offline chain mode, working directory ${root}`);
  const coordinator = await startCoordinator({ CONCLAVE_DATA_DIR: join(root, 'coordinator'), CONCLAVE_NETWORK: 'regtest', DATABASE_URL: undefined, DATABASE_SCHEMA: undefined });
  let ok = false;
  try {
    say(`1. coordinator listening at ${coordinator.url} (SQLite in ${join(root, 'coordinator')})`);
    say('2. three keyholders create encrypted keystores (scrypt + XChaCha20-Poly1305) and join');
    const vault = await setUpCliVault({ root, coordinatorUrl: coordinator.url, env, step: (line) => say(`   ${line}`) });
    const [alice, bob, carol] = vault.keyholders as [typeof vault.keyholders[0], typeof vault.keyholders[0], typeof vault.keyholders[0]];

    const coin = await depositToFirstAddress(vault, root, DEPOSIT, env);
    say(`3. deposit registered: ${coin.txid}:${coin.vout}, ${DEPOSIT} sats to ${vault.firstAddress}`);

    const listeners = [bob, carol].map((k) => ({ k, child: spawnSigner(k.home, ['--json', 'listen', '--yes', '--exit-after', '1'], env) }));
    const done = listeners.map(({ k, child }) => waitForExit(child, `${k.name}'s signer`, 120_000));
    say(`4. ${bob.name} and ${carol.name} run "listen" and wait for signing requests over WebSocket`);

    const proposal = await signer(alice.home, ['propose', vault.vaultId, '--to', DESTINATION, '--amount', String(AMOUNT), '--fee-rate', '2'], env);
    const withdrawalId = String(proposal.withdrawalId);
    say(`5. ${alice.name} proposed withdrawal ${withdrawalId}: ${AMOUNT} sats to ${DESTINATION} at 2 sat/vB`);

    await Promise.all(done);
    say(`6. both signers verified the PSBT against the signed intent and their pinned descriptor, and signed`);

    const shown = await signer(alice.home, ['withdrawal', 'show', withdrawalId], env);
    const state = String((shown.withdrawal as { state?: string } | undefined)?.state ?? shown.state);
    const tx = await signer(alice.home, ['withdrawal', 'tx', withdrawalId, '--out', join(root, 'final.hex')], env);
    say(`7. withdrawal state: ${state}; final transaction written to ${join(root, 'final.hex')}`);
    say(`   txid ${tx.txid}`);
    say(`   hex  ${tx.hex}`);

    say('8. independent check with @scure/btc-signer and @noble/curves:');
    const findings = verifyFinalTransaction({
      txHex: String(tx.hex),
      inputs: [coin],
      destination: { address: DESTINATION, amount: AMOUNT },
      vault: { threshold: 2, xpubs: vault.keyholders.map((k) => k.xpub), changeIndex: 0 },
    });
    for (const line of findings) say(`   ${line}`);

    // Bob listened, so he kept the signed audit heads pushed to him; his check covers them too.
    const audit = await signer(bob.home, ['audit', 'verify'], env);
    const verified = audit.verified as { coordinatorSignatures: number; evidence: number; seenHeads: number };
    say(`9. ${bob.name} verified the audit log: ${audit.count} events, hash chain, ${verified.coordinatorSignatures} coordinator signatures`);
    say(`   (key pinned at join), ${verified.evidence} signed statements, ${verified.seenHeads} heads seen while listening`);
    ok = state === 'exported' && findings.every((line) => line.startsWith('ok')) && audit.valid === true;
    if (state !== 'exported') say(`   FAIL withdrawal state is ${state}, expected exported`);
  } finally {
    await coordinator.stop();
  }
  say(ok ? `Demo passed in ${((Date.now() - started) / 1000).toFixed(1)}s.` : 'Demo FAILED.');
  if (ok) rmSync(root, { recursive: true, force: true });
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`Demo FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
