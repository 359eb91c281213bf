/**
 * Audit binding rules for API tokens (issue 5; evidence-binding.ts delegates the token kinds
 * here): a token is introduced once, under the secret hash its member's `token.create` grant
 * signed, with that grant's scope and expiry; a revocation names a token the log introduced and
 * is its only one; and a withdrawal proposed through a token is the coordinator's signed
 * statement for a `propose` token of the log, naming that token's grantor as the proposer.
 */
import { tokenCreateSchema, tokenProposalStatementSchema, tokenRevokeSchema } from '../auth/access';
import { withdrawalIntentSchema } from '../api';
import type { Envelope } from '../envelope';
import { intentHash } from '../intent/intent-hash';
import { Mismatch, parsed, same } from './binding-checks';
import type { BindableEvent } from './evidence-binding';

interface KnownToken { grantor: string; scope: string; revoked: boolean }

/** The tokens of one chain walk. */
export class TokenLog {
  private readonly tokens = new Map<string, KnownToken>();

  created(event: BindableEvent, envelope: Envelope | null): void {
    const grant = parsed(tokenCreateSchema, envelope?.body);
    same('subject', event.subject, grant.secretHash);
    if (this.tokens.has(grant.secretHash)) throw new Mismatch(`token ${grant.secretHash} was already introduced earlier in the log`);
    same('payload.scope', event.payload.scope, grant.scope);
    same('payload.expiresAt', event.payload.expiresAt, grant.expiresAt);
    this.tokens.set(grant.secretHash, { grantor: envelope!.signer, scope: grant.scope, revoked: false });
  }

  revoked(event: BindableEvent, envelope: Envelope | null): void {
    const revoke = parsed(tokenRevokeSchema, envelope?.body);
    same('subject', event.subject, revoke.tokenId);
    const token = this.known(revoke.tokenId);
    if (token.revoked) throw new Mismatch(`token ${revoke.tokenId} was already revoked earlier in the log`);
    token.revoked = true;
  }

  /**
   * A quorum replaced `grantor`'s identity key (a `governance.applied` event): every token it
   * granted that the log has not seen revoked ends with it, and the payload must list exactly those.
   */
  revokedWithKey(grantor: string, recorded: unknown): void {
    const ended = [...this.tokens].filter(([, t]) => t.grantor === grantor && !t.revoked).map(([id]) => id).sort();
    same('payload.credentials.tokensRevoked (the old key\'s tokens the log has not seen revoked)', recorded, ended);
    for (const id of ended) this.tokens.get(id)!.revoked = true;
  }

  /** Returns the proposed intent's vault and hash, for the withdrawal the event introduces. */
  proposed(event: BindableEvent, envelope: Envelope | null): { vaultId: string; intentHash: string } {
    const statement = parsed(tokenProposalStatementSchema, envelope?.body);
    const intent = parsed(withdrawalIntentSchema, statement.intent);
    const token = this.known(statement.tokenId);
    if (token.revoked) throw new Mismatch(`token ${statement.tokenId} was revoked before this proposal`);
    same(`the scope of token ${statement.tokenId}`, token.scope, 'propose');
    same('payload.proposedBy', event.payload.proposedBy, token.grantor);
    same('payload.vaultId', event.payload.vaultId, intent.vaultId);
    same('payload.intentHash', event.payload.intentHash, intentHash(intent));
    return { vaultId: intent.vaultId, intentHash: intentHash(intent) };
  }

  private known(tokenId: string): KnownToken {
    const token = this.tokens.get(tokenId);
    if (token === undefined) throw new Mismatch(`token ${tokenId} does not appear earlier in the log`);
    return token;
  }
}
