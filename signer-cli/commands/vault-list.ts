/** `vault list`: the vaults this signer pinned, of both kinds (local state; no coordinator needed). */
import type { CliContext } from '../context';
import type { CommandResult } from '../output';

export async function runVaultList(ctx: CliContext): Promise<CommandResult> {
  const { vaults } = ctx.state.read();
  return {
    // `kind` is explicit here even for pins written before FROST vaults (script multisig).
    data: { vaults: vaults.map((v) => ({ ...v, kind: v.kind ?? 'wsh-sortedmulti' })) },
    text: vaults.length === 0
      ? ['No pinned vaults. Pin one with "conclave-signer vault pin <vaultId>".']
      : vaults.map((v) => `${v.vaultId}  "${v.name}"  ${v.kind === 'tr-frost' ? 'FROST ' : ''}${v.threshold} of ${v.members.length}  ${v.network}  you are #${v.ownIndex + 1}  first address ${v.firstAddress}`),
  };
}
