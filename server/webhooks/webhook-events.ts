/**
 * Which audit events are webhook events, and what a receiver is told about each: the vault, the
 * withdrawal or change, its state after the event, a few facts of the event's payload, and the
 * event's audit seq and hash, so that the receiver can look it up in the audit log (and check
 * it there, under the coordinator's signature) rather than trust the notification.
 */
import type { EntityManager } from 'typeorm';
import { type WebhookEvent, type WebhookPayload, WEBHOOK_EVENTS } from '../../protocol/webhooks';
import type { AuditEventEntity } from '../audit/audit-event.entity';
import { GovernanceChangeEntity } from '../governance/governance-change.entity';
import { WithdrawalEntity } from '../withdrawals/withdrawal.entity';

/** Audit kinds that notify under another name. */
const ALIASES: Record<string, WebhookEvent> = { 'withdrawal.proposed-by-token': 'withdrawal.proposed' };

/** Audit payload fields passed on in `details` (never keys, PSBTs or evidence). */
const DETAIL_FIELDS = ['txid', 'unsignedTxid', 'fee', 'requiredApprovals', 'approvals', 'blockHeight', 'blockHash', 'confirmations', 'reason', 'policyHash', 'quorumMet', 'counted', 'expiresAt'] as const;

/** A withdrawal's state after each withdrawal event (a refused broadcast leaves it signed). */
const WITHDRAWAL_STATE: Partial<Record<WebhookEvent, string>> = {
  'withdrawal.proposed': 'proposed',
  'withdrawal.broadcast-rejected': 'signed',
};

const CHANGE_STATUS: Partial<Record<WebhookEvent, string>> = {
  'governance.proposed': 'pending', 'governance.approved': 'pending', 'governance.applied': 'applied',
  'governance.refused': 'refused', 'governance.superseded': 'superseded',
};

export function webhookEventOf(kind: string): WebhookEvent | null {
  const name = ALIASES[kind] ?? kind;
  return (WEBHOOK_EVENTS as readonly string[]).includes(name) ? name as WebhookEvent : null;
}

/** The notification for an audit event (without its delivery id), or null when it notifies nobody. */
export async function notificationOf(manager: EntityManager, event: AuditEventEntity): Promise<Omit<WebhookPayload, 'id'> | null> {
  const name = webhookEventOf(event.kind);
  if (name === null || event.subject === null) return null;
  const payload = JSON.parse(event.payload) as Record<string, unknown>;
  const details: Record<string, unknown> = {};
  for (const field of DETAIL_FIELDS) if (payload[field] !== undefined) details[field] = payload[field];
  const common = { event: name, occurredAt: event.createdAt, details, audit: { seq: event.seq, hash: event.hash } };
  if (name.startsWith('governance.')) {
    // The change row names its vault and operation (an approval's payload does not name the op).
    const change = await manager.getRepository(GovernanceChangeEntity).findOne({ where: { changeId: event.subject }, select: { changeId: true, vaultId: true, op: true } });
    if (change === null) return null;
    return { ...common, vaultId: change.vaultId, changeId: change.changeId, state: CHANGE_STATUS[name]!, op: change.op };
  }
  const withdrawal = await manager.getRepository(WithdrawalEntity).findOne({ where: { id: event.subject }, select: { id: true, vaultId: true } });
  if (withdrawal === null) return null;
  return { ...common, vaultId: withdrawal.vaultId, withdrawalId: withdrawal.id, state: WITHDRAWAL_STATE[name] ?? name.slice('withdrawal.'.length) };
}
