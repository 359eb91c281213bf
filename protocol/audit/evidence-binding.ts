/**
 * Binds each audit event to what its evidence actually says. A valid signature by the actor is
 * not enough: a coordinator could otherwise record Alice's approval of one withdrawal as her
 * approval of another, replay one statement as two events, or claim a vault was created with
 * another descriptor than the one she signed. So, walking the chain in order, every event's
 * subject and the payload fields a member's statement determines must follow from that
 * statement, coordinator steps must name a subject the log introduced earlier, and no signed
 * statement (signer and nonce) may appear twice. A FROST vault is bound to its key generation
 * (frost-setup-binding.ts).
 *
 * The payload fields that are the coordinator's own findings (counts, the transaction it
 * built) stay its claims: signers check those themselves before signing, and the log records
 * which coordinator made them (its signature on every event).
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { type Envelope } from '../envelope';
import { approvalBodySchema } from '../intent/approvals';
import { intentHash } from '../intent/intent-hash';
import { policyHash } from '../policy';
import { formatVaultDescriptor, parseVaultDescriptor } from '../descriptor/vault-descriptor';
import { decodeRawTx, txidOf } from '../psbt/raw';
import {
  depositRegisterSchema, memberJoinSchema, setupDescriptorRecordSchema, setupKeyRecordSchema, setupOpenSchema,
  vaultConfirmSchema, vaultCreateSchema, withdrawalCancelSchema, withdrawalIntentSchema, withdrawalSignatureSchema,
} from '../api';
import { frostCommitBodySchema, frostShareBodySchema } from '../frost/signing-api';
import { Mismatch, parsed, same } from './binding-checks';
import type { AuditEventKind } from './event-kinds';
import { FrostSetupLog } from './frost-setup-binding';

export interface BindableEvent {
  seq: number;
  kind: AuditEventKind;
  subject: string | null;
  /** Parsed canonical JSON of the stored payload. */
  payload: Record<string, unknown>;
}

interface KnownWithdrawal { vaultId: string; intentHash: string }

/** The state of one chain walk: subjects introduced so far and the statements already used. */
export class EvidenceBinder {
  private readonly usedStatements = new Set<string>();
  private readonly members = new Set<string>();
  private readonly vaults = new Set<string>();
  private readonly setups = new Set<string>();
  private readonly withdrawals = new Map<string, KnownWithdrawal>();
  private readonly frost = new FrostSetupLog();
  /** FROST signing sessions the log opened, by session id: the withdrawal each belongs to. */
  private readonly frostSessions = new Map<string, string>();

  /** Null when the event follows from its evidence (and from the log so far), else the reason. */
  bind(event: BindableEvent, envelope: Envelope | null): string | null {
    const where = `seq ${event.seq} (${event.kind})`;
    try {
      if (envelope !== null) this.useOnce(envelope);
      this.bindKind(event, envelope);
      return null;
    } catch (error) {
      if (error instanceof Mismatch) return `${where}: ${error.message}`;
      throw error;
    }
  }

  private useOnce(envelope: Envelope): void {
    const key = `${envelope.signer}:${envelope.nonce}`;
    if (this.usedStatements.has(key)) throw new Mismatch(`evidence reused: statement ${envelope.nonce} by ${envelope.signer} already backs an earlier event`);
    this.usedStatements.add(key);
  }

  private subject(event: BindableEvent): string {
    if (event.subject === null) throw new Mismatch('no subject');
    return event.subject;
  }

  private introduce(set: Set<string>, event: BindableEvent, what: string): string {
    const subject = this.subject(event);
    if (set.has(subject)) throw new Mismatch(`${what} ${subject} was already introduced earlier in the log`);
    set.add(subject);
    return subject;
  }

  private known(set: Set<string> | Map<string, unknown>, subject: string, what: string): void {
    if (!set.has(subject)) throw new Mismatch(`${what} ${subject} does not appear earlier in the log`);
  }

  private withdrawal(subject: string): KnownWithdrawal {
    const found = this.withdrawals.get(subject);
    if (found === undefined) throw new Mismatch(`withdrawal ${subject} does not appear earlier in the log`);
    return found;
  }

  /** A FROST signing session opened earlier in the log, for this withdrawal. */
  private frostSession(sessionId: unknown, withdrawalId: string): void {
    if (typeof sessionId !== 'string') throw new Mismatch('payload.sessionId is missing');
    const owner = this.frostSessions.get(sessionId);
    if (owner === undefined) throw new Mismatch(`FROST session ${sessionId} was not opened earlier in the log`);
    same(`the withdrawal of FROST session ${sessionId}`, owner, withdrawalId);
  }

  /** Each kind's rule, in one switch so that a new kind without a rule fails to compile. */
  private bindKind(event: BindableEvent, envelope: Envelope | null): void {
    const body = envelope?.body;
    const { payload } = event;
    switch (event.kind) {
      case 'member.joined': {
        const join = parsed(memberJoinSchema, body);
        this.introduce(this.members, event, 'member');
        same('payload.name', payload.name, join.name);
        same('payload.accountKey', payload.accountKey, join.accountKey);
        return;
      }
      case 'vault.created': {
        const create = parsed(vaultCreateSchema, body);
        this.introduce(this.vaults, event, 'vault');
        same('payload.name', payload.name, create.name);
        same('payload.threshold', payload.threshold, create.threshold);
        same('payload.policyHash', payload.policyHash, policyHash(create.policy));
        same('payload.descriptor', payload.descriptor, canonicalDescriptor(create.descriptor, create.network));
        return;
      }
      case 'vault.confirmed': {
        const confirm = parsed(vaultConfirmSchema, body);
        same('subject', event.subject, confirm.vaultId);
        this.known(this.vaults, confirm.vaultId, 'vault');
        same('payload.firstAddress', payload.firstAddress, confirm.firstAddress);
        return;
      }
      case 'vault.activated':
        this.known(this.vaults, this.subject(event), 'vault');
        return;
      case 'setup.opened': {
        const open = parsed(setupOpenSchema, body);
        this.introduce(this.setups, event, 'setup');
        for (const field of ['name', 'threshold', 'keyholders', 'mode', 'expiresAt'] as const) same(`payload.${field}`, payload[field], open[field]);
        return;
      }
      case 'setup.key-record':
        same('subject', event.subject, parsed(setupKeyRecordSchema, body).setupId);
        this.known(this.setups, this.subject(event), 'setup');
        return;
      case 'setup.descriptor-record':
        same('subject', event.subject, parsed(setupDescriptorRecordSchema, body).setupId);
        this.known(this.setups, this.subject(event), 'setup');
        return;
      case 'deposit.registered': {
        const deposit = parsed(depositRegisterSchema, body);
        same('subject', event.subject, deposit.vaultId);
        this.known(this.vaults, deposit.vaultId, 'vault');
        same('payload.txid', payload.txid, rawTxid(deposit.rawTx));
        return;
      }
      case 'withdrawal.proposed': {
        const intent = parsed(withdrawalIntentSchema, body);
        const subject = this.subject(event);
        if (this.withdrawals.has(subject)) throw new Mismatch(`withdrawal ${subject} was already introduced earlier in the log`);
        this.known(this.vaults, intent.vaultId, 'vault');
        same('payload.vaultId', payload.vaultId, intent.vaultId);
        same('payload.intentHash', payload.intentHash, intentHash(intent));
        this.withdrawals.set(subject, { vaultId: intent.vaultId, intentHash: intentHash(intent) });
        return;
      }
      case 'approval.received': {
        const approval = parsed(approvalBodySchema, body);
        same('subject', event.subject, approval.withdrawalId);
        const known = this.withdrawal(approval.withdrawalId);
        same('the approved vault', known.vaultId, approval.vaultId);
        same('the approved intent hash', known.intentHash, approval.intentHash);
        return;
      }
      case 'signature.received': {
        const signature = parsed(withdrawalSignatureSchema, body);
        same('subject', event.subject, signature.withdrawalId);
        same('the signed intent hash', this.withdrawal(signature.withdrawalId).intentHash, signature.intentHash);
        return;
      }
      case 'withdrawal.bumped': {
        const replacement = parsed(withdrawalIntentSchema, body);
        const subject = this.subject(event);
        const known = this.withdrawal(subject);
        same('the replaced intent hash', replacement.replaces, known.intentHash);
        same('the bumped vault', replacement.vaultId, known.vaultId);
        same('payload.intentHash', payload.intentHash, intentHash(replacement));
        // From here on, approvals and signatures of this withdrawal are for the replacement.
        this.withdrawals.set(subject, { vaultId: known.vaultId, intentHash: intentHash(replacement) });
        return;
      }
      case 'withdrawal.cancelled': {
        const cancel = parsed(withdrawalCancelSchema, body);
        same('subject', event.subject, cancel.withdrawalId);
        same('the cancelled intent hash', this.withdrawal(cancel.withdrawalId).intentHash, cancel.intentHash);
        return;
      }
      case 'withdrawal.awaiting_approval':
      case 'withdrawal.approved':
      case 'withdrawal.signing':
      case 'withdrawal.signed':
      case 'withdrawal.exported':
      case 'withdrawal.expired':
        this.withdrawal(this.subject(event));
        return;
      case 'frost.setup.opened':
        this.frost.opened(event, envelope);
        return;
      case 'frost.round1':
        this.frost.round1(event, envelope);
        return;
      case 'frost.round2':
        this.frost.round2(event, envelope);
        return;
      case 'frost.confirmed':
        this.frost.confirmed(event, envelope);
        return;
      case 'frost.setup.aborted':
        this.frost.aborted(event);
        return;
      case 'frost.vault.created':
        this.frost.vaultCreated(event);
        this.introduce(this.vaults, event, 'vault');
        return;
      case 'frost.commitment.received': {
        const commit = parsed(frostCommitBodySchema, body);
        same('subject', event.subject, commit.withdrawalId);
        const known = this.withdrawal(commit.withdrawalId);
        same('the committed vault', known.vaultId, commit.vaultId);
        same('the committed intent hash', known.intentHash, commit.intentHash);
        same('payload.commitmentId', payload.commitmentId, commit.commitmentId);
        return;
      }
      case 'frost.session.opened': {
        const withdrawalId = this.subject(event);
        this.withdrawal(withdrawalId);
        const sessionId = payload.sessionId;
        if (typeof sessionId !== 'string') throw new Mismatch('payload.sessionId is missing');
        if (this.frostSessions.has(sessionId)) throw new Mismatch(`FROST session ${sessionId} was already opened earlier in the log`);
        this.frostSessions.set(sessionId, withdrawalId);
        return;
      }
      case 'frost.share.received': {
        const share = parsed(frostShareBodySchema, body);
        same('subject', event.subject, share.withdrawalId);
        same('the signed intent hash', this.withdrawal(share.withdrawalId).intentHash, share.intentHash);
        same('payload.sessionId', payload.sessionId, share.sessionId);
        this.frostSession(share.sessionId, share.withdrawalId);
        return;
      }
      case 'frost.session.failed': {
        const withdrawalId = this.subject(event);
        this.withdrawal(withdrawalId);
        this.frostSession(payload.sessionId, withdrawalId);
        return;
      }
      default: {
        const unhandled: never = event.kind;
        throw new Mismatch(`no binding rule for kind ${String(unhandled)}`);
      }
    }
  }
}

function canonicalDescriptor(text: string, network: Parameters<typeof parseVaultDescriptor>[1]): string {
  try {
    return formatVaultDescriptor(parseVaultDescriptor(text, network));
  } catch {
    throw new Mismatch('the signed descriptor does not parse as a vault descriptor');
  }
}

function rawTxid(hex: string): string {
  try {
    return txidOf(decodeRawTx(hexToBytes(hex)));
  } catch {
    throw new Mismatch('the signed rawTx does not parse as a transaction');
  }
}
