/**
 * `governance propose <vaultId> --op <op> ... [--reason <text>] [--yes]`: a member proposes a
 * change to a governed vault's rule set, members or address book. The change is built for
 * this signer's pinned state (its base is the hash of the pinned part), checked as every signer
 * will check it, shown in plain words with the quorum and delay it needs, and, once confirmed,
 * signed as a `governance.propose` envelope and handed to the coordinator, which relays it to
 * the approvers. Nothing is pinned here: that waits for the quorum and the delay (`sync`).
 */
import { MESSAGE_TYPES, idSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { type ChangeOptions, buildChange, changePreviewProblems } from '../governance/build-change';
import { submitProposal } from '../governance/changes-api';
import { describeEffect, describeRule } from '../governance/describe';
import { governedState } from '../governance/pinned-policy';
import { findPinned } from '../state/state-file';
import { confirm } from '../terminal';
import { parseArg } from '../validate';

export interface GovernanceProposeOptions extends ChangeOptions { yes?: boolean }

export async function runGovernancePropose(ctx: CliContext, vaultId: string, options: GovernanceProposeOptions): Promise<CommandResult> {
  parseArg(idSchema, vaultId, 'vaultId');
  const state = governedState(findPinned(ctx.state.read(), vaultId));
  const change = buildChange(state, options);
  const problems = changePreviewProblems(state, change, ctx.keystorePublic().identityKey);
  if (problems.length > 0) {
    throw new ConclaveError('POLICY_CHANGE_REFUSED', `not proposed: every signer would refuse this change:\n  - ${problems.join('\n  - ')}`, { problems });
  }
  const review = [
    `Propose to vault ${vaultId}: ${describeEffect(state, change)}.`,
    `  It ${describeRule(state, change)}.`,
    `  Reason: ${change.reason === '' ? '(none given)' : change.reason}`,
    `  Base: ${change.base} (the pinned ${change.op === 'policy.replace' ? 'rule set' : change.op.startsWith('address-book.') ? 'address book' : 'member set'})`,
  ];
  if (!options.yes) {
    process.stderr.write(`${review.join('\n')}\n`);
    if (!(await confirm('Sign and propose this change?'))) throw new ConclaveError('USER_DECLINED', 'change not proposed');
  }
  // Submitted while the keystore is held, should the coordinator want a session for it.
  const { view } = await ctx.withKeystore(async (keystore) => {
    const proposal = keystore.signEnvelope(MESSAGE_TYPES.governancePropose, change, { now: ctx.now() });
    return submitProposal(ctx.coordinator(), vaultId, proposal);
  });
  return {
    data: { vaultId, changeId: view.changeId, op: change.op, change, status: view.status, description: `${describeEffect(state, change)}; ${describeRule(state, change)}` },
    text: [
      ...(options.yes ? review : []),
      `Proposed change ${view.changeId}; the coordinator has it as ${view.status}.`,
      `Approvers run "governance approve ${vaultId} ${view.changeId}".`,
    ],
  };
}
