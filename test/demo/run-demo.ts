/**
 * `npm run demo [-- --kind multisig|frost]`: a whole 2-of-3 withdrawal with real processes on a
 * fresh machine. Starts a coordinator on SQLite in a temporary directory and runs the demo of
 * the chosen vault kind (multisig-demo.ts, frost-demo.ts) through signer CLI processes: keystores,
 * vault, deposit, proposal, signing over WebSocket, an independent check of the final
 * transaction, and a signer verifying the coordinator's audit log.
 * Exits 0 only if every check passed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCoordinator } from '../support/processes';
import { say } from './demo-steps';
import { frostDemo } from './frost-demo';
import { multisigDemo } from './multisig-demo';

const KINDS = { multisig: multisigDemo, frost: frostDemo } as const;
type Kind = keyof typeof KINDS;

function kindFromArgs(argv: string[]): Kind {
  const at = argv.indexOf('--kind');
  const kind = at < 0 ? 'multisig' : argv[at + 1];
  if (kind !== 'multisig' && kind !== 'frost') throw new Error(`--kind: expected multisig or frost, got ${String(kind)}`);
  return kind;
}

async function main(): Promise<number> {
  const kind = kindFromArgs(process.argv.slice(2));
  const started = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'conclave-demo-'));
  const env = { CONCLAVE_PASSPHRASE: 'demo passphrase - not for real funds' };
  say(`Conclave demo: 2-of-3 ${kind === 'frost' ? 'FROST Taproot' : 'P2WSH'} vault on regtest, offline chain mode, working directory ${root}`);
  const coordinator = await startCoordinator({ CONCLAVE_DATA_DIR: join(root, 'coordinator'), CONCLAVE_NETWORK: 'regtest', DATABASE_URL: undefined, DATABASE_SCHEMA: undefined });
  let ok = false;
  try {
    say(`1. coordinator listening at ${coordinator.url} (SQLite in ${join(root, 'coordinator')})`);
    ok = await KINDS[kind](root, coordinator.url, env);
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
