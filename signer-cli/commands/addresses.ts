/**
 * `addresses <vaultId> [--change] [--from N] [--count N]`: vault addresses derived here from
 * the pinned descriptor, compared one by one with the coordinator's list. Any difference is
 * PIN_MISMATCH: a coordinator showing other addresses could be collecting deposits elsewhere.
 */
import { z } from 'zod';
import { idSchema } from '../../protocol/api';
import { deriveVaultScript } from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import type { CliContext } from '../context';
import { addressViewSchema } from '../coordinator/views';
import type { CommandResult } from '../output';
import { findPinned } from '../state/state-file';
import { parseArg, parseCount } from '../validate';
import { pinnedDescriptor } from '../vault/pinned';

export interface AddressesOptions { change?: boolean; from: string; count: string }

export async function runAddresses(ctx: CliContext, vaultId: string, options: AddressesOptions): Promise<CommandResult> {
  parseArg(idSchema, vaultId, 'vaultId');
  const change: 0 | 1 = options.change ? 1 : 0;
  const from = parseCount(options.from, '--from', 0, 0x7fffffff);
  const count = parseCount(options.count, '--count', 1, 1000);
  const pinned = findPinned(ctx.state.read(), vaultId);
  const descriptor = pinnedDescriptor(pinned);
  const local = Array.from({ length: count }, (_, i) => deriveVaultScript(descriptor, change, from + i).address);

  const remote = await ctx.coordinator().get(
    `/api/v1/vaults/${vaultId}/addresses?change=${change}&from=${from}&count=${count}`,
    z.array(addressViewSchema),
  );
  const differences: string[] = [];
  if (remote.length !== count) differences.push(`the coordinator listed ${remote.length} addresses, not ${count}`);
  local.forEach((address, i) => {
    const theirs = remote[i];
    if (theirs === undefined) return;
    if (theirs.change !== change || theirs.index !== from + i || theirs.address !== address) {
      differences.push(`${change}/${from + i}: derived ${address}, coordinator says ${theirs.change}/${theirs.index} ${theirs.address}`);
    }
  });
  if (differences.length > 0) {
    throw new ConclaveError('PIN_MISMATCH', `vault ${vaultId}: the coordinator's addresses differ from the pinned descriptor: ${differences.slice(0, 5).join('; ')}`, { differences });
  }
  const addresses = local.map((address, i) => ({ change, index: from + i, address }));
  return {
    data: { vaultId, change, verified: true, addresses },
    text: [
      ...addresses.map((a) => `${a.change}/${a.index}  ${a.address}`),
      `${count} ${change ? 'change' : 'receive'} addresses derived from the pinned descriptor; the coordinator's list matches.`,
    ],
  };
}
