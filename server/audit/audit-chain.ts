/**
 * Hashing of audit events: each event commits to its predecessor's hash, so editing,
 * deleting or reordering any row breaks every later link (invariant 6). Pure.
 */
import { canonicalBytes } from '../../protocol/canonical-json';
import { taggedHashHex } from '../../protocol/hashing';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditLink {
  seq: number;
  kind: string;
  actor: string | null;
  subject: string | null;
  payload: string;
  evidence: string | null;
  prevHash: string;
  createdAt: string;
}

export function auditEventHash(link: AuditLink): string {
  return taggedHashHex('Conclave/audit-event', canonicalBytes({
    seq: link.seq, kind: link.kind, actor: link.actor, subject: link.subject, payload: link.payload,
    evidence: link.evidence, prevHash: link.prevHash, createdAt: link.createdAt,
  }));
}

export interface ChainCheck { valid: boolean; count: number; head: string; firstBadSeq: number | null; reason: string | null }

/** Walks events in seq order and reports the first broken link. */
export function verifyAuditChain(events: Array<AuditLink & { hash: string }>, expectedHead?: { seq: number; hash: string }): ChainCheck {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const event of events) {
    const bad = (reason: string): ChainCheck => ({ valid: false, count: events.length, head: prevHash, firstBadSeq: event.seq, reason });
    if (event.seq !== expectedSeq) return bad(`seq ${event.seq}: expected ${expectedSeq} (a row is missing or inserted)`);
    if (event.prevHash !== prevHash) return bad(`seq ${event.seq}: prevHash does not link to the previous event`);
    if (auditEventHash(event) !== event.hash) return bad(`seq ${event.seq}: content does not match its hash (edited)`);
    prevHash = event.hash;
    expectedSeq += 1;
  }
  if (expectedHead && (expectedHead.seq !== events.length || expectedHead.hash !== prevHash)) {
    return { valid: false, count: events.length, head: prevHash, firstBadSeq: events.length, reason: `head is seq ${expectedHead.seq}, log ends at ${events.length} (truncated)` };
  }
  return { valid: true, count: events.length, head: prevHash, firstBadSeq: null, reason: null };
}
