/**
 * Binds each audit event to what its evidence actually says. A valid signature by the actor is
 * not enough: a coordinator could otherwise record Alice's approval of one withdrawal as her
 * approval of another, replay one statement as two events, or claim a vault was created with
 * another descriptor than the one she signed. So, walking the chain in order, every event's
 * subject and the payload fields a member's statement determines must follow from that
 * statement, coordinator steps must name a subject the log introduced earlier, and no signed
 * statement (signer and nonce) may appear twice. A FROST vault is bound to its key generation:
 * its descriptor and transcript hash must be what the logged round-1 packages give, and every
 * participant must have confirmed that transcript earlier in the log.
 *
 * The payload fields that are the coordinator's own findings (counts, the transaction it
 * built) stay its claims: signers check those themselves before signing, and the log records
 * which coordinator made them (its signature on every event).
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { type Envelope } from '../envelope';
import { approvalBodySchema } from '../intent/approvals';
import { intentHash } from '../intent/intent-hash';
import { canonicalJson } from '../canonical-json';
import { policyHash } from '../policy';
import { formatVaultDescriptor, parseVaultDescriptor } from '../descriptor/vault-descriptor';
import { decodeRawTx, txidOf } from '../psbt/raw';
import {
  depositRegisterSchema, memberJoinSchema, setupDescriptorRecordSchema, setupKeyRecordSchema, setupOpenSchema,
  vaultConfirmSchema, vaultCreateSchema, withdrawalCancelSchema, withdrawalIntentSchema, withdrawalSignatureSchema,
} from '../api';
import { ConclaveError } from '../errors';
import { confirmBodySchema, round1BodySchema, round2BodySchema } from '../frost/dkg-messages';
import {
  participantIdentifier, participantIndexOfIdentifier, participantIndexOfKey, setupParamsHash, type FrostSetupParams,
} from '../frost/dkg-params';
import { dkgTranscript, type Round1Package } from '../frost/dkg-transcript';
import { frostSetupOpenSchema } from '../frost/setup-api';
import { frostCommitBodySchema, frostShareBodySchema } from '../frost/signing-api';
import { frostVaultFromCertificate } from '../frost/vault-key';
import type { AuditEventKind } from './event-kinds';

export interface BindableEvent {
  seq: number;
  kind: AuditEventKind;
  subject: string | null;
  /** Parsed canonical JSON of the stored payload. */
  payload: Record<string, unknown>;
}

interface KnownWithdrawal { vaultId: string; intentHash: string }

/** What the log has shown of one FROST key generation so far. */
interface KnownFrostSetup {
  readonly params: FrostSetupParams;
  readonly paramsHash: string;
  /** Round-1 package by participant index. */
  readonly round1: Map<number, Round1Package>;
  /** `sender:recipient` (participant indexes) of each round-2 share relayed. */
  readonly round2: Set<string>;
  /** Confirmed transcript hash by participant index. */
  readonly confirmations: Map<number, string>;
  ended: 'aborted' | 'vault' | null;
}

/** Thrown inside a binding and turned into the verifier's reason; never escapes `bind`. */
class Mismatch extends Error {}

function same(what: string, recorded: unknown, signed: unknown): void {
  if (canonicalJson(recorded ?? null) !== canonicalJson(signed ?? null)) {
    throw new Mismatch(`${what} is recorded as ${JSON.stringify(recorded ?? null)}, but the signed statement says ${JSON.stringify(signed ?? null)}`);
  }
}

function parsed<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new Mismatch('the signed statement\'s body is not a valid statement of its type');
  return result.data;
}

/** The state of one chain walk: subjects introduced so far and the statements already used. */
export class EvidenceBinder {
  private readonly usedStatements = new Set<string>();
  private readonly members = new Set<string>();
  private readonly vaults = new Set<string>();
  private readonly setups = new Set<string>();
  private readonly withdrawals = new Map<string, KnownWithdrawal>();
  private readonly frostSetups = new Map<string, KnownFrostSetup>();
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

  private frostSetup(subject: string): KnownFrostSetup {
    const found = this.frostSetups.get(subject);
    if (found === undefined) throw new Mismatch(`FROST setup ${subject} does not appear earlier in the log`);
    return found;
  }

  /**
   * A DKG message's common binding: the subject is the setup it names, signed under that
   * setup's params hash, by one of its participants, while the setup is still running.
   * Returns the sender's participant index.
   */
  private frostMessage(event: BindableEvent, envelope: Envelope | null, body: { setupId: string; paramsHash: string }): { setup: KnownFrostSetup; sender: number } {
    same('subject', event.subject, body.setupId);
    const setup = this.frostSetup(body.setupId);
    same('the signed params hash', setup.paramsHash, body.paramsHash);
    if (setup.ended !== null) throw new Mismatch(`FROST setup ${body.setupId} already ended (${setup.ended}) earlier in the log`);
    const sender = participantIndexOfKey(setup.params, envelope?.signer ?? '');
    if (sender < 0) throw new Mismatch(`the DKG message is signed by ${envelope?.signer ?? 'nobody'}, who is not a participant of FROST setup ${body.setupId}`);
    same('payload.participant', event.payload.participant, sender + 1);
    return { setup, sender };
  }

  /**
   * A FROST vault must be exactly the key the logged round-1 packages give, confirmed by every
   * participant over the same transcript hash; the coordinator cannot make one otherwise.
   */
  private frostVault(event: BindableEvent): void {
    const { payload } = event;
    if (typeof payload.setupId !== 'string') throw new Mismatch('payload.setupId is missing');
    const setup = this.frostSetup(payload.setupId);
    if (setup.ended !== null) throw new Mismatch(`FROST setup ${payload.setupId} already ended (${setup.ended}) earlier in the log`);
    const { params, paramsHash } = setup;
    const n = params.participants.length;
    const packages = params.participants.map((_, i) => setup.round1.get(i));
    const missing = packages.findIndex((p) => p === undefined);
    if (missing >= 0) throw new Mismatch(`the log holds no round-1 message of participant ${missing + 1} of FROST setup ${payload.setupId}`);
    let derived: { transcriptHash: string; descriptor: string };
    try {
      const round1Packages = packages as Round1Package[];
      const transcript = dkgTranscript(paramsHash, round1Packages);
      const vault = frostVaultFromCertificate({ ...transcript, params, paramsHash, round1Packages }, params.network);
      derived = { transcriptHash: transcript.transcriptHash, descriptor: vault.descriptor };
    } catch (error) {
      if (error instanceof ConclaveError) throw new Mismatch(`the logged round-1 packages give no key: ${error.message}`);
      throw error;
    }
    same('payload.transcriptHash', payload.transcriptHash, derived.transcriptHash);
    for (let i = 0; i < n; i++) {
      const confirmed = setup.confirmations.get(i);
      if (confirmed !== derived.transcriptHash) {
        throw new Mismatch(confirmed === undefined
          ? `participant ${i + 1} has not confirmed FROST setup ${payload.setupId} earlier in the log`
          : `participant ${i + 1} confirmed transcript ${confirmed}, not ${derived.transcriptHash}`);
      }
    }
    same('payload.descriptor', payload.descriptor, derived.descriptor);
    same('payload.name', payload.name, params.vault.name);
    same('payload.threshold', payload.threshold, params.threshold);
    same('payload.policyHash', payload.policyHash, policyHash(params.vault.policy));
    this.introduce(this.vaults, event, 'vault');
    setup.ended = 'vault';
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
      case 'frost.setup.opened': {
        const open = parsed(frostSetupOpenSchema, body);
        const { params } = open;
        same('subject', event.subject, params.setupId);
        if (participantIndexOfKey(params, envelope?.signer ?? '') < 0) throw new Mismatch('the opener is not a participant of the setup it opened');
        if (this.frostSetups.has(params.setupId)) throw new Mismatch(`FROST setup ${params.setupId} was already introduced earlier in the log`);
        const paramsHash = setupParamsHash(params);
        same('payload.paramsHash', payload.paramsHash, paramsHash);
        same('payload.network', payload.network, params.network);
        same('payload.threshold', payload.threshold, params.threshold);
        same('payload.participants', payload.participants, params.participants.map((p) => p.identityKey));
        same('payload.policyHash', payload.policyHash, policyHash(params.vault.policy));
        same('payload.vaultName', payload.vaultName, params.vault.name);
        same('payload.expiresAt', payload.expiresAt, open.expiresAt);
        this.frostSetups.set(params.setupId, { params, paramsHash, round1: new Map(), round2: new Set(), confirmations: new Map(), ended: null });
        return;
      }
      case 'frost.round1': {
        const round1 = parsed(round1BodySchema, body);
        const { setup, sender } = this.frostMessage(event, envelope, round1);
        same('the round-1 package identifier', round1.package.identifier, participantIdentifier(sender));
        if (setup.round1.has(sender)) throw new Mismatch(`participant ${sender + 1} already has a round-1 message earlier in the log (a second package is equivocation)`);
        setup.round1.set(sender, round1.package);
        return;
      }
      case 'frost.round2': {
        const round2 = parsed(round2BodySchema, body);
        const { setup, sender } = this.frostMessage(event, envelope, round2);
        same('the round-2 sender identifier', round2.sender, participantIdentifier(sender));
        const recipient = participantIndexOfIdentifier(setup.params, round2.recipient);
        if (recipient < 0 || recipient === sender) throw new Mismatch(`the round-2 share of participant ${sender + 1} is addressed to no other participant`);
        same('payload.recipient', payload.recipient, recipient + 1);
        if (setup.round1.size < setup.params.participants.length) throw new Mismatch('a round-2 share relayed before every round-1 message was in the log');
        const pair = `${sender}:${recipient}`;
        if (setup.round2.has(pair)) throw new Mismatch(`participant ${sender + 1} already has a round-2 share for participant ${recipient + 1} earlier in the log`);
        setup.round2.add(pair);
        return;
      }
      case 'frost.confirmed': {
        const confirm = parsed(confirmBodySchema, body);
        const { setup, sender } = this.frostMessage(event, envelope, confirm);
        same('payload.transcriptHash', payload.transcriptHash, confirm.transcriptHash);
        if (setup.confirmations.has(sender)) throw new Mismatch(`participant ${sender + 1} already confirmed earlier in the log`);
        setup.confirmations.set(sender, confirm.transcriptHash);
        return;
      }
      case 'frost.setup.aborted': {
        const setup = this.frostSetup(this.subject(event));
        if (setup.ended !== null) throw new Mismatch(`FROST setup ${this.subject(event)} already ended (${setup.ended}) earlier in the log`);
        setup.ended = 'aborted';
        return;
      }
      case 'frost.vault.created':
        this.frostVault(event);
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
