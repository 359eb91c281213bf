/** `vault list`: the vaults this signer pinned (local state; no coordinator needed). */
import type { CliContext } from '../context';
import type { CommandResult } from '../output';

export async function runVaultList(ctx: CliContext): Promise<CommandResult> {
  const { vaults } = ctx.state.read();
  return {
    data: { vaults },
    text: vaults.length === 0
      ? ['No pinned vaults. Pin one with "conclave-signer vault pin <vaultId>".']
      : vaults.map((v) => `${v.vaultId}  "${v.name}"  ${v.threshold} of ${v.members.length}  ${v.network}  you are #${v.ownIndex + 1}  first address ${v.firstAddress}`),
  };
}
