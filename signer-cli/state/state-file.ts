/**
 * The signer's local state, `state.json` beside the keystore: the coordinator URL and the
 * coordinator key it pinned, the vaults this signer pinned (DESIGN.md, root of trust), its
 * signing journal, and the audit-log heads it has seen (so `audit verify` catches a coordinator
 * that rewrites or truncates its history afterwards). The journal entry for
 * a withdrawal is written durably BEFORE its signature leaves the machine (invariant 9), so a
 * crash can neither lose the record nor let the signer later sign a second transaction that
 * spends the same coins.
 *
 * Every change is a read-modify-write under a lock file (file-lock.ts), so `listen` and another
 * command run at the same time never overwrite each other's changes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { vaultPolicySchema } from '../../protocol/policy';
import { ConclaveError } from '../../protocol/errors';
import { bsmsModeSchema, hash256Schema, identityKeySchema, idSchema, networkSchema, txidSchema } from '../../protocol/api';
import { ensurePrivateDir, writeFileAtomic } from '../files';
import { FileLock } from './file-lock';

export const STATE_FILE = 'state.json';
const STATE_VERSION = 1;
const LOCK_TIMEOUT_MS = 10_000;

/** One change to a governed vault's pinned policy, as this signer applied it (its evidence stays at the coordinator). */
const appliedChangeSchema = z.object({
  changeId: hash256Schema,
  op: z.string().max(40),
  /** This signer's clock when it pinned the change. */
  appliedAt: z.iso.datetime(),
  /** When the change took effect: the later of the signed proposal and quorum times, plus its delay. */
  effectiveAt: z.iso.datetime().nullable(),
}).strict();
export type AppliedChange = z.infer<typeof appliedChangeSchema>;

const pinnedVaultSchema = z.object({
  vaultId: idSchema,
  name: z.string(),
  network: networkSchema,
  threshold: z.number().int().min(1),
  /** Canonical descriptor text with checksum, as this signer parsed and formatted it. */
  descriptor: z.string(),
  descriptorHash: hash256Schema,
  /** Keyholders in descriptor key order; `fingerprint` is computed locally, never taken from the coordinator. */
  members: z.array(z.object({ identityKey: identityKeySchema, name: z.string(), fingerprint: z.string() }).strict()),
  /** This signer's position in the descriptor's key list. */
  ownIndex: z.number().int().min(0),
  firstAddress: z.string(),
  /** The policy pinned with the vault; its hash was recomputed locally. */
  policy: vaultPolicySchema,
  policyHash: hash256Schema,
  pinnedAt: z.iso.datetime(),
  /**
   * Absent for script multisig (`wsh-sortedmulti`, every pin written before FROST vaults);
   * `tr-frost` for a FROST Taproot vault, which then carries `frost`. For those, `members` are
   * the DKG participants in params order, `ownIndex` is this signer's (its FROST identifier is
   * ownIndex + 1) and `descriptor` is `tr(xpub/<0;1>/*)#checksum`.
   */
  kind: z.literal('tr-frost').optional(),
  /** Public facts of the DKG that made a FROST vault. The share itself is in frost/<setupId>.share, sealed (signer-cli/frost/frost-files.ts). */
  frost: z.object({
    setupId: z.string().regex(/^[0-9a-f]{32}$/),
    paramsHash: hash256Schema,
    /** The transcript hash all n participants signed: names the certificate this share belongs to. */
    transcriptHash: hash256Schema,
    /** This signer's FROST identifier (noble's 64-hex scalar). */
    identifier: z.string().regex(/^[0-9a-f]{64}$/),
    groupXpub: z.string(),
  }).strict().optional(),
  /**
   * Governed vaults (policy version 2): the quorum-approved changes this signer itself applied
   * to `policy`, oldest first (signer-cli/governance/sync.ts); absent until the first one.
   */
  appliedChanges: z.array(appliedChangeSchema).optional(),
}).strict().refine((v) => (v.kind === 'tr-frost') === (v.frost !== undefined), { message: 'a tr-frost vault pin carries its frost facts, and only it', path: ['frost'] });
export type PinnedVault = z.infer<typeof pinnedVaultSchema>;

const journalEntrySchema = z.object({
  withdrawalId: idSchema,
  vaultId: idSchema,
  intentHash: hash256Schema,
  unsignedTxid: txidSchema,
  /** Outpoints `txid:vout` the signed transaction spends. */
  inputs: z.array(z.string().regex(/^[0-9a-f]{64}:[0-9]+$/)),
  /** Fee (satoshis) and what the intent pays: a fee bump must pay more for the same (signing-journal.ts). */
  fee: z.string().regex(/^[0-9]{1,16}$/).optional(),
  paymentsHash: hash256Schema.optional(),
  /**
   * What the intent paid (sats) and to which addresses: velocity limits and address-book expiry
   * count them (protocol/policy-engine/velocity.ts). Absent in entries written before them.
   */
  amountSats: z.string().regex(/^(0|[1-9][0-9]{0,17})$/).optional(),
  destinations: z.array(z.string().min(1).max(100)).max(1000).optional(),
  /** When this signer signed, by its own clock: velocity windows and delays are measured by it. */
  signedAt: z.iso.datetime(),
  /** Set once the coordinator accepted the signature; null means "signed, delivery pending". */
  submittedAt: z.iso.datetime().nullable(),
}).strict();
export type JournalEntry = z.infer<typeof journalEntrySchema>;

/**
 * A BIP129 (BSMS) setup session this signer takes part in (commands/setup-*.ts). Its tokens are
 * the session's secrets, kept only here (state.json is 0600) and shared with people out of band;
 * they are useless once the session expires (BIP129: that is why they may have low entropy).
 */
const setupSessionSchema = z.object({
  setupId: idSchema,
  /** `opener` plays BIP129's Coordinator; `signer` only sends its key record and confirms. */
  role: z.enum(['opener', 'signer']),
  name: z.string(),
  network: networkSchema,
  threshold: z.number().int().min(1),
  keyholders: z.number().int().min(1),
  mode: bsmsModeSchema,
  /** Canonical hex. The opener keeps every token, its own first; a signer keeps its own. */
  tokens: z.array(z.string().regex(/^[0-9a-f]{2,32}$/)).min(1).max(15),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  /** Opener only: the policy the vault is created with at `setup finish`. */
  policy: vaultPolicySchema.optional(),
  /** The vault the setup produced, once known. */
  vaultId: idSchema.optional(),
  /** The descriptor record (plaintext) this signer checked and confirmed, for `setup export`. */
  descriptorRecord: z.string().optional(),
}).strict();
export type SetupSession = z.infer<typeof setupSessionSchema>;

/** An audit head the coordinator signed (verified under the pinned key before it was stored). */
const seenHeadSchema = z.object({ seq: z.number().int().min(1), hash: hash256Schema }).strict();

const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  coordinator: z.string().nullable(),
  /** x-only key that signs the coordinator's audit log, pinned at join. */
  coordinatorKey: identityKeySchema.nullable().default(null),
  memberId: z.string().nullable(),
  vaults: z.array(pinnedVaultSchema),
  journal: z.array(journalEntrySchema),
  /** Sorted by seq; bounded to the first and the most recent (protocol/audit/seen-heads.ts). */
  auditHeads: z.array(seenHeadSchema).default([]),
  /** BSMS setup sessions; absent until the first `setup` command. */
  setupSessions: z.array(setupSessionSchema).optional(),
}).strict();
export type SignerState = z.infer<typeof stateSchema>;

function emptyState(): SignerState {
  return { version: STATE_VERSION, coordinator: null, coordinatorKey: null, memberId: null, vaults: [], journal: [], auditHeads: [] };
}

export class StateStore {
  readonly path: string;
  private readonly lock: FileLock;

  constructor(readonly home: string, lockTimeoutMs = LOCK_TIMEOUT_MS) {
    this.path = join(home, STATE_FILE);
    this.lock = new FileLock(`${this.path}.lock`, lockTimeoutMs);
  }

  read(): SignerState {
    if (!existsSync(this.path)) return emptyState();
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch {
      throw new ConclaveError('VALIDATION_FAILED', `${this.path}: not valid JSON; restore it from a backup`);
    }
    const parsed = stateSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConclaveError('VALIDATION_FAILED', `${this.path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  /** Applies `change` to the freshly read state and writes the result durably before returning it. */
  update(change: (state: SignerState) => void): SignerState {
    ensurePrivateDir(this.home);
    return this.withLock(() => {
      const state = this.read();
      change(state);
      // Validated before it is written: a bad value (say, an id a coordinator made up) must fail
      // this one command, never leave a state.json that no later command can read.
      const checked = stateSchema.safeParse(state);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new ConclaveError('VALIDATION_FAILED', `state.json: refusing to write ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
      }
      writeFileAtomic(this.path, `${JSON.stringify(state, null, 2)}\n`);
      return state;
    });
  }

  private withLock<T>(fn: () => T): T {
    return this.lock.withLock(fn);
  }
}

export function findPinned(state: SignerState, vaultId: string): PinnedVault {
  const pinned = state.vaults.find((v) => v.vaultId === vaultId);
  if (!pinned) {
    throw new ConclaveError('NOT_PINNED', `vault ${vaultId}: not pinned by this signer`, { vaultId });
  }
  return pinned;
}
