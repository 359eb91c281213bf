/** The vault's rule set in words, and proposed replacements. */
import { satsText } from '../format';
import { accessIn, loadChanges, loadVault } from '../data';
import { empty, facts, h } from '../dom';
import { amount } from '../format';
import type { Page } from '../page';
import { pendingChanges } from './changes';
import { vaultNav } from './vault-nav';

const quorumText = (q: Array<{ group: string; count: number }>) => (q.length === 0 ? 'nobody' : q.map((s) => `${s.count} from ${s.group}`).join(' + '));
const hours = (s: number) => (s === 0 ? 'no delay' : s % 86400 === 0 ? `${s / 86400} d` : `${+(s / 3600).toFixed(2)} h`);

export const policyPage: Page = {
  title: 'Policy',
  live: true,
  async render(ctx) {
    const vault = await loadVault(ctx.params[0]!);
    const access = accessIn(vault, ctx.session);
    const head = [h('h1', { tabindex: '-1' }, `Policy of ${vault.name}`), vaultNav(vault, access)];
    const governed = access.governed;
    if (governed === null) {
      const simple = vault.policy as { requiredApprovals?: number; maxFeeSats: string; maxFeeRate: string };
      return [...head, facts([['Kind', 'Simple (version 1)'], ['Approvals', String(simple.requiredApprovals ?? 0)], ['Fee caps', `${satsText(BigInt(simple.maxFeeSats))}, ${simple.maxFeeRate} sat/vB`]])];
    }
    const { rules } = governed;
    const changes = (await loadChanges(vault.id)).filter((c) => c.part === 'policy');
    return [...head,
      facts([
        ['Rule set', `version ${rules.version}`],
        ['Policy hash', h('code', null, vault.policyHash)],
        ['Fee caps', `${satsText(BigInt(rules.maxFeeSats))} and ${rules.maxFeeRate} sat/vB`],
        ['Who proposes', rules.withdrawals.proposerGroups.join(', ')],
        ['Address book', `${quorumText(rules.addressBook.quorum)}; cooling-off ${hours(rules.addressBook.coolingOffSeconds)}; expiry after ${hours(rules.addressBook.expireAfterDisuseSeconds)} unused`],
        ['Rule changes', `${quorumText(rules.changes.policy.quorum)}, then ${hours(rules.changes.policy.delaySeconds)}`],
        ['Member changes', `${quorumText(rules.changes.members.quorum)}, then ${hours(rules.changes.members.delaySeconds)}`],
      ]),
      h('h2', null, 'Tiers'),
      h('table', { class: 'list' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Tier'), h('th', { scope: 'col' }, 'Up to'), h('th', { scope: 'col' }, 'Approvals besides the proposer'), h('th', { scope: 'col' }, 'Delay'))),
        h('tbody', null, rules.withdrawals.tiers.map((t) => h('tr', null, h('td', null, t.name), h('td', null, t.upToSats === undefined ? 'no limit' : amount(t.upToSats)),
          h('td', null, quorumText(t.approvals)), h('td', null, hours(t.delaySeconds)))))),
      h('h2', null, 'Velocity limits'),
      rules.withdrawals.velocity.length === 0 ? empty('No velocity limit.') : h('ul', null, rules.withdrawals.velocity.map((v) => h('li', null, 'At most ', amount(v.capSats), ` within any ${hours(v.windowSeconds)}`))),
      pendingChanges(ctx, vault, access, changes, (c) => `Replace the rule set (${c.op})`)];
  },
};
