/**
 * Audit logs built in memory, as an honest coordinator would write them (hash chain, its
 * signature on every event, members' envelopes as evidence), and the attacker's tools that
 * tests use against them: recompute the chain from an edited event on, with or without the
 * coordinator key. Shared by the protocol, signer-cli and end-to-end audit tests.
 */
import { canonicalJson } from '../../protocol/canonical-json';
import { type AuditRecord, GENESIS_HASH, auditEventHash, signAuditHead } from '../../protocol/audit';
import { identityPublicKey, signEnvelope } from '../../protocol/envelope';
import { MESSAGE_TYPES } from '../../protocol/api';

export const COORDINATOR_SECRET = new Uint8Array(32).fill(0x42);
export const COORDINATOR_KEY = identityPublicKey(COORDINATOR_SECRET);
export const ALICE_SECRET = new Uint8Array(32).fill(0x0a);
export const BOB_SECRET = new Uint8Array(32).fill(0x0b);
export const ALICE = identityPublicKey(ALICE_SECRET);
export const BOB = identityPublicKey(BOB_SECRET);

const NOW = new Date('2026-03-02T12:00:00.000Z');
const AUX = new Uint8Array(32);

/** Deterministic randomness, so fixtures are reproducible. */
export function counterBytes(start = 0): (length: number) => Uint8Array {
  let counter = start;
  return (length) => Uint8Array.from({ length }, () => counter++ & 0xff);
}

export interface EventSpec {
  kind: string;
  /** Secret of the member whose envelope is the evidence; none for a coordinator step. */
  by?: Uint8Array;
  /** Envelope type to sign (defaults to the one the kind implies). */
  type?: string;
  body?: unknown;
  payload?: Record<string, unknown>;
  subject?: string | null;
}

const DEFAULT_TYPE: Record<string, string> = {
  'member.joined': MESSAGE_TYPES.memberJoin,
  'vault.created': MESSAGE_TYPES.vaultCreate,
  'vault.confirmed': MESSAGE_TYPES.vaultConfirm,
  'deposit.registered': MESSAGE_TYPES.depositRegister,
  'withdrawal.proposed': MESSAGE_TYPES.withdrawalPropose,
  'signature.received': MESSAGE_TYPES.withdrawalSignature,
};

/** A sample history: two members join, one creates a vault, the other confirms it, a coordinator step. */
export function sampleSpecs(): EventSpec[] {
  return [
    { kind: 'member.joined', by: ALICE_SECRET, payload: { name: 'alice' } },
    { kind: 'member.joined', by: BOB_SECRET, payload: { name: 'bob' } },
    { kind: 'vault.created', by: ALICE_SECRET, payload: { name: 'treasury', threshold: 2 } },
    { kind: 'vault.confirmed', by: BOB_SECRET, payload: { firstAddress: 'bcrt1q...' } },
    { kind: 'withdrawal.signing', payload: { fee: '282' } },
  ];
}

export function buildAuditChain(specs: EventSpec[], coordinatorSecret: Uint8Array = COORDINATOR_SECRET): AuditRecord[] {
  const random = counterBytes();
  const records: AuditRecord[] = [];
  let prevHash = GENESIS_HASH;
  specs.forEach((spec, i) => {
    const envelope = spec.by === undefined ? null
      : signEnvelope(spec.type ?? DEFAULT_TYPE[spec.kind]!, spec.body ?? { n: i }, spec.by, { now: NOW, randomBytes: random });
    const link = {
      seq: i + 1, kind: spec.kind, actor: envelope?.signer ?? null, subject: spec.subject ?? null,
      payload: canonicalJson(spec.payload ?? {}), evidence: envelope === null ? null : canonicalJson(envelope),
      prevHash, createdAt: new Date(NOW.getTime() + i * 1000).toISOString(),
    };
    const hash = auditEventHash(link);
    records.push({ ...link, hash, coordinatorSig: signAuditHead({ seq: link.seq, hash }, coordinatorSecret, AUX) });
    prevHash = hash;
  });
  return records;
}

/**
 * Recomputes every hash from `fromSeq` on so the chain links again, as someone with write access
 * to the database would after editing an event. With the coordinator secret the signatures are
 * made anew; without it the old ones stay (and no longer match).
 */
export function relinkFrom(records: readonly AuditRecord[], fromSeq: number, coordinatorSecret?: Uint8Array): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (const record of records) {
    if (record.seq < fromSeq) {
      out.push({ ...record });
      prevHash = record.hash;
      continue;
    }
    const link = { ...record, prevHash };
    const hash = auditEventHash(link);
    const coordinatorSig = coordinatorSecret ? signAuditHead({ seq: link.seq, hash }, coordinatorSecret, AUX) : record.coordinatorSig;
    out.push({ ...link, hash, coordinatorSig });
    prevHash = hash;
  }
  return out;
}

/** The REST view of a record (payload and evidence parsed), as GET /api/v1/audit serves it. */
export function toAuditView(record: AuditRecord): Record<string, unknown> {
  return { ...record, payload: JSON.parse(record.payload), evidence: record.evidence === null ? null : JSON.parse(record.evidence) };
}
