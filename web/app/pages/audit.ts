/**
 * The audit log, verified in this page (audit-verify.ts), with exports of the log and of every
 * withdrawal of the member's vaults, and each vault's descriptor for an independent balance
 * check. Nothing here changes anything.
 */
import type { AuditEventView, VaultView, WithdrawalView } from '../../../protocol/api';
import { identityFingerprint } from '../../../protocol/identity';
import { api } from '../api';
import { loadWithdrawals, myVaults, names } from '../data';
import { empty, errorBox, h } from '../dom';
import { time } from '../format';
import { auditCsv, download, withdrawalsCsv } from '../export';
import type { Page } from '../page';

const PAGE = 5000;

async function allEvents(): Promise<AuditEventView[]> {
  const events: AuditEventView[] = [];
  for (;;) {
    const batch = await api<AuditEventView[]>('GET', `/api/v1/audit?after=${events.length === 0 ? 0 : events[events.length - 1]!.seq}&limit=${PAGE}`);
    events.push(...batch);
    if (batch.length < PAGE) return events;
  }
}

export const auditPage: Page = {
  title: 'Audit log & exports',
  live: true,
  async render(ctx) {
    const [events, info, vaults] = await Promise.all([allEvents(), api<{ coordinatorKey: string }>('GET', '/api/v1/info'), myVaults(ctx.session)]);
    const who = names(vaults);
    let verdict: HTMLElement;
    try {
      const { verifyInPage } = await import('../audit-verify');
      const check = verifyInPage(events, info.coordinatorKey);
      verdict = check.valid
        ? h('div', { class: 'verified', id: 'chain-status', role: 'status', 'data-valid': 'true' },
          h('strong', null, `Chain verified in this page: ${check.count} events`), ` — every link, ${check.verified.coordinatorSignatures} coordinator signatures and ${check.verified.evidence} signed statements check out. Head #${check.headSeq} `, h('code', null, check.head.slice(0, 16)), '.')
        : h('div', { class: 'error', id: 'chain-status', role: 'alert', 'data-valid': 'false' },
          h('strong', null, `Chain verification FAILED at event #${check.firstBadSeq}`), ` (${check.code}): ${check.reason}`);
    } catch (error) {
      verdict = errorBox(error);
    }
    const withdrawals = async () => (await Promise.all(vaults.map(async (vault: VaultView) => (await loadWithdrawals(vault.id)).map((w: WithdrawalView) => ({ vault, w }))))).flat();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const exportButton = (id: string, text: string, run: () => Promise<void>) => h('button', { type: 'button', id, on: { click: () => void run() } }, text);
    return [
      h('h1', { tabindex: '-1' }, 'Audit log & exports'),
      verdict,
      h('p', { class: 'help' }, 'Coordinator key fingerprint ', h('code', { id: 'coordinator-fingerprint' }, identityFingerprint(info.coordinatorKey)),
        ': compare it with the key your keyholders pinned (signer-cli shows it) so that this check does not rest on the coordinator\'s word alone.'),
      h('section', { 'aria-labelledby': 'exports-heading' },
        h('h2', { id: 'exports-heading' }, 'Exports'),
        h('div', { class: 'actions' },
          exportButton('export-audit-json', 'Audit log (JSON)', async () => download(`conclave-audit-${stamp}.json`, 'application/json', JSON.stringify(events, null, 2))),
          exportButton('export-audit-csv', 'Audit log (CSV)', async () => download(`conclave-audit-${stamp}.csv`, 'text/csv', auditCsv(events))),
          exportButton('export-withdrawals-json', 'Withdrawals (JSON)', async () => download(`conclave-withdrawals-${stamp}.json`, 'application/json', JSON.stringify((await withdrawals()).map(({ w }) => w), null, 2))),
          exportButton('export-withdrawals-csv', 'Withdrawals (CSV)', async () => download(`conclave-withdrawals-${stamp}.csv`, 'text/csv', withdrawalsCsv(await withdrawals())))),
        h('h3', null, 'Descriptors for an independent balance check'),
        vaults.length === 0 ? empty('No vaults.') : h('ul', { class: 'plain' }, vaults.map((v) => h('li', null, h('strong', null, v.name), h('pre', { class: 'descriptor', tabindex: '0' }, v.descriptor))))),
      h('section', { 'aria-labelledby': 'events-heading' },
        h('h2', { id: 'events-heading' }, `Events (${events.length})`),
        events.length === 0 ? empty('The log is empty.') : h('table', { class: 'list', id: 'audit-events' },
          h('thead', null, h('tr', null, ['#', 'When', 'What', 'By', 'About'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', null, [...events].reverse().slice(0, 500).map((e) => h('tr', null, h('td', null, String(e.seq)), h('td', null, time(e.createdAt)), h('td', null, e.kind),
            h('td', null, e.actor === null ? 'coordinator' : who.get(e.actor) ?? `${e.actor.slice(0, 8)}…`),
            h('td', null, e.subject === null ? '' : /^[0-9a-f-]{36}$/.test(e.subject) && e.kind.startsWith('withdrawal') ? h('a', { href: `#/withdrawals/${e.subject}` }, e.subject.slice(0, 8)) : e.subject.slice(0, 12))))))),
    ];
  },
};
