/**
 * `governance list <vaultId> [--all]`: the vault's changes as the coordinator relays them, each
 * judged by this signer against its own pinned state and clock (applied, ready, pending with
 * what it lacks and when it takes effect, or refused with why), beside the coordinator's status.
 * Changes this signer applied are left out unless --all.
 */
import { idSchema } from '../../protocol/api';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { assessChange, assessmentJson, assessmentLines } from '../governance/assess';
import { fetchChanges } from '../governance/changes-api';
import { appliedChanges, governedState } from '../governance/pinned-policy';
import { findPinned } from '../state/state-file';
import { parseArg } from '../validate';

export async function runGovernanceList(ctx: CliContext, vaultId: string, options: { all?: boolean }): Promise<CommandResult> {
  parseArg(idSchema, vaultId, 'vaultId');
  const pinned = findPinned(ctx.state.read(), vaultId);
  const state = governedState(pinned);
  const views = await fetchChanges(ctx.coordinator(), vaultId);
  const now = ctx.now();
  const all = views.map((view) => assessChange(state, view, now, appliedChanges(pinned)));
  const shown = options.all ? all : all.filter((a) => a.verdict !== 'applied');
  const hidden = all.length - shown.length;
  return {
    data: { vaultId, changes: shown.map(assessmentJson) },
    text: [
      `Vault ${vaultId}: ${shown.length} change(s)${hidden > 0 ? ` (and ${hidden} applied; --all shows them)` : ''}.`,
      ...shown.flatMap((a) => assessmentLines(a, now)),
    ],
  };
}
