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
import { deriveVaultScript, formatVaultDescriptor, parseVaultDescriptor } from '../../protocol/descriptor';
import { intentHash } from '../../protocol/intent/intent-hash';
import { DEFAULT_POLICY, policyHash } from '../../protocol/policy';
import { TEST_MNEMONICS, testKeyholder } from './psbt-vault-fixture';

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
  'approval.received': MESSAGE_TYPES.withdrawalApprove,
  'signature.received': MESSAGE_TYPES.withdrawalSignature,
};

export const SAMPLE_VAULT_ID = '6f1c2a4e-8d3b-4c5a-9e7f-0a1b2c3d4e5f';
export const SAMPLE_WITHDRAWAL_ID = '7a2d3b5f-9e4c-4d6b-8f80-1b2c3d4e5f60';
const ACCOUNT_PATH = '48h/1h/0h/2h';

function accountKey(mnemonic: string) {
  const holder = testKeyholder(mnemonic);
  return { fingerprint: holder.fingerprint, path: ACCOUNT_PATH, xpub: holder.xpub };
}

/** Statements as the CLI signs them, for a 2-of-2 regtest vault of Alice and Bob. */
export function sampleStatements() {
  const aliceKey = accountKey(TEST_MNEMONICS[0]!);
  const bobKey = accountKey(TEST_MNEMONICS[1]!);
  const descriptor = formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: [aliceKey, bobKey] });
  const firstAddress = deriveVaultScript(parseVaultDescriptor(descriptor, 'regtest'), 0, 0).address;
  const intent = {
    vaultId: SAMPLE_VAULT_ID, network: 'regtest' as const, requestId: 'payout-1', outputs: [{ address: firstAddress, amount: '50000' }],
    feeRate: '2', maxFee: '5000', memo: '', expiresAt: '2026-03-03T12:00:00.000Z', policyHash: policyHash(DEFAULT_POLICY),
  };
  return {
    aliceJoin: { name: 'alice', network: 'regtest', accountKey: aliceKey },
    bobJoin: { name: 'bob', network: 'regtest', accountKey: bobKey },
    vaultCreate: { name: 'treasury', network: 'regtest', threshold: 2, members: [ALICE, BOB], descriptor, policy: DEFAULT_POLICY },
    vaultConfirm: { vaultId: SAMPLE_VAULT_ID, descriptor, firstAddress, policyHash: policyHash(DEFAULT_POLICY) },
    descriptor, firstAddress, intent, intentHash: intentHash(intent),
  };
}

/** A sample history: two members join, one creates a vault, the other confirms it, it becomes active. */
export function sampleSpecs(): EventSpec[] {
  const s = sampleStatements();
  return [
    { kind: 'member.joined', by: ALICE_SECRET, subject: 'member-alice', body: s.aliceJoin, payload: { name: 'alice', accountKey: s.aliceJoin.accountKey } },
    { kind: 'member.joined', by: BOB_SECRET, subject: 'member-bob', body: s.bobJoin, payload: { name: 'bob', accountKey: s.bobJoin.accountKey } },
    {
      kind: 'vault.created', by: ALICE_SECRET, subject: SAMPLE_VAULT_ID, body: s.vaultCreate,
      payload: { name: 'treasury', descriptor: s.descriptor, threshold: 2, policyHash: policyHash(DEFAULT_POLICY) },
    },
    { kind: 'vault.confirmed', by: BOB_SECRET, subject: SAMPLE_VAULT_ID, body: s.vaultConfirm, payload: { firstAddress: s.firstAddress } },
    { kind: 'vault.activated', subject: SAMPLE_VAULT_ID, payload: { keyholders: 2 } },
  ];
}

/** The sample history followed by a withdrawal that Alice proposes and Bob approves. */
export function grownSpecs(): EventSpec[] {
  const s = sampleStatements();
  return [
    ...sampleSpecs(),
    { kind: 'withdrawal.proposed', by: ALICE_SECRET, subject: SAMPLE_WITHDRAWAL_ID, body: s.intent, payload: { vaultId: SAMPLE_VAULT_ID, intentHash: s.intentHash } },
    { kind: 'withdrawal.awaiting_approval', subject: SAMPLE_WITHDRAWAL_ID, payload: { requiredApprovals: 1 } },
    {
      kind: 'approval.received', by: BOB_SECRET, subject: SAMPLE_WITHDRAWAL_ID,
      body: { withdrawalId: SAMPLE_WITHDRAWAL_ID, vaultId: SAMPLE_VAULT_ID, intentHash: s.intentHash }, payload: { count: 1, required: 1 },
    },
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
