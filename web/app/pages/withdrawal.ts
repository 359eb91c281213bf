/**
 * A withdrawal: what it pays, where it stands, and its timeline from the audit log (who
 * proposed, approved and signed it, and when; with a passkey or an identity key), its txid and,
 * with a chain backend, its confirmations. Approve with a passkey if it is yours to approve.
 */
import type { AuditEventView, WithdrawalView } from '../../../protocol/api';
import { api } from '../api';
import { accessIn, loadVault, mayApprove, names, paidOut } from '../data';
import { empty, facts, h } from '../dom';
import { amount, time } from '../format';
import type { Page } from '../page';
import { approveButton } from './approve';
import { stateBadge } from './state';

const WHAT: Record<string, string> = {
  'withdrawal.proposed': 'Proposed', 'withdrawal.proposed-by-token': 'Proposed through an API token', 'withdrawal.awaiting_approval': 'Waiting for approvals',
  'approval.received': 'Approved', 'withdrawal.approved': 'Approvals complete', 'withdrawal.signing': 'Sent to the keyholders to sign',
  'signature.received': 'Signed', 'withdrawal.signed': 'Fully signed', 'withdrawal.exported': 'Exported: the final transaction waits for broadcast',
  'withdrawal.broadcast': 'Broadcast', 'withdrawal.confirmed': 'Confirmed', 'withdrawal.unconfirmed': 'Unconfirmed (reorganized out)',
  'withdrawal.cancelled': 'Cancelled', 'withdrawal.expired': 'Expired', 'withdrawal.bumped': 'Fee bumped', 'withdrawal.broadcast-rejected': 'Broadcast rejected',
  'withdrawal.broadcast-retried': 'Broadcast retry asked',
  'withdrawal.rebroadcast': 'Broadcast again', 'frost.commitment.received': 'Signing commitment', 'frost.session.opened': 'Signing session opened',
  'frost.share.received': 'Signature share', 'frost.session.failed': 'Signing session failed',
};

export const withdrawalPage: Page = {
  title: 'Withdrawal',
  live: true,
  async render(ctx) {
    const w = await api<WithdrawalView>('GET', `/api/v1/withdrawals/${ctx.params[0]!}`);
    const [vault, events] = await Promise.all([loadVault(w.vaultId), api<AuditEventView[]>('GET', `/api/v1/audit?subject=${w.id}`)]);
    const who = names([vault]);
    const name = (key: string | null) => (key === null ? 'Coordinator' : who.get(key) ?? `${key.slice(0, 8)}…`);
    const access = accessIn(vault, ctx.session);
    const message = h('div', { 'aria-live': 'polite' });
    const confirmations = [...events].reverse().find((e) => e.kind === 'withdrawal.confirmed' || e.kind === 'withdrawal.broadcast');
    const depth = (confirmations?.payload as { confirmations?: number } | undefined)?.confirmations;
    return [
      h('h1', { tabindex: '-1' }, 'Withdrawal of ', amount(paidOut(w))),
      h('p', null, h('a', { href: `#/vaults/${vault.id}` }, `← ${vault.name}`)),
      facts([
        ['State', stateBadge(w.state)],
        ['Pays', h('ul', { class: 'plain' }, w.intent.outputs.map((o) => h('li', null, amount(o.amount), ' to ', h('code', { class: 'address' }, o.address))))],
        ['Fee', [amount(w.fee), ` at ${w.intent.feeRate} sat/vB (cap ${w.intent.maxFee} sats)`]],
        ['Memo', w.intent.memo || '—'],
        ['Proposed by', name(w.proposedBy)],
        ['Expires', time(w.intent.expiresAt)],
        ['Transaction id', w.txid ? h('code', { id: 'txid' }, w.txid) : 'Not signed yet'],
        ...(depth !== undefined ? [['Confirmations', String(depth)] as [string, string]] : []),
        ['Intent hash', h('code', null, w.intentHash)],
      ]),
      mayApprove(w, vault, access, ctx.session) ? h('div', { class: 'actions' }, approveButton(ctx, w, access.passkeys, message), message) : null,
      h('section', { 'aria-labelledby': 'timeline-heading' },
        h('h2', { id: 'timeline-heading' }, 'Timeline'),
        events.length === 0 ? empty('No events recorded yet.') : h('ol', { class: 'timeline', id: 'timeline' }, events.map((e) => h('li', { 'data-kind': e.kind },
          h('span', { class: 'when' }, time(e.createdAt)), ' ',
          h('span', { class: 'what' }, WHAT[e.kind] ?? e.kind), ' ',
          e.actor === null ? null : h('span', { class: 'by' }, `by ${name(e.actor)}`), ' ',
          (e.payload as { passkey?: unknown } | null)?.passkey ? h('span', { class: 'badge' }, 'passkey') : null,
          ' ', h('span', { class: 'seq' }, `audit #${e.seq}`))))),
    ];
  },
};
