/**
 * The hash-chained audit log (DESIGN.md invariant 6): each event commits to its predecessor's
 * hash, so editing, deleting, inserting or reordering any event breaks every later link. Each
 * event also carries the coordinator's signature on its hash (coordinator-signature.ts) and,
 * when a member caused it, that member's signed envelope as evidence (event-kinds.ts).
 *
 * Verification is the same code on both sides: the coordinator's /api/v1/audit/verify checks
 * its own database with its own key; a signer checks what the coordinator serves against the
 * coordinator key it pinned, and then against the heads it saw earlier (seen-heads.ts), which
 * is what catches a coordinator that rewrites its history consistently, signatures and all.
 */
import { canonicalBytes, canonicalJson } from '../canonical-json';
import { ConclaveError } from '../errors';
import { taggedHashHex } from '../hashing';
import { verifyAuditHeadSignature } from './coordinator-signature';
import { EvidenceBinder } from './evidence-binding';
import { type AuditEventKind, checkAuditEvidence } from './event-kinds';

export const GENESIS_HASH = '0'.repeat(64);
export const AUDIT_EVENT_TAG = 'Conclave/audit-event';

/** The hashed content of an event; payload and evidence as their canonical JSON text. */
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

export interface AuditRecord extends AuditLink {
  hash: string;
  /** BIP340 signature by the coordinator key on {seq, hash}. */
  coordinatorSig: string | null;
}

export function auditEventHash(link: AuditLink): string {
  return taggedHashHex(AUDIT_EVENT_TAG, canonicalBytes({
    seq: link.seq, kind: link.kind, actor: link.actor, subject: link.subject, payload: link.payload,
    evidence: link.evidence, prevHash: link.prevHash, createdAt: link.createdAt,
  }));
}

/** Why verification stopped; the same codes the signer CLI exits with. */
export type AuditFailureCode = 'AUDIT_CHAIN_BROKEN' | 'AUDIT_COORDINATOR_SIG_INVALID' | 'AUDIT_EVIDENCE_INVALID';

export interface ChainCheck {
  valid: boolean;
  count: number;
  /** Seq and hash of the last event that passed every check (0 and GENESIS_HASH when none did). */
  headSeq: number;
  head: string;
  firstBadSeq: number | null;
  code: AuditFailureCode | null;
  reason: string | null;
  /** How many of each check passed before the first failure (all of them when valid). */
  verified: { links: number; coordinatorSignatures: number; evidence: number };
}

export interface VerifyChainOptions {
  /** x-only key the coordinator signatures must verify under: a signer passes the key it pinned. */
  coordinatorKey: string;
  /** Where the log must end (the coordinator's own head row); a shorter log was truncated. */
  expectedHead?: { seq: number; hash: string };
}

/** Walks events in order and reports the first that fails any check. Pure. */
export function verifyAuditChain(events: readonly AuditRecord[], options: VerifyChainOptions): ChainCheck {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  const verified = { links: 0, coordinatorSignatures: 0, evidence: 0 };
  const binder = new EvidenceBinder();
  const fail = (seq: number, code: AuditFailureCode, reason: string): ChainCheck => ({
    valid: false, count: events.length, headSeq: expectedSeq - 1, head: prevHash, firstBadSeq: seq, code, reason, verified,
  });
  for (const event of events) {
    if (event.seq !== expectedSeq) return fail(event.seq, 'AUDIT_CHAIN_BROKEN', `seq ${event.seq}: expected ${expectedSeq} (an event is missing, inserted or out of order)`);
    if (event.prevHash !== prevHash) return fail(event.seq, 'AUDIT_CHAIN_BROKEN', `seq ${event.seq}: prevHash does not link to the previous event`);
    if (auditEventHash(event) !== event.hash) return fail(event.seq, 'AUDIT_CHAIN_BROKEN', `seq ${event.seq}: content does not match its hash (edited)`);
    verified.links += 1;
    if (!verifyAuditHeadSignature({ seq: event.seq, hash: event.hash }, event.coordinatorSig, options.coordinatorKey)) {
      return fail(event.seq, 'AUDIT_COORDINATOR_SIG_INVALID', `seq ${event.seq}: the coordinator signature does not verify under key ${options.coordinatorKey}`);
    }
    verified.coordinatorSignatures += 1;
    const evidence = checkAuditEvidence(event);
    if (evidence.problem !== null) return fail(event.seq, 'AUDIT_EVIDENCE_INVALID', evidence.problem);
    const unbound = binder.bind({ ...event, kind: event.kind as AuditEventKind, payload: parsePayload(event.payload) }, evidence.envelope, evidence.passkey ?? null);
    if (unbound !== null) return fail(event.seq, 'AUDIT_EVIDENCE_INVALID', unbound);
    if (event.evidence !== null) verified.evidence += 1;
    prevHash = event.hash;
    expectedSeq += 1;
  }
  const expected = options.expectedHead;
  if (expected && (expected.seq !== events.length || expected.hash !== prevHash)) {
    return fail(events.length, 'AUDIT_CHAIN_BROKEN', `head is seq ${expected.seq}, but the log ends at seq ${events.length} (truncated or altered)`);
  }
  return { valid: true, count: events.length, headSeq: expectedSeq - 1, head: prevHash, firstBadSeq: null, code: null, reason: null, verified };
}

/** The payload text is covered by the event hash, so it is the coordinator's own canonical JSON object. */
function parsePayload(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

/**
 * An event as the REST API serves it (payload and evidence parsed) back to the exact text that
 * was hashed: both were stored as canonical JSON, which parses and re-canonicalizes to itself.
 */
export function auditRecordFromView(view: {
  seq: number; kind: string; actor: string | null; subject: string | null; payload: unknown; evidence: unknown;
  prevHash: string; hash: string; createdAt: string; coordinatorSig: string | null;
}): AuditRecord {
  let payload: string;
  let evidence: string | null;
  try {
    payload = canonicalJson(view.payload);
    evidence = view.evidence === null ? null : canonicalJson(view.evidence);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ConclaveError('AUDIT_CHAIN_BROKEN', `audit event seq ${view.seq}: payload or evidence is not canonical JSON (${why})`, { seq: view.seq });
  }
  return {
    seq: view.seq, kind: view.kind, actor: view.actor, subject: view.subject, payload, evidence,
    prevHash: view.prevHash, hash: view.hash, createdAt: view.createdAt, coordinatorSig: view.coordinatorSig,
  };
}
