/**
 * Who proposed a withdrawal, and when, as a signer proves it before it signs (DESIGN.md, trust
 * model and "Policy"). The `proposal` the coordinator relays is either
 *
 *  - a member's own envelope over the intent: `withdrawal.propose`, or for a fee bump (intent
 *    with `replaces`) `withdrawal.bump`; the proposer is its signer, the time its `created`; or
 *  - a member's passkey statement of type `withdrawal.propose` over the intent (the web app,
 *    protocol/webauthn/passkey-statement.ts), verified against the passkeys pinned for its
 *    signer in this signer's own governed member set, never a key sent along; the proposer is
 *    its signer, the time its `created`, as for an envelope; or
 *  - token-proposal evidence (protocol/auth/access.ts): the member's signed `token.create`
 *    grant with scope `propose`, and the coordinator's `withdrawal.propose-by-token` statement
 *    `{ intent, tokenId }`, signed by the coordinator key this signer pinned. The proposer is
 *    the member who granted the token. The statement's time is only the coordinator's word, so
 *    `signedByCoordinator` tells the policy check to measure delays from no earlier than the
 *    first approval a person signed (governed-policy-check.ts).
 *
 * A token only proposes: a fee bump is always a member's own `withdrawal.bump`. Pure.
 */
import type { WithdrawalIntent } from '../api';
import { MESSAGE_TYPES, withdrawalIntentSchema } from '../api';
import { tokenCreateSchema, tokenProposalSchema, tokenProposalStatementSchema } from '../auth/access';
import { canonicalJson } from '../canonical-json';
import { type Envelope, verifyEnvelope } from '../envelope';
import { ConclaveError } from '../errors';
import { identityFingerprint } from '../identity';
import { type PinnedPasskey, verifyPasskeyStatement } from '../webauthn/verify-passkey-statement';

export interface VerifiedProposal {
  /** Identity key of the member who proposed (for a token, the member who granted it). */
  proposer: string;
  /** Signed creation time of the proposal statement. */
  created: Date;
  /** True for a token proposal: `created` is the coordinator's signed word, not a member's. */
  signedByCoordinator: boolean;
}

export interface ProposalContext {
  /** The intent the withdrawal carries, parsed (null when it did not parse). */
  intent: WithdrawalIntent | null;
  /** x-only key of the coordinator this signer pinned at join, if any: it alone may sign token proposals. */
  coordinatorKey: string | null;
  /**
   * The passkeys this signer pinned for a member (its governed member set); a simple policy
   * pins none, so a passkey proposal is then refused.
   */
  passkeysOf?: (identityKey: string) => readonly PinnedPasskey[];
}

/** The verified proposer and time, or null with the reasons added. Membership is the caller's check. */
export function verifyProposal(proposal: unknown, context: ProposalContext, reasons: string[]): VerifiedProposal | null {
  const token = tokenProposalSchema.safeParse(proposal);
  if (token.success) return verifyTokenProposal(token.data.grant, token.data.statement, context, reasons);
  const { intent } = context;
  if (isPasskeyStatement(proposal)) return verifyPasskeyProposal(proposal, context, reasons);
  // Stored evidence: the proposal's own short validity window has usually passed by the time
  // keyholders sign; the intent's expiresAt bounds how long it may be acted on.
  const expectedType = intent?.replaces === undefined ? MESSAGE_TYPES.withdrawalPropose : MESSAGE_TYPES.withdrawalBump;
  const envelope = verified(proposal, expectedType, 'proposal', reasons);
  if (envelope === null) return null;
  if (!sameIntent(envelope.body, intent, 'proposal', reasons)) return null;
  return { proposer: envelope.signer, created: new Date(envelope.created), signedByCoordinator: false };
}

function verifyTokenProposal(grantInput: unknown, statementInput: unknown, { intent, coordinatorKey }: ProposalContext, reasons: string[]): VerifiedProposal | null {
  const before = reasons.length;
  if (intent?.replaces !== undefined) reasons.push('proposal: a fee bump is proposed by a member\'s own signed withdrawal.bump, never through an API token');
  const grant = verified(grantInput, MESSAGE_TYPES.tokenCreate, 'proposal.grant', reasons);
  const statement = verified(statementInput, MESSAGE_TYPES.withdrawalProposeByToken, 'proposal.statement', reasons);
  if (grant === null || statement === null) return null;

  const body = tokenCreateSchema.safeParse(grant.body);
  if (!body.success) {
    reasons.push('proposal.grant: the signed body is not a token.create grant');
    return null;
  }
  const granted = body.data;
  const made = Date.parse(statement.created);
  if (granted.scope !== 'propose') reasons.push(`proposal.grant: token "${granted.name}" has scope "${granted.scope}", which may not propose`);
  if (made < Date.parse(grant.created)) reasons.push(`proposal.statement: made at ${statement.created}, before the token was granted at ${grant.created}`);
  if (made >= Date.parse(granted.expiresAt)) reasons.push(`proposal.statement: made at ${statement.created}, after token "${granted.name}" expired at ${granted.expiresAt}`);
  if (coordinatorKey === null) {
    reasons.push('proposal.statement: this signer pinned no coordinator key, so it cannot believe a proposal made through an API token');
  } else if (statement.signer !== coordinatorKey) {
    reasons.push(`proposal.statement: signed by ${identityFingerprint(statement.signer)}, not by the pinned coordinator key ${identityFingerprint(coordinatorKey)}`);
  }
  const said = tokenProposalStatementSchema.safeParse(statement.body);
  if (!said.success) {
    reasons.push('proposal.statement: the signed body is not { intent, tokenId }');
  } else {
    if (said.data.tokenId !== granted.secretHash) reasons.push(`proposal.statement: names token ${said.data.tokenId}, not the token the grant shown created (${granted.secretHash})`);
    sameIntent(said.data.intent, intent, 'proposal.statement', reasons);
  }
  if (reasons.length > before) return null;
  return { proposer: grant.signer, created: new Date(made), signedByCoordinator: true };
}

function verifyPasskeyProposal(proposal: unknown, { intent, passkeysOf }: ProposalContext, reasons: string[]): VerifiedProposal | null {
  // A fee bump is a keyholder's own `withdrawal.bump` envelope (signer-cli), never a web statement.
  if (intent?.replaces !== undefined) {
    reasons.push('proposal: a fee bump is proposed by a member\'s own signed withdrawal.bump envelope, not a passkey statement');
    return null;
  }
  let statement: { signer: string; body: unknown; created: string };
  try {
    // Stored evidence: like an envelope's, its age is bounded by the intent's expiry, not checked here.
    statement = verifyPasskeyStatement(proposal, (key) => passkeysOf?.(key) ?? [], MESSAGE_TYPES.withdrawalPropose);
  } catch (error) {
    reasons.push(`proposal: ${error instanceof ConclaveError ? error.message : 'cannot be verified'}`);
    return null;
  }
  if (!sameIntent(statement.body, intent, 'proposal', reasons)) return null;
  return { proposer: statement.signer, created: new Date(statement.created), signedByCoordinator: false };
}

/** Passkey statements say so in `format`; envelopes and token evidence have none. */
function isPasskeyStatement(input: unknown): boolean {
  return typeof input === 'object' && input !== null && (input as { format?: unknown }).format === 'webauthn';
}

function verified(input: unknown, type: string, where: string, reasons: string[]): Envelope | null {
  try {
    return verifyEnvelope(input, { now: new Date(0), expectedType: type, checkTime: false });
  } catch (error) {
    reasons.push(`${where}: ${error instanceof ConclaveError ? error.message : 'cannot be verified'}`);
    return null;
  }
}

/** The signed body must be exactly the withdrawal's intent. */
function sameIntent(body: unknown, intent: WithdrawalIntent | null, where: string, reasons: string[]): boolean {
  const proposed = withdrawalIntentSchema.safeParse(body);
  if (!proposed.success) {
    reasons.push(`${where}: the signed body is not a valid withdrawal intent`);
    return false;
  }
  if (intent !== null && canonicalJson(proposed.data) !== canonicalJson(intent)) {
    reasons.push(`${where}: the signed intent differs from the intent this withdrawal carries`);
    return false;
  }
  return true;
}
