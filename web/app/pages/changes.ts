/** Pending changes to a part of a governed vault's policy, with their quorum, and approval by passkey. */
import { MESSAGE_TYPES, type VaultView } from '../../../protocol/api';
import type { ChangeView } from '../../../protocol/governance-api';
import { api } from '../api';
import { type VaultAccess, mayApproveChange } from '../data';
import { empty, errorBox, h, replace } from '../dom';
import { time } from '../format';
import type { PageContext } from '../page';
import { signStatement } from '../passkey';

export function pendingChanges(ctx: PageContext, vault: VaultView, access: VaultAccess, changes: ChangeView[], describe: (c: ChangeView) => string): HTMLElement {
  const pending = changes.filter((c) => c.status === 'pending');
  return h('section', { 'aria-labelledby': 'pending-heading' },
    h('h2', { id: 'pending-heading' }, 'Pending changes'),
    pending.length === 0 ? empty('No change is pending.') : h('ul', { class: 'changes' }, pending.map((c) => {
      const message = h('div', { 'aria-live': 'polite' });
      return h('li', { 'data-change': c.changeId },
        h('p', null, h('strong', null, describe(c)), ` — proposed by ${c.proposerName ?? c.proposer.slice(0, 8)} `, time(c.createdAt)),
        h('p', { class: 'meta' }, `Needs ${c.quorum.description}; ${c.quorum.met ? 'quorum reached' : `${c.approvers.filter((a) => a.counts).length} counted so far`}`,
          c.effectiveAt ? [', takes effect ', time(c.effectiveAt)] : ''),
        c.problems.length > 0 ? h('ul', { class: 'meta' }, c.problems.map((p) => h('li', null, p))) : null,
        mayApproveChange(c, access, ctx.session) ? approveChangeButton(ctx, vault, c, access.passkeys, message) : null,
        message);
    })));
}

function approveChangeButton(ctx: PageContext, vault: VaultView, change: ChangeView, passkeys: string[], message: HTMLElement): HTMLElement {
  const button = h('button', { type: 'button', id: `approve-change-${change.changeId}` }, 'Approve change with passkey');
  button.addEventListener('click', async () => {
    button.setAttribute('disabled', '');
    try {
      const statement = await signStatement(ctx.session, MESSAGE_TYPES.governanceApprove, { vaultId: vault.id, changeId: change.changeId }, passkeys);
      await api('POST', `/api/v1/vaults/${vault.id}/changes/${change.changeId}/approvals`, statement);
      ctx.refresh();
    } catch (error) {
      replace(message, errorBox(error));
      button.removeAttribute('disabled');
    }
  });
  return button;
}
