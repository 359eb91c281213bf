/** The approval queue: every withdrawal of the member's vaults that waits for approval, updated live. */
import { accessIn, loadWithdrawals, mayApprove, myVaults, names, paidOut } from '../data';
import { empty, h } from '../dom';
import { amount, time } from '../format';
import type { Page } from '../page';
import { approveButton } from './approve';

export const queuePage: Page = {
  title: 'Approval queue',
  live: true,
  async render(ctx) {
    const vaults = await myVaults(ctx.session);
    const who = names(vaults);
    const items = (await Promise.all(vaults.map(async (vault) => (await loadWithdrawals(vault.id, )).filter((w) => w.state === 'awaiting_approval').map((w) => ({ vault, w })))))
      .flat().sort((a, b) => a.w.createdAt.localeCompare(b.w.createdAt));
    return [
      h('h1', { tabindex: '-1' }, 'Approval queue'),
      h('p', null, 'Withdrawals waiting for approval in your vaults. This list updates by itself.'),
      items.length === 0 ? empty('No withdrawal waits for approval.') : h('ul', { class: 'queue', id: 'queue' }, items.map(({ vault, w }) => {
        const access = accessIn(vault, ctx.session);
        const message = h('div', { 'aria-live': 'polite' });
        return h('li', { class: 'queue-item', 'data-withdrawal': w.id },
          h('p', null, h('a', { href: `#/withdrawals/${w.id}` }, amount(paidOut(w))), ` from ${vault.name} to `,
            w.intent.outputs.map((o) => h('code', { class: 'address' }, o.address)), w.intent.memo ? ` — “${w.intent.memo}”` : ''),
          h('p', { class: 'meta' }, `Proposed by ${who.get(w.proposedBy) ?? w.proposedBy.slice(0, 8)} `, time(w.createdAt), ` · ${w.approvals.length} approval${w.approvals.length === 1 ? '' : 's'} so far`),
          mayApprove(w, vault, access, ctx.session) ? approveButton(ctx, w, access.passkeys, message)
            : h('p', { class: 'meta' }, w.proposedBy === ctx.session.member.identityKey ? 'You proposed this one; others approve it.' : access.readOnly ? 'Read-only.' : 'Not yours to approve.'),
          message);
      })),
    ];
  },
};
