/**
 * `governance sync <vaultId>`: pin every change of the vault whose quorum and delay this
 * signer's own checks accept now (signer-cli/governance/sync.ts), and report what was applied,
 * what is pending (with when it takes effect) and what this signer refuses (with why).
 * `listen` runs the same on start and on every governance push.
 */
import { idSchema } from '../../protocol/api';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { syncGovernance } from '../governance/sync';
import { syncJson, syncLines } from '../governance/sync-report';
import { parseArg } from '../validate';

export async function runGovernanceSync(ctx: CliContext, vaultId: string): Promise<CommandResult> {
  parseArg(idSchema, vaultId, 'vaultId');
  const report = await syncGovernance({ client: ctx.coordinator(), state: ctx.state, now: () => ctx.now() }, vaultId);
  return { data: syncJson(report), text: syncLines(report, ctx.now()) };
}
