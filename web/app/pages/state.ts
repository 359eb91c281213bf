/** Withdrawal states in words. */
import type { WithdrawalState } from '../../../protocol/api';
import { h } from '../dom';

const WORDS: Record<WithdrawalState, string> = {
  proposed: 'Proposed', awaiting_approval: 'Awaiting approval', approved: 'Approved (waiting out its delay)', signing: 'Signing',
  signed: 'Signed', exported: 'Exported (signed, for broadcast)', broadcast: 'Broadcast', confirmed: 'Confirmed',
  rejected: 'Rejected', cancelled: 'Cancelled', expired: 'Expired', failed: 'Failed',
};

export function stateBadge(state: WithdrawalState): HTMLElement {
  return h('span', { class: `state state-${state}`, 'data-state': state }, WORDS[state] ?? state);
}
