/**
 * API tokens for automation (issue 5). A member grants one with a signed `token.create`
 * (scope read or propose, an expiry of at most MAX_TOKEN_LIFETIME_DAYS, and the hash of a
 * secret made on their machine); the grant is kept as evidence and audited. The granting
 * member, or an admin, ends it with a signed `token.revoke`.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { MESSAGE_TYPES } from '../../protocol/api';
import { MAX_TOKEN_LIFETIME_DAYS, type TokenCreate, type TokenRevoke, tokenCreateSchema, tokenRevokeSchema } from '../../protocol/auth/access';
import { canonicalJson } from '../../protocol/canonical-json';
import { ConclaveError } from '../../protocol/errors';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { TransactionRunner } from '../database/transaction-runner';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { NEED_ROLES } from './access.decorator';
import { ApiTokenEntity } from './api-token.entity';
import { RoleDirectory } from './roles';

export interface TokenView {
  id: string; name: string; scope: string; identityKey: string; expiresAt: string; createdAt: string;
  revokedAt: string | null; revokedBy: string | null; status: 'active' | 'expired' | 'revoked';
}

@Injectable()
export class TokensService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly roles: RoleDirectory,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async create(input: unknown): Promise<TokenView> {
    return this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<TokenCreate>(manager, input, MESSAGE_TYPES.tokenCreate);
      const body = parseWith(tokenCreateSchema, envelope.body, 'envelope.body');
      const now = this.clock.now();
      const expires = Date.parse(body.expiresAt);
      if (expires <= now.getTime()) throw new ConclaveError('TOKEN_INVALID', 'envelope.body.expiresAt: already passed');
      if (expires > now.getTime() + MAX_TOKEN_LIFETIME_DAYS * 86_400_000) {
        throw new ConclaveError('TOKEN_INVALID', `envelope.body.expiresAt: a token lives at most ${MAX_TOKEN_LIFETIME_DAYS} days`);
      }
      const standing = await this.roles.standing(envelope.signer, manager);
      if (!standing.known) throw new ConclaveError('NOT_A_MEMBER', 'the grantor is not a member of this coordinator');
      if (body.scope === 'propose' && !standing.roles.some((r) => NEED_ROLES.propose.includes(r))) {
        throw new ConclaveError('ACCESS_DENIED', `a propose token acts for its grantor, who must be allowed to propose (${NEED_ROLES.propose.join(', ')})`);
      }
      const repo = manager.getRepository(ApiTokenEntity);
      if (await repo.findOne({ where: { id: body.secretHash } })) throw new ConclaveError('TOKEN_INVALID', 'envelope.body.secretHash: a token with this secret exists; make a new secret');
      const token = repo.create({
        id: body.secretHash, identityKey: envelope.signer, name: body.name, scope: body.scope, expiresAt: body.expiresAt,
        grantEnvelope: canonicalJson(envelope), createdAt: now.toISOString(), revokedAt: null, revokedBy: null,
      });
      await repo.insert(token);
      await this.audit.append(manager, {
        kind: 'token.created', actor: envelope.signer, subject: token.id, payload: { name: body.name, scope: body.scope, expiresAt: body.expiresAt }, evidence: envelope,
      });
      return this.view(token);
    });
  }

  async listFor(identityKey: string): Promise<TokenView[]> {
    const rows = await this.dataSource.getRepository(ApiTokenEntity).find({ where: { identityKey }, order: { createdAt: 'ASC' } });
    return rows.map((t) => this.view(t));
  }

  async revoke(input: unknown): Promise<TokenView> {
    return this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<TokenRevoke>(manager, input, MESSAGE_TYPES.tokenRevoke);
      const body = parseWith(tokenRevokeSchema, envelope.body, 'envelope.body');
      const repo = manager.getRepository(ApiTokenEntity);
      const token = await repo.findOne({ where: { id: body.tokenId } });
      if (!token) throw new ConclaveError('TOKEN_NOT_FOUND', `token ${body.tokenId}: not found`);
      if (token.identityKey !== envelope.signer && !(await this.roles.standing(envelope.signer, manager)).roles.includes('admin')) {
        throw new ConclaveError('ACCESS_DENIED', 'only the member who granted a token, or an admin, may revoke it');
      }
      if (token.revokedAt !== null) throw new ConclaveError('TOKEN_INVALID', `token ${token.id}: already revoked at ${token.revokedAt}`);
      token.revokedAt = this.clock.now().toISOString();
      token.revokedBy = envelope.signer;
      await repo.update({ id: token.id }, { revokedAt: token.revokedAt, revokedBy: token.revokedBy });
      await this.audit.append(manager, { kind: 'token.revoked', actor: envelope.signer, subject: token.id, payload: { grantor: token.identityKey }, evidence: envelope });
      return this.view(token);
    });
  }

  /** The token of a bearer secret's hash, or null; an expired or revoked one is refused by name. */
  async find(hash: string, manager: EntityManager): Promise<ApiTokenEntity | null> {
    const token = await manager.getRepository(ApiTokenEntity).findOne({ where: { id: hash } });
    if (token === null) return null;
    if (token.revokedAt !== null) throw new ConclaveError('AUTH_REQUIRED', `API token "${token.name}" was revoked at ${token.revokedAt}`);
    if (Date.parse(token.expiresAt) <= this.clock.now().getTime()) throw new ConclaveError('AUTH_REQUIRED', `API token "${token.name}" expired at ${token.expiresAt}`);
    return token;
  }

  private view(t: ApiTokenEntity): TokenView {
    const status = t.revokedAt !== null ? 'revoked' : Date.parse(t.expiresAt) <= this.clock.now().getTime() ? 'expired' : 'active';
    return {
      id: t.id, name: t.name, scope: t.scope, identityKey: t.identityKey, expiresAt: t.expiresAt, createdAt: t.createdAt,
      revokedAt: t.revokedAt, revokedBy: t.revokedBy, status,
    };
  }
}
