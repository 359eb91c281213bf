/**
 * A 2-of-3 vault set up through real signer-cli processes, as keyholders would: init, join,
 * one proposes the vault, every keyholder pins it. Shared by the demo, the end-to-end test
 * and the benchmark, so all three run the same steps users run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeFundingTx } from './funding-tx';
import { type CliResult, runSigner } from './processes';

export interface CliKeyholder { name: string; home: string; identityKey: string; fingerprint: string; xpub: string }

export interface CliVault { vaultId: string; descriptor: string; firstAddress: string; keyholders: CliKeyholder[] }

export type Step = (line: string) => void;

export async function signer(home: string, args: string[], env: Record<string, string>): Promise<Record<string, unknown>> {
  const result: CliResult = await runSigner(home, ['--json', ...args], env);
  if (result.code !== 0 || !result.json) {
    throw new Error(`signer-cli ${args.join(' ')} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
  }
  return result.json;
}

export async function setUpCliVault(options: {
  root: string; coordinatorUrl: string; env: Record<string, string>; names?: string[]; threshold?: number; step?: Step;
  /** The keystores exist already (restored from known mnemonics). */
  skipInit?: boolean;
  /** Extra `vault create` options, e.g. ['--approvals', '1']. */
  createArgs?: string[];
}): Promise<CliVault> {
  const names = options.names ?? ['alice', 'bob', 'carol'];
  const step = options.step ?? (() => undefined);
  const keyholders = await createCliKeyholders({ ...options, names, step });
  const created = await signer(keyholders[0]!.home, ['vault', 'create', '--name', 'treasury', '--threshold', String(options.threshold ?? 2), ...names.flatMap((n) => ['--member', n]), ...(options.createArgs ?? [])], options.env);
  const vault = { id: String(created.vaultId), descriptor: String(created.descriptor) };
  step(`${names[0]}: proposed vault ${vault.id}\n      ${vault.descriptor}`);
  let firstAddress = '';
  for (const k of keyholders) {
    const pinned = await signer(k.home, ['vault', 'pin', vault.id, '--yes'], options.env);
    firstAddress = String(pinned.firstAddress);
    step(`${k.name}: checked own key, derived first address ${pinned.firstAddress} itself, pinned and confirmed`);
  }
  return { vaultId: vault.id, descriptor: vault.descriptor, firstAddress, keyholders };
}

/** Each keyholder creates (or, with skipInit, opens) an encrypted keystore and joins the coordinator. */
export async function createCliKeyholders(options: {
  root: string; coordinatorUrl: string; env: Record<string, string>; names: string[]; step?: Step; skipInit?: boolean;
}): Promise<CliKeyholder[]> {
  const keyholders: CliKeyholder[] = [];
  for (const name of options.names) {
    const home = join(options.root, name);
    const init = await signer(home, options.skipInit ? ['whoami'] : ['init', '--network', 'regtest'], options.env);
    await signer(home, ['--coordinator', options.coordinatorUrl, 'join', '--name', name], options.env);
    const key = init.accountKey as { xpub: string };
    keyholders.push({ name, home, identityKey: String(init.identityKey), fingerprint: String(init.fingerprint), xpub: key.xpub });
    options.step?.(`${name}: keystore created and joined; identity fingerprint ${init.fingerprint}`);
  }
  return keyholders;
}

/** Registers a deposit of `amount` sats to the vault's first receive address. */
export async function depositToFirstAddress(vault: CliVault, root: string, amount: bigint, env: Record<string, string>): Promise<{ txid: string; vout: number; amount: bigint }> {
  const funding = fakeFundingTx([{ address: vault.firstAddress, amount }], 'regtest');
  const file = join(root, `funding-${funding.txid.slice(0, 8)}.hex`);
  writeFileSync(file, funding.hex);
  await signer(vault.keyholders[0]!.home, ['deposit', vault.vaultId, '--tx-file', file], env);
  return { txid: funding.txid, vout: 0, amount };
}
