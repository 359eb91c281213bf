/** A vault: balance, descriptors for an independent balance check, and its withdrawals. */
import type { WithdrawalView } from '../../../protocol/api';
import { accessIn, loadVault, loadWithdrawals, paidOut } from '../data';
import { empty, facts, h } from '../dom';
import { amount, time } from '../format';
import type { Page } from '../page';
import { stateBadge } from './state';
import { vaultNav } from './vault-nav';

export const vaultPage: Page = {
  title: 'Vault',
  live: true,
  async render(ctx) {
    const vault = await loadVault(ctx.params[0]!);
    const access = accessIn(vault, ctx.session);
    const withdrawals = (await loadWithdrawals(vault.id)).reverse();
    return [
      h('h1', { tabindex: '-1' }, vault.name),
      vaultNav(vault, access),
      facts([
        ['Balance', amount(vault.balance.confirmed)],
        ['Reserved by withdrawals in progress', amount(vault.balance.reserved)],
        ['Kind', `${vault.threshold}-of-${vault.members.length} ${vault.descriptor.startsWith('tr(') ? 'FROST Taproot' : 'P2WSH multisig'} on ${vault.network}`],
        ['Status', vault.status === 'active' ? 'Active: every keyholder confirmed it' : 'Waiting for keyholders to confirm'],
        ['Policy hash', h('code', null, vault.policyHash)],
      ]),
      h('section', { 'aria-labelledby': 'descriptor-heading' },
        h('h2', { id: 'descriptor-heading' }, 'Descriptor'),
        h('p', null, 'Import this watch-only descriptor into another wallet (Bitcoin Core, Sparrow) to check the balance independently of this coordinator.'),
        h('pre', { class: 'descriptor', id: 'descriptor', tabindex: '0' }, vault.descriptor)),
      h('section', { 'aria-labelledby': 'withdrawals-heading' },
        h('h2', { id: 'withdrawals-heading' }, 'Withdrawals'),
        withdrawals.length === 0 ? empty('No withdrawals yet.') : withdrawalTable(withdrawals)),
    ];
  },
};

export function withdrawalTable(withdrawals: WithdrawalView[]): HTMLElement {
  return h('table', { class: 'list' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Proposed'), h('th', { scope: 'col' }, 'Amount'), h('th', { scope: 'col' }, 'To'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Memo'))),
    h('tbody', null, withdrawals.map((w) => h('tr', null,
      h('td', null, h('a', { href: `#/withdrawals/${w.id}` }, time(w.createdAt))),
      h('td', null, amount(paidOut(w))),
      h('td', null, w.intent.outputs.map((o) => h('code', { class: 'address' }, o.address))),
      h('td', null, stateBadge(w.state)),
      h('td', null, w.intent.memo || '—')))));
}
