/** The dashboard: the member's vaults with their balances, and what waits for them. */
import type { VaultView, WithdrawalView } from '../../../protocol/api';
import type { ChangeView } from '../../../protocol/governance-api';
import { type VaultAccess, accessIn, loadChanges, loadWithdrawals, mayApprove, mayApproveChange, myVaults, paidOut } from '../data';
import { empty, h } from '../dom';
import { amount, time } from '../format';
import type { Page } from '../page';

export const dashboardPage: Page = {
  title: 'Dashboard',
  live: true,
  async render(ctx) {
    const vaults = await myVaults(ctx.session);
    const rows = await Promise.all(vaults.map(async (vault) => {
      const access = accessIn(vault, ctx.session);
      const [withdrawals, changes] = await Promise.all([loadWithdrawals(vault.id), access.governed ? loadChanges(vault.id) : Promise.resolve([] as ChangeView[])]);
      return { vault, access, withdrawals, changes };
    }));
    const waiting = rows.flatMap(({ vault, access, withdrawals }) => withdrawals.filter((w) => mayApprove(w, vault, access, ctx.session)).map((w) => ({ vault, w })));
    const changes = rows.flatMap(({ vault, access, changes: list }) => list.filter((c) => mayApproveChange(c, access, ctx.session)).map((c) => ({ vault, c })));
    return [
      h('h1', { tabindex: '-1' }, 'Dashboard'),
      h('section', { 'aria-labelledby': 'waiting-heading' },
        h('h2', { id: 'waiting-heading' }, 'Waiting for you'),
        waiting.length + changes.length === 0 ? empty('Nothing waits for your approval.') : h('ul', { class: 'waiting', id: 'waiting' },
          waiting.map(({ vault, w }) => h('li', null, h('a', { href: `#/withdrawals/${w.id}` }, `Withdrawal of `, amount(paidOut(w)), ` from ${vault.name}`), ' — proposed ', time(w.createdAt))),
          changes.map(({ vault, c }) => h('li', null, h('a', { href: `#/vaults/${vault.id}/${c.part === 'addressBook' ? 'address-book' : c.part}` }, `Change to ${vault.name}: ${c.op}`), ' — ', c.quorum.description)))),
      h('section', { 'aria-labelledby': 'vaults-heading' },
        h('h2', { id: 'vaults-heading' }, 'Your vaults'),
        rows.length === 0 ? empty('You are not a member of any vault on this coordinator yet.') : h('div', { class: 'cards' }, rows.map(({ vault, access, withdrawals }) => vaultCard(vault, access, withdrawals)))),
    ];
  },
};

function vaultCard(vault: VaultView, access: VaultAccess, withdrawals: WithdrawalView[]): HTMLElement {
  const open = withdrawals.filter((w) => ['awaiting_approval', 'approved', 'signing'].includes(w.state)).length;
  return h('article', { class: 'card' },
    h('h3', null, h('a', { href: `#/vaults/${vault.id}` }, vault.name)),
    h('p', null, `${vault.threshold}-of-${vault.members.length} on ${vault.network}`, access.governed ? ' · governed policy' : ' · simple policy'),
    h('p', { class: 'balance' }, 'Balance ', amount(vault.balance.confirmed)),
    BigInt(vault.balance.reserved) > 0n ? h('p', null, 'Reserved for withdrawals ', amount(vault.balance.reserved)) : null,
    h('p', null, `${open} withdrawal${open === 1 ? '' : 's'} in progress · your groups: ${access.groups.join(', ')}`),
    access.readOnly ? h('p', { class: 'badge' }, 'Read-only') : null);
}
