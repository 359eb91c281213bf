/**
 * A t-of-n FROST Taproot vault made through real signer-cli processes, as keyholders would:
 * each creates a keystore and joins, the first opens the setup (`frost open --no-wait`), every
 * other runs `frost join` at the same time, and the opener finishes with `frost join`. Shared
 * by the FROST demo and the end-to-end tests, so they run the steps users run.
 */
import { type CliKeyholder, type Step, createCliKeyholders, signer } from './cli-vault';

export interface CliFrostVault {
  vaultId: string;
  descriptor: string;
  firstAddress: string;
  threshold: number;
  keyholders: CliKeyholder[];
}

export async function setUpCliFrostVault(options: {
  root: string; coordinatorUrl: string; env: Record<string, string>; names?: string[]; threshold?: number; step?: Step; keyholders?: CliKeyholder[];
}): Promise<CliFrostVault> {
  const names = options.names ?? ['alice', 'bob', 'carol'];
  const threshold = options.threshold ?? 2;
  const step = options.step ?? (() => undefined);
  const keyholders = options.keyholders ?? await createCliKeyholders({ ...options, names, step });
  const [opener, ...others] = keyholders as [CliKeyholder, ...CliKeyholder[]];
  const opened = await signer(opener.home, [
    'frost', 'open', '--name', 'frost treasury', '--threshold', String(threshold), '--members', keyholders.map((k) => k.name).join(','), '--yes', '--no-wait',
  ], options.env);
  const setupId = String(opened.setupId);
  step(`${opener.name}: opened FROST setup ${setupId} (${threshold} of ${keyholders.length}) and sent a signed round-1 package`);
  const results = await Promise.all([opener, ...others].map((k) => signer(k.home, ['frost', 'join', setupId, '--yes'], options.env)));
  for (const [i, r] of results.entries()) {
    step(`${keyholders[i]!.name}: rounds done, certificate of ${keyholders.length} transcript signatures verified, descriptor derived and pinned`);
    if (r.vaultId !== results[0]!.vaultId || r.firstAddress !== results[0]!.firstAddress || r.descriptor !== results[0]!.descriptor) {
      throw new Error(`keyholders disagree on the vault: ${JSON.stringify(results.map((x) => [x.vaultId, x.firstAddress]))}`);
    }
  }
  const first = results[0]!;
  return { vaultId: String(first.vaultId), descriptor: String(first.descriptor), firstAddress: String(first.firstAddress), threshold, keyholders };
}
