/**
 * Runtime shapes of the coordinator's responses (protocol/api.ts declares them as interfaces).
 * The coordinator is trusted for availability only, so its answers are parsed like any other
 * untrusted input before the CLI reads a field; security decisions never rest on them alone.
 */
import { z } from 'zod';
import { vaultPolicySchema } from '../../protocol/policy';
import { hash256Schema, idSchema, identityKeySchema, keyOriginSchema, WITHDRAWAL_STATES } from '../../protocol/api';

/** `coordinatorKey` signs the audit log; `join` pins it. */
export const infoViewSchema = z.object({ network: z.string(), version: z.string(), coordinatorKey: identityKeySchema });

export const memberViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  identityKey: identityKeySchema,
  fingerprint: z.string(),
  network: z.string(),
  accountKey: keyOriginSchema,
  createdAt: z.string(),
});
export type MemberViewParsed = z.infer<typeof memberViewSchema>;

export const vaultViewSchema = z.object({
  id: idSchema,
  /** Absent from coordinators that predate FROST vaults: script multisig. */
  kind: z.enum(['wsh-sortedmulti', 'tr-frost']).optional(),
  name: z.string(),
  network: z.string(),
  threshold: z.number().int(),
  descriptor: z.string(),
  /** Parsed strictly; the signer recomputes its hash before pinning it. */
  policy: vaultPolicySchema,
  policyHash: hash256Schema,
  members: z.array(z.object({
    memberId: z.string(),
    name: z.string(),
    identityKey: identityKeySchema,
    fingerprint: z.string(),
    accountKey: keyOriginSchema,
  })),
  createdBy: z.string(),
  createdAt: z.string(),
  confirmations: z.array(z.object({ identityKey: z.string(), firstAddress: z.string(), createdAt: z.string() })),
  balance: z.object({ confirmed: z.string(), reserved: z.string() }),
  /** Left unparsed here: signer-cli/vault/evidence.ts verifies every envelope. */
  evidence: z.object({ create: z.unknown(), joins: z.array(z.unknown()) }),
});
export type VaultViewParsed = z.infer<typeof vaultViewSchema>;

export const addressViewSchema = z.object({
  change: z.union([z.literal(0), z.literal(1)]),
  index: z.number().int().min(0),
  address: z.string(),
});

export const utxoViewSchema = z.object({
  txid: z.string(),
  vout: z.number().int(),
  amount: z.string(),
  address: z.string(),
  change: z.union([z.literal(0), z.literal(1)]),
  index: z.number().int(),
  status: z.string(),
  reservedBy: z.string().nullable(),
});
export type UtxoViewParsed = z.infer<typeof utxoViewSchema>;

export const depositResultSchema = z.object({ txid: z.string(), utxos: z.array(utxoViewSchema) });

export const withdrawalViewSchema = z.object({
  id: idSchema,
  vaultId: idSchema,
  state: z.enum(WITHDRAWAL_STATES),
  requestId: z.string(),
  /** Left unparsed here: verification parses it strictly. */
  intent: z.unknown(),
  intentHash: hash256Schema,
  proposal: z.unknown(),
  proposedBy: z.string(),
  psbt: z.string(),
  unsignedTxid: z.string(),
  fee: z.string(),
  /** Left unparsed here: every approval is verified by protocol/intent/approvals.ts. */
  approvals: z.array(z.unknown()),
  signatures: z.array(z.object({ identityKey: z.string(), fingerprint: z.string(), createdAt: z.string() })),
  txid: z.string().nullable(),
  txHex: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type WithdrawalViewParsed = z.infer<typeof withdrawalViewSchema>;

export const transactionViewSchema = z.object({
  txid: z.string().regex(/^[0-9a-f]{64}$/),
  hex: z.string().regex(/^([0-9a-f]{2})+$/),
});

/** One audit event as GET /api/v1/audit serves it; every field is checked by protocol/audit before it is believed. */
export const auditEventViewSchema = z.object({
  seq: z.number().int().min(1),
  kind: z.string().max(100),
  actor: z.string().nullable(),
  subject: z.string().nullable(),
  payload: z.unknown(),
  evidence: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
  coordinatorSig: z.string().nullable(),
  createdAt: z.string(),
}).transform((e) => ({ ...e, evidence: e.evidence ?? null }));
export type AuditEventViewParsed = z.infer<typeof auditEventViewSchema>;

/** The `audit.head` push, signed by the coordinator key. */
export const auditHeadEventSchema = z.object({
  kind: z.literal('audit.head'),
  seq: z.number().int().min(1),
  hash: hash256Schema,
  coordinatorSig: z.string().regex(/^[0-9a-f]{128}$/),
});

/**
 * GET /api/v1/withdrawals/:id/frost (protocol/frost/signing-api.ts FrostSigningView). The signed
 * commitment statements are left unparsed here: checkSigningPackage verifies every one.
 */
export const frostSessionViewSchema = z.object({
  sessionId: idSchema,
  withdrawalId: idSchema,
  state: z.enum(['signing', 'complete', 'failed']),
  signers: z.array(identityKeySchema).max(15),
  commits: z.array(z.unknown()).max(15),
  sharesFrom: z.array(z.string()).max(15),
  failure: z.object({ code: z.string(), message: z.string(), identityKey: z.string().nullable() }).nullable(),
  createdAt: z.string(),
});
export type FrostSessionViewParsed = z.infer<typeof frostSessionViewSchema>;

export const frostSigningViewSchema = z.object({
  withdrawalId: idSchema,
  waiting: z.array(z.string()),
  sessions: z.array(frostSessionViewSchema),
});
export type FrostSigningViewParsed = z.infer<typeof frostSigningViewSchema>;

/**
 * A policy, membership or address-book change of a governed vault, as the coordinator keeps
 * it (GET /api/v1/vaults/:id/changes[/:changeId]). Only the signed proposal and approvals are
 * believed, and only after protocol/policy-engine applyChange verifies them against this
 * signer's own pinned state; `status`, `effectiveAt` and the rest are the coordinator's opinion,
 * shown beside the signer's own verdict.
 */
export const changeViewSchema = z.object({
  changeId: hash256Schema,
  op: z.string().max(40),
  /** The coordinator's word; left unparsed here: the signed proposal is parsed strictly. */
  change: z.unknown().optional(),
  proposer: z.string().max(200).optional(),
  /** The `governance.propose` envelope. */
  proposal: z.unknown(),
  /** Stored approval evidence (`governance.approve` envelopes); each is verified by applyChange. */
  approvals: z.array(z.unknown()).max(100),
  status: z.string().max(40),
  effectiveAt: z.string().max(40).nullable().optional(),
});
export type ChangeViewParsed = z.infer<typeof changeViewSchema>;

/** GET /api/v1/vaults/:id/policy: the coordinator's copy, only compared with what this signer pinned. */
export const policyViewSchema = z.object({
  vaultId: idSchema,
  policyHash: hash256Schema,
  parts: z.object({ policy: hash256Schema, members: hash256Schema, addressBook: hash256Schema }).nullable(),
});
