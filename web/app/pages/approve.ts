/** The "approve with passkey" button of a withdrawal: a `withdrawal.approve` statement over its intent hash. */
import { MESSAGE_TYPES, type WithdrawalView } from '../../../protocol/api';
import { api } from '../api';
import { errorBox, h, replace } from '../dom';
import type { PageContext } from '../page';
import { signStatement } from '../passkey';

export function approveButton(ctx: PageContext, w: WithdrawalView, passkeys: string[], message: HTMLElement): HTMLElement {
  const button = h('button', { type: 'button', class: 'primary', id: `approve-${w.id}`, 'data-action': 'approve' }, 'Approve with passkey');
  button.addEventListener('click', async () => {
    button.setAttribute('disabled', '');
    replace(message, h('p', null, 'Confirm with your passkey…'));
    try {
      const statement = await signStatement(ctx.session, MESSAGE_TYPES.withdrawalApprove, { withdrawalId: w.id, vaultId: w.vaultId, intentHash: w.intentHash }, passkeys);
      await api('POST', `/api/v1/withdrawals/${w.id}/approvals`, statement);
      replace(message, h('p', { class: 'ok' }, 'Approved.'));
      ctx.refresh();
    } catch (error) {
      replace(message, errorBox(error));
      button.removeAttribute('disabled');
    }
  });
  return button;
}
