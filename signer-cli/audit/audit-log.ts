/**
 * The signer's check of the coordinator's audit log (issue 3, point 4): fetch the whole log
 * page by page, verify it with protocol/audit against the coordinator key pinned at join (hash
 * chain, every coordinator signature, every evidence envelope), then check that every head this
 * signer saw before is still in it, unchanged. Only the last check catches a coordinator that
 * rewrote or truncated its history and re-signed it with its own key.
 */
import { z } from 'zod';
import { auditRecordFromView, type AuditRecord, findRewrittenHeads, type SeenHead, verifyAuditChain } from '../../protocol/audit';
import { ConclaveError } from '../../protocol/errors';
import type { CoordinatorClient } from '../coordinator/client';
import { auditEventViewSchema } from '../coordinator/views';
import type { StateStore } from '../state/state-file';
import { rememberSeenHead } from './seen-heads';

export const AUDIT_PAGE_SIZE = 1000;

export type AuditLogClient = Pick<CoordinatorClient, 'get' | 'baseUrl'>;

/** Every event, in order. Pages must move forward, or a coordinator could keep a signer paging forever. */
export async function fetchAuditLog(client: AuditLogClient, pageSize = AUDIT_PAGE_SIZE): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  let after = 0;
  for (;;) {
    const path = `/api/v1/audit?after=${after}&limit=${pageSize}`;
    const page = await client.get(path, z.array(auditEventViewSchema).max(pageSize));
    for (const view of page) {
      if (view.seq <= after) {
        throw new ConclaveError('AUDIT_CHAIN_BROKEN', `audit log: GET ${path} served seq ${view.seq} after seq ${after} (out of order or repeated)`, { seq: view.seq });
      }
      records.push(auditRecordFromView(view));
      after = view.seq;
    }
    if (page.length < pageSize) return records;
  }
}

export interface AuditLogReport {
  coordinator: string;
  coordinatorKey: string;
  count: number;
  head: SeenHead | null;
  verified: { links: number; coordinatorSignatures: number; evidence: number; seenHeads: number };
}

/** Throws the AUDIT_* code of the first problem; the message says which event and what passed before it. */
export function checkAuditLog(records: readonly AuditRecord[], coordinatorKey: string, seen: readonly SeenHead[]): Omit<AuditLogReport, 'coordinator'> {
  const chain = verifyAuditChain(records, { coordinatorKey });
  if (!chain.valid) {
    const passed = chain.headSeq === 0 ? 'no event before it verified' : `events 1..${chain.headSeq} verified`;
    throw new ConclaveError(chain.code!, `audit log: ${chain.reason} (${passed})`, { seq: chain.firstBadSeq, verifiedUpTo: chain.headSeq });
  }
  const rewritten = findRewrittenHeads(records, seen);
  if (rewritten.length > 0) {
    const first = rewritten[0]!;
    const now = first.nowHash === null ? `the log now ends at seq ${records.length}, before it (truncated)` : `the log now has ${first.nowHash} there (rewritten)`;
    throw new ConclaveError('AUDIT_HISTORY_REWRITTEN',
      `audit log: this signer saw head seq ${first.seq} with hash ${first.seenHash}, but ${now}; ${rewritten.length} of ${seen.length} seen heads no longer match. `
      + 'The chain and its coordinator signatures verify, so whoever rewrote it holds the coordinator key',
      { seq: first.seq, rewritten: rewritten.slice(0, 20), rewrittenCount: rewritten.length });
  }
  const last = records[records.length - 1];
  return {
    coordinatorKey, count: records.length, head: last ? { seq: last.seq, hash: last.hash } : null,
    verified: { ...chain.verified, seenHeads: seen.length },
  };
}

/** Fetches, verifies, and on success remembers the verified head as seen. */
export async function verifyCoordinatorAuditLog(client: AuditLogClient, state: StateStore): Promise<AuditLogReport> {
  const { coordinatorKey, auditHeads } = state.read();
  if (coordinatorKey === null) {
    throw new ConclaveError('COORDINATOR_KEY_NOT_PINNED', 'audit verify: no coordinator key pinned in state.json, so its signatures cannot be checked');
  }
  const records = await fetchAuditLog(client);
  const report = checkAuditLog(records, coordinatorKey, auditHeads);
  const last = records[records.length - 1];
  if (last && last.coordinatorSig !== null) rememberSeenHead(state, { seq: last.seq, hash: last.hash, coordinatorSig: last.coordinatorSig });
  return { coordinator: client.baseUrl, ...report };
}
