/** The sub-navigation of a vault's pages. */
import type { VaultView } from '../../../protocol/api';
import type { VaultAccess } from '../data';
import { h } from '../dom';

export function vaultNav(vault: VaultView, access: VaultAccess): HTMLElement {
  const base = `#/vaults/${vault.id}`;
  const link = (href: string, text: string) => h('a', { href, ...(location.hash === href ? { 'aria-current': 'page' } : {}) }, text);
  return h('nav', { class: 'subnav', 'aria-label': `${vault.name} pages` },
    link(base, 'Overview'),
    access.mayPropose ? link(`${base}/propose`, 'Propose a withdrawal') : null,
    link(`${base}/address-book`, 'Address book'),
    link(`${base}/policy`, 'Policy'),
    link(`${base}/members`, 'Members and devices'));
}
