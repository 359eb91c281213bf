/**
 * What each kind of audit event must carry as evidence (DESIGN.md, trust model: every state
 * change is a signed statement by the person who made it). A kind caused by a member maps to
 * the envelope type of that member's statement; the evidence must be such an envelope, its
 * signature must verify, and its signer must be the event's `actor`. A kind mapped to null is
 * a step the coordinator takes on its own (it has neither actor nor evidence).
 *
 * The table is closed: an event of a kind not listed here fails verification, so that a
 * coordinator cannot slip in an event whose evidence nobody checks. A new kind of event MUST be
 * added here (the coordinator's `AuditService.append` only accepts listed kinds).
 */
import { MESSAGE_TYPES } from '../api';
import { type Envelope, verifyEnvelope } from '../envelope';
import { ConclaveError } from '../errors';
import { DKG_MESSAGE_TYPES } from '../frost/dkg-messages';
import { FROST_SETUP_OPEN } from '../frost/setup-api';
import { FROST_SIGN_MESSAGE_TYPES } from '../frost/signing-api';
import { PASSKEY_EVIDENCE_KINDS, type PasskeyEvidence, checkPasskeyEvidence, isPasskeyEvidence } from './passkey-evidence';

export const AUDIT_EVENT_KINDS = {
  'member.joined': MESSAGE_TYPES.memberJoin,
  'vault.created': MESSAGE_TYPES.vaultCreate,
  'vault.confirmed': MESSAGE_TYPES.vaultConfirm,
  'vault.activated': null,
  'setup.opened': MESSAGE_TYPES.setupOpen,
  'setup.key-record': MESSAGE_TYPES.setupKeyRecord,
  'setup.descriptor-record': MESSAGE_TYPES.setupDescriptorRecord,
  'deposit.registered': MESSAGE_TYPES.depositRegister,
  'withdrawal.proposed': MESSAGE_TYPES.withdrawalPropose,
  'withdrawal.awaiting_approval': null,
  'approval.received': MESSAGE_TYPES.withdrawalApprove,
  'withdrawal.approved': null,
  'withdrawal.signing': null,
  'signature.received': MESSAGE_TYPES.withdrawalSignature,
  'withdrawal.signed': null,
  'withdrawal.exported': null,
  'withdrawal.cancelled': MESSAGE_TYPES.withdrawalCancel,
  'withdrawal.bumped': MESSAGE_TYPES.withdrawalBump,
  'withdrawal.expired': null,
  // FROST key generation (server/frost-setups): each DKG message is its sender's signed statement
  'frost.setup.opened': FROST_SETUP_OPEN,
  'frost.round1': DKG_MESSAGE_TYPES.round1,
  'frost.round2': DKG_MESSAGE_TYPES.round2,
  'frost.confirmed': DKG_MESSAGE_TYPES.confirm,
  'frost.setup.aborted': null,
  'frost.vault.created': null,
  // FROST signing rounds (server/frost-signing): commitments and shares are their keyholders' statements
  'frost.commitment.received': FROST_SIGN_MESSAGE_TYPES.commit,
  'frost.session.opened': null,
  'frost.share.received': FROST_SIGN_MESSAGE_TYPES.share,
  'frost.session.failed': null,
  // Governance of a governed vault (server/governance): proposals and approvals are members' statements;
  // the coordinator's copy of the policy taking a change, or dropping it, are its own steps
  'governance.proposed': MESSAGE_TYPES.governancePropose,
  'governance.approved': MESSAGE_TYPES.governanceApprove,
  'governance.applied': null,
  'governance.superseded': null,
  'governance.refused': null,
  // API tokens (server/auth): a member's grant and its revocation; a withdrawal proposed through
  // a token is the coordinator's own signed statement (its key is the actor), for the grantor
  'token.created': MESSAGE_TYPES.tokenCreate,
  'token.revoked': MESSAGE_TYPES.tokenRevoke,
  'withdrawal.proposed-by-token': MESSAGE_TYPES.withdrawalProposeByToken,
  // The chain watcher (server/chain-watch): deposits seen on the chain and their confirmations
  // and reorgs, broadcasts and their outcome, withdrawals confirmed and reorganized out
  'deposit.detected': null,
  'deposit.confirmed': null,
  'deposit.unconfirmed': null,
  'withdrawal.broadcast': null,
  'withdrawal.broadcast-rejected': null,
  /** A member's retry of a refused broadcast: the refused transaction is sent again. */
  'withdrawal.broadcast-retried': MESSAGE_TYPES.withdrawalBroadcastRetry,
  'withdrawal.rebroadcast': null,
  'withdrawal.confirmed': null,
  'withdrawal.unconfirmed': null,
  // Webhook endpoints (server/webhooks): an administrator's registration and its disabling
  'webhook.created': MESSAGE_TYPES.webhookCreate,
  'webhook.disabled': MESSAGE_TYPES.webhookDisable,
} as const satisfies Record<string, string | null>;

export type AuditEventKind = keyof typeof AUDIT_EVENT_KINDS;

export function isAuditEventKind(kind: string): kind is AuditEventKind {
  return Object.prototype.hasOwnProperty.call(AUDIT_EVENT_KINDS, kind);
}

/** Stored evidence is fixed in time: its validity window is not checked again, only its signature. */
const EPOCH = new Date(0);

/** The verified evidence: an envelope, or (for an approval) a passkey statement; both null for a coordinator step. */
export type EvidenceCheck = { problem: string } | { problem: null; envelope: Envelope | null; passkey?: PasskeyEvidence };

/**
 * Checks that an event's evidence is what its kind implies: returns the verified envelope (null
 * for a coordinator step), or the reason it is not (naming the seq). `evidence` is the stored
 * canonical JSON text of the envelope. An approval's evidence may instead be a passkey
 * statement, verified under the passkey its `payload` records (passkey-evidence.ts). What the
 * statement says is bound to the event by evidence-binding.ts.
 */
export function checkAuditEvidence(event: { seq: number; kind: string; actor: string | null; evidence: string | null; payload?: string }): EvidenceCheck {
  const where = `seq ${event.seq} (${event.kind})`;
  const refuse = (problem: string): EvidenceCheck => ({ problem });
  if (!isAuditEventKind(event.kind)) return refuse(`${where}: unknown kind of event, whose evidence cannot be checked`);
  const expectedType = AUDIT_EVENT_KINDS[event.kind];
  if (expectedType === null) {
    if (event.actor !== null || event.evidence !== null) return refuse(`${where}: a coordinator step carries an actor or evidence`);
    return { problem: null, envelope: null };
  }
  if (event.actor === null) return refuse(`${where}: no actor, but this kind of event needs a member's signed statement`);
  if (event.evidence === null) return refuse(`${where}: no evidence, but this kind of event needs a "${expectedType}" envelope signed by the actor`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.evidence);
  } catch {
    return refuse(`${where}: evidence is not valid JSON`);
  }
  // An approval may be made with a passkey (the web app): verified under the key its payload records.
  if (PASSKEY_EVIDENCE_KINDS.has(event.kind) && isPasskeyEvidence(parsed)) {
    const checked = checkPasskeyEvidence(where, parsed, expectedType, event.actor, event.payload);
    return checked.problem !== null ? refuse(checked.problem) : { problem: null, envelope: null, passkey: checked.passkey };
  }
  try {
    const envelope = verifyEnvelope(parsed, { now: EPOCH, expectedType, checkTime: false });
    if (envelope.signer !== event.actor) return refuse(`${where}: evidence is signed by ${envelope.signer}, not by the actor ${event.actor}`);
    return { problem: null, envelope };
  } catch (error) {
    if (error instanceof ConclaveError) return refuse(`${where}: evidence: ${error.code}: ${error.message}`);
    throw error;
  }
}
