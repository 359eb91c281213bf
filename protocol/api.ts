/**
 * Every wire message between coordinator and signers, in one place: the bodies of signed
 * envelopes (what members state), REST responses, and WebSocket frames. Schemas are zod,
 * so both sides validate with the same code; `z.toJSONSchema` feeds the OpenAPI document.
 */
import { z } from 'zod';
import { BSMS_MODES } from './bsms/token';
import {
  feeRateSchema, hash256Schema, hexBytes, idSchema, identityKeySchema, nameSchema, networkSchema, satsSchema, txidSchema,
} from './schemas';
import { type VaultPolicy, vaultPolicySchema } from './policy';
import { GOVERNANCE_MESSAGE_TYPES } from './policy-engine/changes';

export {
  feeRateSchema, hash256Schema, idSchema, identityKeySchema, networkSchema, satsSchema, txidSchema,
} from './schemas';
const name = nameSchema;

/** Message types of signed envelopes; the tag of each signature names one of these. */
export const MESSAGE_TYPES = {
  memberJoin: 'member.join',
  vaultCreate: 'vault.create',
  vaultConfirm: 'vault.confirm',
  depositRegister: 'deposit.register',
  withdrawalPropose: 'withdrawal.propose',
  withdrawalApprove: 'withdrawal.approve',
  withdrawalCancel: 'withdrawal.cancel',
  /** A fee bump (RBF): the body is the replacement intent, with `replaces` set. */
  withdrawalBump: 'withdrawal.bump',
  withdrawalSignature: 'withdrawal.signature',
  /** A member asks that a transaction the node refused be sent again (body: withdrawalBroadcastRetrySchema). */
  withdrawalBroadcastRetry: 'withdrawal.broadcast-retry',
  wsAuth: 'ws.auth',
  setupOpen: 'setup.open',
  setupKeyRecord: 'setup.key-record',
  setupDescriptorRecord: 'setup.descriptor-record',
  /** Body: a `ChangeProposal` (protocol/policy-engine/changes.ts). */
  governancePropose: GOVERNANCE_MESSAGE_TYPES.propose,
  /** Body: a `ChangeApproval`. */
  governanceApprove: GOVERNANCE_MESSAGE_TYPES.approve,
  /** Sign-in with the identity key: the body names the coordinator, so it opens a session there only. */
  sessionOpen: 'session.open',
  /** An API token granted by a member for automation; the body carries the hash of its secret. */
  tokenCreate: 'token.create',
  tokenRevoke: 'token.revoke',
  /** Signed by the coordinator's key: a withdrawal proposed through a member's API token. */
  withdrawalProposeByToken: 'withdrawal.propose-by-token',
  /** An administrator registers a webhook endpoint (body: protocol/webhooks.ts webhookCreateSchema). */
  webhookCreate: 'webhook.create',
  webhookDisable: 'webhook.disable',
} as const;

/** A BIP48 account key with its origin, as it appears in a descriptor `[fp/path]xpub`. */
export const keyOriginSchema = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{8}$/),
  /** Origin path as descriptors write it (BIP380), hardened with "h": 48h/1h/0h/2h. */
  path: z.string().regex(/^[0-9]+h(\/[0-9]+h)*$/, 'expected a hardened origin path like 48h/1h/0h/2h'),
  xpub: z.string().min(100).max(120),
}).strict();
export type KeyOrigin = z.infer<typeof keyOriginSchema>;

// ---- envelope bodies (signed by members) ----

export const memberJoinSchema = z.object({
  name,
  network: networkSchema,
  accountKey: keyOriginSchema,
}).strict();
export type MemberJoin = z.infer<typeof memberJoinSchema>;

export const vaultCreateSchema = z.object({
  name,
  network: networkSchema,
  /** At least 2: with 1, any one keyholder could spend alone (DESIGN.md, invariant 2). */
  threshold: z.number().int().min(2).max(15),
  /** Identity keys of the keyholders, in descriptor key order. */
  members: z.array(identityKeySchema).min(1).max(15),
  descriptor: z.string().min(1).max(4000),
  policy: vaultPolicySchema,
}).strict();
export type VaultCreate = z.infer<typeof vaultCreateSchema>;

export const vaultConfirmSchema = z.object({
  vaultId: idSchema,
  descriptor: z.string().min(1).max(4000),
  firstAddress: z.string().min(1).max(100),
  /** The policy hash the keyholder pinned with the vault. */
  policyHash: hash256Schema,
}).strict();
export type VaultConfirm = z.infer<typeof vaultConfirmSchema>;

export const depositRegisterSchema = z.object({
  vaultId: idSchema,
  rawTx: z.string().regex(/^([0-9a-f]{2})+$/, 'expected raw transaction hex').max(2_000_000),
}).strict();
export type DepositRegister = z.infer<typeof depositRegisterSchema>;

export const intentOutputSchema = z.object({
  address: z.string().min(1).max(100),
  amount: satsSchema,
}).strict();

/** The withdrawal intent: what the proposer signs and every signer checks the PSBT against. */
export const withdrawalIntentSchema = z.object({
  vaultId: idSchema,
  network: networkSchema,
  /** Client-chosen idempotency key: same id and content returns the existing withdrawal. */
  requestId: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/),
  outputs: z.array(intentOutputSchema).min(1).max(100),
  /** Fee rate the coordinator builds at, and the highest a signer accepts. */
  feeRate: feeRateSchema,
  /** Absolute fee cap in satoshis; a signer refuses a PSBT whose fee exceeds it. */
  maxFee: satsSchema,
  memo: z.string().max(200).default(''),
  expiresAt: z.iso.datetime(),
  /** Hash of the vault policy the proposer acts under; signers refuse any other. */
  policyHash: hash256Schema,
  /**
   * Set on a fee bump (RBF): the hash of the intent this one replaces, for the same withdrawal,
   * paying the same outputs from the same coins at a higher fee. A signer signs it only as a
   * replacement of the intent it signed last for that withdrawal (its journal).
   */
  replaces: hash256Schema.optional(),
}).strict();
export type WithdrawalIntent = z.infer<typeof withdrawalIntentSchema>;

export const partialSignatureSchema = z.object({
  input: z.number().int().min(0).max(10_000),
  pubkey: hexBytes(33),
  /** DER ECDSA signature with the sighash byte appended, as in a PSBT partial_sig. */
  signature: z.string().regex(/^[0-9a-f]{16,146}$/),
}).strict();
export type PartialSignature = z.infer<typeof partialSignatureSchema>;

/** Base64 PSBT, bounded like every request body. */
export const psbtBase64Schema = z.string().min(1).max(4_000_000).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64');

/**
 * A keyholder's signatures for a withdrawal: either the partial signatures themselves (what
 * signer-cli sends) or a PSBT signed in another wallet, from which they are taken.
 */
export const withdrawalSignatureSchema = z.object({
  withdrawalId: idSchema,
  intentHash: hash256Schema,
  /** txid of the unsigned transaction the signatures commit to. */
  unsignedTxid: txidSchema,
  partialSigs: z.array(partialSignatureSchema).min(1).max(10_000).optional(),
  psbt: psbtBase64Schema.optional(),
}).strict().refine((b) => (b.partialSigs === undefined) !== (b.psbt === undefined), { message: 'give exactly one of partialSigs and psbt' });
export type WithdrawalSignature = z.infer<typeof withdrawalSignatureSchema>;

/** A keyholder stops a withdrawal that nobody has signed yet; its coins become available again. */
export const withdrawalCancelSchema = z.object({
  withdrawalId: idSchema,
  intentHash: hash256Schema,
  reason: z.string().max(200).default(''),
}).strict();
export type WithdrawalCancel = z.infer<typeof withdrawalCancelSchema>;

/**
 * A member asks the coordinator to send again the final transaction the node refused (the
 * withdrawal is still `signed`). It names the txid, so the statement cannot be spent on another
 * transaction, such as a fee bump's replacement.
 */
export const withdrawalBroadcastRetrySchema = z.object({
  withdrawalId: idSchema,
  txid: txidSchema,
}).strict();
export type WithdrawalBroadcastRetry = z.infer<typeof withdrawalBroadcastRetrySchema>;

/** The answer to a retry: the refused transaction is due to be sent again now. */
export const broadcastRetryViewSchema = z.object({
  retried: z.literal(true),
  withdrawalId: idSchema,
  txid: txidSchema,
  /** What the node said when it refused it last. */
  refusedReason: z.string().nullable(),
  /** The outbox sends it at once; the outcome shows as the withdrawal's state (broadcast) or a new refusal. */
  nextAttemptAt: z.string(),
});
export type BroadcastRetryView = z.infer<typeof broadcastRetryViewSchema>;

export const wsAuthSchema = z.object({ challenge: hexBytes(32) }).strict();

// ---- vault setup by BIP129 (BSMS 1.0): the coordinator relays records it cannot read ----

export const bsmsModeSchema = z.enum(BSMS_MODES);
/**
 * What a party sends in a BSMS round: hex(MAC || ciphertext) under the session's token, or the
 * record text itself with NO_ENCRYPTION. 16 KiB of record at most (protocol/bsms/encryption.ts).
 */
export const bsmsRecordDataSchema = z.string().min(1).max(2 * (32 + 16 * 1024));

/**
 * BIP129 Round 1 opened by the keyholder whose signer CLI plays the Coordinator. The token(s)
 * stay with the people and their signers: no token ever reaches the coordinator.
 */
export const setupOpenSchema = z.object({
  name,
  network: networkSchema,
  /** M, at least 2 as for any vault (DESIGN.md, invariant 2). */
  threshold: z.number().int().min(2).max(15),
  /** N: how many key records the setup collects (the opener's own included). */
  keyholders: z.number().int().min(2).max(15),
  mode: bsmsModeSchema,
  expiresAt: z.iso.datetime(),
}).strict().refine((b) => b.threshold <= b.keyholders, { message: 'threshold: at most keyholders', path: ['threshold'] });
export type SetupOpen = z.infer<typeof setupOpenSchema>;

/**
 * A key record (BIP129 Round 1), sealed with the signer's token. `member` is set only when the
 * opener relays a record made by another wallet (`setup import-key`) for that member.
 */
export const setupKeyRecordSchema = z.object({
  setupId: idSchema,
  record: bsmsRecordDataSchema,
  member: identityKeySchema.optional(),
}).strict();
export type SetupKeyRecord = z.infer<typeof setupKeyRecordSchema>;

/**
 * The descriptor record (BIP129 Round 2), by the opener only: one `record` sealed with the
 * shared token, or in EXTENDED mode `records`, one per keyholder (identity key) sealed with
 * that keyholder's own token.
 */
export const setupDescriptorRecordSchema = z.object({
  setupId: idSchema,
  record: bsmsRecordDataSchema.optional(),
  records: z.record(identityKeySchema, bsmsRecordDataSchema).optional(),
}).strict()
  .refine((b) => (b.record === undefined) !== (b.records === undefined), { message: 'give exactly one of record and records' })
  .refine((b) => b.records === undefined || (Object.keys(b.records).length >= 1 && Object.keys(b.records).length <= 15), { message: 'records: 1 to 15 entries', path: ['records'] });
export type SetupDescriptorRecord = z.infer<typeof setupDescriptorRecordSchema>;

// ---- responses ----

export const WITHDRAWAL_STATES = [
  'proposed', 'awaiting_approval', 'approved', 'signing', 'signed', 'broadcast', 'confirmed',
  'exported', 'rejected', 'cancelled', 'expired', 'failed',
] as const;
export type WithdrawalState = (typeof WITHDRAWAL_STATES)[number];

export interface MemberView {
  id: string;
  name: string;
  identityKey: string;
  fingerprint: string;
  network: string;
  accountKey: KeyOrigin;
  createdAt: string;
}

export interface VaultView {
  id: string;
  name: string;
  network: string;
  threshold: number;
  descriptor: string;
  policy: VaultPolicy;
  policyHash: string;
  members: Array<{ memberId: string; name: string; identityKey: string; fingerprint: string; accountKey: KeyOrigin }>;
  createdBy: string;
  createdAt: string;
  /** Envelopes by which keyholders confirmed the vault after checking it themselves. */
  confirmations: Array<{ identityKey: string; firstAddress: string; createdAt: string }>;
  /** `active` once every keyholder has confirmed the vault with a signed statement. */
  status: 'pending_confirmation' | 'active';
  balance: { confirmed: string; reserved: string };
  /**
   * The signed statements the vault rests on, which signers re-verify before pinning it: the
   * creator's vault.create envelope, and each keyholder's member.join envelope (in key order),
   * which binds their identity key to their account key.
   */
  evidence: { create: unknown; joins: unknown[] };
}

export interface AddressView { change: 0 | 1; index: number; address: string }

export interface UtxoView {
  txid: string; vout: number; amount: string; address: string; change: 0 | 1; index: number;
  status: 'available' | 'reserved' | 'spent'; reservedBy: string | null;
}

export interface WithdrawalView {
  id: string;
  vaultId: string;
  state: WithdrawalState;
  requestId: string;
  intent: WithdrawalIntent;
  intentHash: string;
  /** The proposer's signed envelope whose body is `intent`. */
  proposal: unknown;
  proposedBy: string;
  psbt: string;
  unsignedTxid: string;
  fee: string;
  /** `withdrawal.approve` envelopes, kept as evidence that signers re-verify. */
  approvals: unknown[];
  signatures: Array<{ identityKey: string; fingerprint: string; createdAt: string }>;
  txid: string | null;
  txHex: string | null;
  createdAt: string;
  updatedAt: string;
}

export type BsmsModeName = z.infer<typeof bsmsModeSchema>;

/** A BSMS setup as the coordinator relays it: opaque sealed records and the envelopes that carried them. */
export interface SetupView {
  id: string;
  name: string;
  network: string;
  threshold: number;
  keyholders: number;
  mode: BsmsModeName;
  expiresAt: string;
  /** Identity key of the opener (BIP129's Coordinator). */
  openedBy: string;
  createdAt: string;
  /** collecting key records; ready for the descriptor record; complete; or expired before completion. */
  status: 'collecting' | 'ready' | 'complete' | 'expired';
  /** The opener's setup.open envelope. */
  openEnvelope: unknown;
  /** In arrival order, which is descriptor key order. */
  keyRecords: Array<{ position: number; member: string; submittedBy: string; record: string; envelope: unknown; createdAt: string }>;
  /** The opener's setup.descriptor-record envelope, whose body holds the sealed record(s); null until sent. */
  descriptorRecord: { envelope: unknown; createdAt: string } | null;
}

export interface AuditEventView {
  seq: number; kind: string; actor: string | null; subject: string | null;
  payload: unknown; evidence: unknown; prevHash: string; hash: string; createdAt: string;
  /** BIP340 signature by the coordinator key (GET /api/v1/info) on {seq, hash}. */
  coordinatorSig: string;
}

/**
 * GET /api/v1/fee-estimates: the coordinator's chain backend's fee rates for three confirmation
 * targets, to prefill a proposal's fee rate. A suggestion only: a proposer signs whatever rate it
 * chooses, and every signer holds it to the pinned policy's caps. `fallback` marks a rate the
 * backend could not estimate (a young chain, no data): CONCLAVE_FALLBACK_FEE_RATE stands in, as
 * it does for every rate of an offline coordinator. No rate is below CONCLAVE_MIN_FEE_RATE.
 */
export const FEE_TARGETS = [
  { name: 'priority', targetBlocks: 2 },
  { name: 'normal', targetBlocks: 6 },
  { name: 'economy', targetBlocks: 144 },
] as const;
export type FeeTargetName = (typeof FEE_TARGETS)[number]['name'];
export const feeEstimatesViewSchema = z.object({
  source: z.enum(['core', 'esplora', 'offline']),
  rates: z.array(z.object({
    name: z.enum(['priority', 'normal', 'economy']),
    targetBlocks: z.number().int().min(1).max(1008),
    feeRate: feeRateSchema,
    fallback: z.boolean(),
  }).strict()).length(FEE_TARGETS.length),
  /** When the backend was asked (answers are cached for a minute). */
  fetchedAt: z.iso.datetime(),
}).strict();
export type FeeEstimatesView = z.infer<typeof feeEstimatesViewSchema>;

export interface ErrorBody { error: { code: string; message: string; details?: Record<string, unknown> } }

// ---- WebSocket frames ----

export type ServerFrame =
  | { type: 'challenge'; challenge: string }
  | { type: 'ready'; identityKey: string; memberId: string }
  | { type: 'event'; event: CoordinatorEvent }
  | { type: 'error'; error: { code: string; message: string } };

export type ClientFrame = { type: 'auth'; envelope: unknown };

export type CoordinatorEvent =
  | { kind: 'signing.requested'; vaultId: string; withdrawalId: string }
  | { kind: 'signature.received'; vaultId: string; withdrawalId: string; identityKey: string; count: number; threshold: number }
  | { kind: 'withdrawal.state'; vaultId: string; withdrawalId: string; state: WithdrawalState }
  /** A FROST signing session opened for a withdrawal: its signers fetch it and send their shares. */
  | { kind: 'frost.session'; vaultId: string; withdrawalId: string; sessionId: string }
  /** A FROST session failed (a bad share, a time-out): keyholders send fresh commitments. */
  | { kind: 'frost.retry'; vaultId: string; withdrawalId: string }
  /** Pushed after every commit that appended audit events; signers keep the heads they saw. */
  | { kind: 'audit.head'; seq: number; hash: string; coordinatorSig: string }
  /**
   * Governance of a governed vault (invariant 8: every keyholder is told): a change proposed,
   * approved by one more member, or applied to the coordinator's copy of the policy. Signers
   * fetch the change (GET /api/v1/vaults/:id/changes/:changeId) and judge it themselves.
   */
  | { kind: 'governance.proposed'; vaultId: string; changeId: string; op: string }
  | { kind: 'governance.approved'; vaultId: string; changeId: string; identityKey: string }
  | { kind: 'governance.applied'; vaultId: string; changeId: string; op: string; policyHash: string };
