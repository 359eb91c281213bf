/** The vault's address book: entries with their cooling-off and expiry, and pending additions and removals. */
import { entryStatus } from '../../../protocol/policy-engine/address-book';
import { accessIn, loadChanges, loadVault } from '../data';
import { empty, h } from '../dom';
import { time } from '../format';
import type { Page } from '../page';
import { pendingChanges } from './changes';
import { vaultNav } from './vault-nav';

export const addressBookPage: Page = {
  title: 'Address book',
  live: true,
  async render(ctx) {
    const vault = await loadVault(ctx.params[0]!);
    const access = accessIn(vault, ctx.session);
    const head = [h('h1', { tabindex: '-1' }, `Address book of ${vault.name}`), vaultNav(vault, access)];
    const governed = access.governed;
    if (governed === null) return [...head, empty('This vault has a simple policy, which keeps no address book.')];
    const changes = (await loadChanges(vault.id)).filter((c) => c.part === 'addressBook');
    const now = new Date();
    const rules = governed.rules.addressBook;
    return [...head,
      h('p', null, `Entries are added by ${rules.quorum.map((q) => `${q.count} from ${q.group}`).join(' + ')}, may be paid ${rules.coolingOffSeconds / 3600} h after their quorum, and expire after ${Math.round(rules.expireAfterDisuseSeconds / 86400)} days unused.`),
      governed.addressBook.entries.length === 0 ? empty('The address book is empty.') : h('table', { class: 'list', id: 'address-book' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Label'), h('th', { scope: 'col' }, 'Address'), h('th', { scope: 'col' }, 'Approved'), h('th', { scope: 'col' }, 'Status'))),
        h('tbody', null, governed.addressBook.entries.map((entry) => {
          const status = entryStatus(entry, rules, undefined, now);
          return h('tr', null, h('td', null, entry.label), h('td', null, h('code', { class: 'address' }, entry.address)), h('td', null, time(entry.approvedAt)),
            h('td', null, status.state === 'usable' ? ['Usable until ', time(status.expiresAt.toISOString()), ' if unused']
              : status.state === 'cooling-off' ? ['Cooling off until ', time(status.usableFrom.toISOString())] : ['Expired ', time(status.expiredAt.toISOString())]));
        }))),
      pendingChanges(ctx, vault, access, changes, (c) => {
        const body = c.change as { address?: string; label?: string };
        return `${c.op === 'address-book.add' ? 'Add' : 'Remove'} ${body.label ? `“${body.label}” ` : ''}${body.address ?? ''}`;
      })];
  },
};
