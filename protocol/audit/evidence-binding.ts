/**
 * Binds each audit event to what its evidence actually says. A valid signature by the actor is
 * not enough: a coordinator could otherwise record Alice's approval of one withdrawal as her
 * approval of another, replay one statement as two events, or claim a vault was created with
 * another descriptor than the one she signed. So, walking the chain in order, every event's
 * subject and the payload fields a member's statement determines must follow from that
 * statement, coordinator steps must name a subject the log introduced earlier, and no signed
 * statement (signer and nonce) may appear twice. A FROST vault is bound to its key generation
 * (frost-setup-binding.ts); a governance change to its vault and proposal (governance-binding.ts);
 * an approval made with a passkey to a passkey pinned for its signer in the vault's member set,
 * as the log itself establishes that set (pinned-policy-log.ts); and a statement about a vault to
 * a key that a quorum had not replaced there earlier in the log.
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
  vaultConfirmSchema, vaultCreateSchema, withdrawalBroadcastRetrySchema, withdrawalCancelSchema, withdrawalIntentSchema, withdrawalSignatureSchema,
} from '../api';
import { frostCommitBodySchema, frostShareBodySchema } from '../frost/signing-api';
import { Mismatch, parsed, same } from './binding-checks';
import type { AuditEventKind } from './event-kinds';
import { FrostSetupLog } from './frost-setup-binding';
import { GovernanceLog } from './governance-binding';
import type { PasskeyEvidence } from './passkey-evidence';
import { PinnedPolicyLog, replacedIdentityKey } from './pinned-policy-log';
import { TokenLog } from './token-binding';
import { WebhookLog } from './webhook-binding';

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
  private readonly governance = new GovernanceLog();
  /** Each vault's governed policy as the log establishes it, for passkey approvals. */
  private readonly policies = new PinnedPolicyLog();
  private readonly tokenLog = new TokenLog();
  private readonly webhooks = new WebhookLog();
  /** FROST signing sessions the log opened, by session id: the withdrawal each belongs to. */
  private readonly frostSessions = new Map<string, string>();

  /**
   * Null when the event follows from its evidence (and from the log so far), else the reason.
   * The evidence is an envelope, or for an approval a passkey statement (already verified under
   * the key its payload records, passkey-evidence.ts).
   */
  bind(event: BindableEvent, envelope: Envelope | null, passkey: PasskeyEvidence | null = null): string | null {
    const where = `seq ${event.seq} (${event.kind})`;
    try {
      if (envelope !== null) this.useOnce(`${envelope.signer}:${envelope.nonce}`, `statement ${envelope.nonce} by ${envelope.signer}`);
      if (passkey !== null) this.useOnce(`passkey:${passkey.statementId}`, `passkey statement ${passkey.statementId} by ${passkey.signer}`);
      this.bindKind(event, envelope, passkey);
      return null;
    } catch (error) {
      if (error instanceof Mismatch) return `${where}: ${error.message}`;
      throw error;
    }
  }

  private useOnce(key: string, what: string): void {
    if (this.usedStatements.has(key)) throw new Mismatch(`evidence reused: ${what} already backs an earlier event`);
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
  private bindKind(event: BindableEvent, envelope: Envelope | null, passkey: PasskeyEvidence | null): void {
    const body = envelope?.body ?? passkey?.body;
    const { payload } = event;
    // A member's statement about a vault: never by a key replaced there earlier (pinned-policy-log.ts).
    const signer = envelope?.signer ?? passkey?.signer ?? null;
    const about = (vaultId: string): void => {
      if (signer !== null) this.policies.notReplaced(vaultId, signer);
    };
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
        const vaultId = this.introduce(this.vaults, event, 'vault');
        this.policies.formed(vaultId, create.network, create.policy);
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
        about(confirm.vaultId);
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
        about(deposit.vaultId);
        same('payload.txid', payload.txid, rawTxid(deposit.rawTx));
        return;
      }
      case 'withdrawal.proposed': {
        const intent = parsed(withdrawalIntentSchema, body);
        const subject = this.subject(event);
        if (this.withdrawals.has(subject)) throw new Mismatch(`withdrawal ${subject} was already introduced earlier in the log`);
        this.known(this.vaults, intent.vaultId, 'vault');
        about(intent.vaultId);
        same('payload.vaultId', payload.vaultId, intent.vaultId);
        same('payload.intentHash', payload.intentHash, intentHash(intent));
        // Proposed in the web app: by a passkey the log pinned for the proposer in this vault.
        if (passkey !== null) this.policies.passkeyPinned(intent.vaultId, passkey);
        this.withdrawals.set(subject, { vaultId: intent.vaultId, intentHash: intentHash(intent) });
        return;
      }
      case 'approval.received': {
        const approval = parsed(approvalBodySchema, body);
        same('subject', event.subject, approval.withdrawalId);
        const known = this.withdrawal(approval.withdrawalId);
        same('the approved vault', known.vaultId, approval.vaultId);
        same('the approved intent hash', known.intentHash, approval.intentHash);
        about(known.vaultId);
        if (passkey !== null) this.policies.passkeyPinned(known.vaultId, passkey);
        return;
      }
      case 'signature.received': {
        const signature = parsed(withdrawalSignatureSchema, body);
        same('subject', event.subject, signature.withdrawalId);
        const known = this.withdrawal(signature.withdrawalId);
        same('the signed intent hash', known.intentHash, signature.intentHash);
        about(known.vaultId);
        return;
      }
      case 'withdrawal.bumped': {
        const replacement = parsed(withdrawalIntentSchema, body);
        const subject = this.subject(event);
        const known = this.withdrawal(subject);
        same('the replaced intent hash', replacement.replaces, known.intentHash);
        same('the bumped vault', replacement.vaultId, known.vaultId);
        about(known.vaultId);
        same('payload.intentHash', payload.intentHash, intentHash(replacement));
        // From here on, approvals and signatures of this withdrawal are for the replacement.
        this.withdrawals.set(subject, { vaultId: known.vaultId, intentHash: intentHash(replacement) });
        return;
      }
      case 'withdrawal.cancelled': {
        const cancel = parsed(withdrawalCancelSchema, body);
        same('subject', event.subject, cancel.withdrawalId);
        const known = this.withdrawal(cancel.withdrawalId);
        same('the cancelled intent hash', known.intentHash, cancel.intentHash);
        about(known.vaultId);
        return;
      }
      case 'withdrawal.broadcast-retried': {
        const retry = parsed(withdrawalBroadcastRetrySchema, body);
        same('subject', event.subject, retry.withdrawalId);
        about(this.withdrawal(retry.withdrawalId).vaultId);
        same('payload.txid', payload.txid, retry.txid);
        return;
      }
      case 'withdrawal.awaiting_approval':
      case 'withdrawal.approved':
      case 'withdrawal.signing':
      case 'withdrawal.signed':
      case 'withdrawal.exported':
      case 'withdrawal.expired':
      case 'withdrawal.broadcast':
      case 'withdrawal.broadcast-rejected':
      case 'withdrawal.rebroadcast':
      case 'withdrawal.confirmed':
      case 'withdrawal.unconfirmed':
        this.withdrawal(this.subject(event));
        return;
      case 'deposit.detected':
      case 'deposit.confirmed':
      case 'deposit.unconfirmed':
        this.known(this.vaults, this.subject(event), 'vault');
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
      case 'frost.vault.created': {
        const params = this.frost.vaultCreated(event);
        this.policies.formed(this.introduce(this.vaults, event, 'vault'), params.network, params.vault.policy);
        return;
      }
      case 'frost.commitment.received': {
        const commit = parsed(frostCommitBodySchema, body);
        same('subject', event.subject, commit.withdrawalId);
        const known = this.withdrawal(commit.withdrawalId);
        same('the committed vault', known.vaultId, commit.vaultId);
        same('the committed intent hash', known.intentHash, commit.intentHash);
        about(known.vaultId);
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
        const known = this.withdrawal(share.withdrawalId);
        same('the signed intent hash', known.intentHash, share.intentHash);
        about(known.vaultId);
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
      case 'governance.proposed':
        this.governance.proposed(event, envelope, (vaultId) => {
          this.known(this.vaults, vaultId, 'vault');
          about(vaultId);
        });
        return;
      case 'governance.approved': {
        const vaultId = this.governance.approved(event, envelope ?? passkey);
        about(vaultId);
        if (passkey !== null) this.policies.passkeyPinned(vaultId, passkey);
        return;
      }
      case 'governance.applied': {
        const change = this.governance.settled(event, 'applied');
        this.policies.applied(change.vaultId, change, payload);
        const replaced = replacedIdentityKey(change.change);
        if (replaced !== null) this.tokenLog.revokedWithKey(replaced, (payload.credentials as { tokensRevoked?: unknown } | undefined)?.tokensRevoked);
        return;
      }
      case 'governance.superseded':
        this.governance.settled(event, 'superseded');
        return;
      case 'governance.refused':
        this.governance.settled(event, 'refused');
        return;
      case 'token.created':
        this.tokenLog.created(event, envelope);
        return;
      case 'token.revoked':
        this.tokenLog.revoked(event, envelope);
        return;
      case 'withdrawal.proposed-by-token': {
        const subject = this.subject(event);
        if (this.withdrawals.has(subject)) throw new Mismatch(`withdrawal ${subject} was already introduced earlier in the log`);
        const proposed = this.tokenLog.proposed(event, envelope);
        this.known(this.vaults, proposed.vaultId, 'vault');
        this.withdrawals.set(subject, proposed);
        return;
      }
      case 'webhook.created':
        // Its vaults exist in the log, and the signer's key was not replaced in any of them.
        for (const vaultId of this.webhooks.created(event, envelope)) {
          this.known(this.vaults, vaultId, 'vault');
          about(vaultId);
        }
        return;
      case 'webhook.disabled':
        this.webhooks.disabled(event, envelope);
        return;
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
