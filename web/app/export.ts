/** Exports for auditors: the audit log and the withdrawals, as JSON (complete, with evidence) and CSV (one row each). */
import type { AuditEventView, VaultView, WithdrawalView } from '../../protocol/api';
import { paidOut } from './data';

export function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** RFC 4180 fields; a leading =, +, - or @ is prefixed so spreadsheets never run it as a formula. */
function field(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

export function auditCsv(events: AuditEventView[]): string {
  return csv(['seq', 'createdAt', 'kind', 'actor', 'subject', 'payload', 'evidence', 'prevHash', 'hash', 'coordinatorSig'],
    events.map((e) => [e.seq, e.createdAt, e.kind, e.actor, e.subject, e.payload, e.evidence, e.prevHash, e.hash, e.coordinatorSig]));
}

export function withdrawalsCsv(rows: Array<{ vault: VaultView; w: WithdrawalView }>): string {
  return csv(['id', 'vault', 'vaultId', 'state', 'requestId', 'amountSats', 'destinations', 'feeSats', 'feeRate', 'memo', 'proposedBy', 'approvals', 'signatures', 'txid', 'intentHash', 'createdAt', 'updatedAt'],
    rows.map(({ vault, w }) => [w.id, vault.name, vault.id, w.state, w.requestId, paidOut(w).toString(), w.intent.outputs.map((o) => `${o.address}:${o.amount}`).join(' '),
      w.fee, w.intent.feeRate, w.intent.memo, w.proposedBy, w.approvals.length, w.signatures.length, w.txid, w.intentHash, w.createdAt, w.updatedAt]));
}
