/**
 * `policy show <vaultId>`: the policy this signer pinned for a governed vault, readably, with
 * the address book judged by this signer's clock and journal and the changes it applied. Local
 * only: nothing is asked of the coordinator (run "governance sync" first to pin what took effect).
 */
import { idSchema } from '../../protocol/api';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { appliedChanges, governedState } from '../governance/pinned-policy';
import { paidOutRecords, policyJson, policyLines } from '../governance/policy-text';
import { findPinned } from '../state/state-file';
import { parseArg } from '../validate';

export async function runPolicyShow(ctx: CliContext, vaultId: string): Promise<CommandResult> {
  parseArg(idSchema, vaultId, 'vaultId');
  const signerState = ctx.state.read();
  const pinned = findPinned(signerState, vaultId);
  const state = governedState(pinned);
  const journal = paidOutRecords(signerState.journal);
  const me = ctx.keystorePublic().identityKey;
  const now = ctx.now();
  return {
    data: { ...policyJson(state, appliedChanges(pinned), journal, me, now), name: pinned.name, policyHash: pinned.policyHash },
    text: policyLines(pinned.name, state, appliedChanges(pinned), journal, me, now),
  };
}
