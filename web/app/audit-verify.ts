/**
 * Verifies the audit log in the page with protocol/audit, the same code the coordinator and
 * every signer run: the hash chain, each event's coordinator signature under the key given,
 * and each member's signed evidence. Loaded only when the audit page opens (a code-split chunk).
 */
import type { AuditEventView } from '../../protocol/api';
import { auditRecordFromView, verifyAuditChain } from '../../protocol/audit';
import type { ChainCheck } from '../../protocol/audit/audit-chain';

export function verifyInPage(events: AuditEventView[], coordinatorKey: string): ChainCheck {
  const records = events.map(auditRecordFromView);
  const last = events[events.length - 1];
  return verifyAuditChain(records, { coordinatorKey, ...(last ? { expectedHead: { seq: last.seq, hash: last.hash } } : {}) });
}
