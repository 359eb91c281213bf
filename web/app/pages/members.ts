/** Members of the vault, their groups and their devices (passkeys), keyholders' fingerprints, and pending member changes. */
import { accessIn, loadChanges, loadVault } from '../data';
import { empty, h } from '../dom';
import { shortKey } from '../format';
import type { Page } from '../page';
import { pendingChanges } from './changes';
import { vaultNav } from './vault-nav';

export const membersPage: Page = {
  title: 'Members and devices',
  live: true,
  async render(ctx) {
    const vault = await loadVault(ctx.params[0]!);
    const access = accessIn(vault, ctx.session);
    const head = [h('h1', { tabindex: '-1' }, `Members of ${vault.name}`), vaultNav(vault, access)];
    const keyholders = h('section', { 'aria-labelledby': 'keyholders-heading' },
      h('h2', { id: 'keyholders-heading' }, 'Keyholders'),
      h('p', null, 'Compare these fingerprints with each keyholder out of band (in person, by phone).'),
      h('ul', null, vault.members.map((k) => h('li', null, `${k.name}: identity fingerprint `, h('code', null, k.fingerprint), ', key origin ',
        h('code', null, `[${k.accountKey.fingerprint}/${k.accountKey.path.replace(/^m\//, '')}]`)))));
    const governed = access.governed;
    if (governed === null) return [...head, keyholders];
    const changes = (await loadChanges(vault.id)).filter((c) => c.part === 'members');
    return [...head,
      h('table', { class: 'list', id: 'members' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Groups'), h('th', { scope: 'col' }, 'Identity key'), h('th', { scope: 'col' }, 'Passkeys'))),
        h('tbody', null, governed.members.members.map((m) => h('tr', null, h('td', null, m.name), h('td', null, m.groups.join(', ')),
          h('td', null, h('code', { title: m.identityKey }, shortKey(m.identityKey))),
          h('td', null, (m.passkeys ?? []).length === 0 ? 'none' : h('ul', { class: 'plain' }, (m.passkeys ?? []).map((p) => h('li', null, 'ES256 passkey ', h('code', { title: p.credentialId }, shortKey(p.credentialId)))))))))),
      h('p', { class: 'hint' }, 'A member adds a passkey for a new device with ', h('code', null, 'conclave-signer passkey link'),
        '; it counts once a quorum-approved member change pins it (see the pending changes below).'),
      keyholders,
      governed.members.members.length === 0 ? empty('No members.') : null,
      pendingChanges(ctx, vault, access, changes, (c) => {
        const body = c.change as { name?: string; identityKey?: string };
        return `${c.op}${body.name ? ` ${body.name}` : body.identityKey ? ` ${shortKey(body.identityKey)}` : ''}`;
      })];
  },
};
