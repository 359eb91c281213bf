/**
 * The one gate every HTTP route passes (issue 5): it finds who is asking (principal.ts) and
 * holds it against what the route declares (access.decorator.ts). A member acting on a POST is
 * the signer of the statement in its body, whose signature is checked here (its time, nonce and
 * meaning are the service's to check, as before); otherwise the bearer secret names a session
 * or an API token. Per-vault rules (which groups of this vault may propose) stay in services;
 * the gate refuses what a role or a token scope rules out everywhere.
 */
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DataSource, type EntityManager } from 'typeorm';
import { verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import { verifyPasskeyStatement } from '../../protocol/webauthn/verify-passkey-statement';
import { Clock } from '../common/clock';
import { WithdrawalEntity } from '../withdrawals/withdrawal.entity';
import { ACCESS_METADATA, type AccessRule, MEMBER_NEEDS, type MemberNeed, NEED_ROLES } from './access.decorator';
import { bearerOf, type Principal, setPrincipal, type TokenPrincipal } from './principal';
import { type Role, RoleDirectory } from './roles';
import { secretHash } from './secrets';
import { SessionsService } from './sessions.service';
import { TokensService } from './tokens.service';

const TOKENS_NEVER = 'API tokens only read, or propose withdrawals (POST /api/v1/withdrawals); this needs a member\'s signed statement';

@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly dataSource: DataSource,
    private readonly sessions: SessionsService,
    private readonly tokens: TokensService,
    private readonly roles: RoleDirectory,
    private readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<Request>();
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_METADATA, [context.getHandler(), context.getClass()]);
    const route = `${request.method} ${request.path}`;
    if (rule === undefined) throw new ConclaveError('ACCESS_DENIED', `${route}: the route declares no access rule, so it stays closed`);
    if (rule.need === 'public') return true;
    const manager = this.dataSource.manager;

    if (MEMBER_NEEDS.has(rule.need)) {
      const signer = await this.statementSigner(rule.statementOf ? rule.statementOf(request.body) : request.body, manager);
      if (signer !== null) {
        const roles = (await this.roles.standing(signer, manager)).roles;
        this.gate(rule.need as MemberNeed, roles, route);
        setPrincipal(request, { kind: 'member', identityKey: signer, roles, via: 'statement' });
        return true;
      }
    }

    const principal = await this.bearerPrincipal(request, manager);
    setPrincipal(request, principal);
    if (principal.kind === 'member' && principal.via === 'enrolment' && rule.enrolment !== true) {
      throw new ConclaveError('ACCESS_DENIED', `${route}: a passkey enrolment link only registers a passkey; sign in with a pinned passkey or with signer-cli for anything else`);
    }
    if (principal.kind === 'anonymous') {
      const what = MEMBER_NEEDS.has(rule.need) ? 'a statement signed by a member in the body, or a member\'s session'
        : rule.need === 'token-propose' ? 'an API token of scope propose (Authorization: Bearer <token>)'
          : rule.need === 'session' ? 'a member\'s session (POST /api/v1/auth/session)' : 'a member\'s session or an API token (Authorization: Bearer ...)';
      throw new ConclaveError('AUTH_REQUIRED', `${route}: needs ${what}`);
    }
    switch (rule.need) {
      case 'read':
        if (principal.kind === 'token' && principal.scope !== 'read') await this.ownWithdrawal(principal, rule, request, route, manager);
        return true;
      case 'session':
        if (principal.kind !== 'member') throw new ConclaveError('ACCESS_DENIED', `${route}: needs a member's session; API tokens cannot do this`);
        return true;
      case 'token-propose':
        if (principal.kind !== 'token') throw new ConclaveError('ACCESS_DENIED', `${route}: takes an API token of scope propose; members propose with a signed withdrawal.propose at POST /api/v1/vaults/:id/withdrawals`);
        if (principal.scope !== 'propose') throw new ConclaveError('ACCESS_DENIED', `${route}: needs an API token of scope propose; this one may only read`);
        return true;
      default:
        if (principal.kind === 'token') throw new ConclaveError('ACCESS_DENIED', `${route}: ${TOKENS_NEVER}`);
        this.gate(rule.need as MemberNeed, principal.roles, route);
        return true;
    }
  }

  /** Refuses a member whose roles all rule the need out; a member with no role yet is left to the service. */
  private gate(need: MemberNeed, roles: Role[], route: string): void {
    const allowed = NEED_ROLES[need];
    if (roles.length > 0 && !roles.some((r) => allowed.includes(r))) {
      throw new ConclaveError('ACCESS_DENIED', `${route}: needs the role ${allowed.join(', ')} or none yet; the member holds ${roles.join(', ')}`);
    }
  }

  /**
   * Who a statement in the body (envelope or passkey statement) is by, or null when the body
   * carries none. The gate judges the signer's roles; if the signature does not verify, the
   * claimed signer is judged all the same and the service refuses the statement with its own
   * precise code (ENVELOPE_BAD_SIGNATURE, FROST_DKG_BAD_SIGNATURE...), as it always checks it.
   */
  private async statementSigner(statement: unknown, manager: EntityManager): Promise<string | null> {
    if (statement === null || typeof statement !== 'object' || Array.isArray(statement)) return null;
    const fields = statement as Record<string, unknown>;
    const claimed = typeof fields.signer === 'string' && /^[0-9a-f]{64}$/.test(fields.signer) ? fields.signer : null;
    if (claimed === null) return null;
    const type = typeof fields.type === 'string' ? fields.type : '';
    try {
      if (fields.format === 'webauthn') {
        const passkeys = (await this.roles.standing(claimed, manager)).passkeys;
        return verifyPasskeyStatement(statement, () => passkeys, type).signer;
      }
      // Only who signed: the validity window, the nonce and the type are the service's to check.
      return verifyEnvelope(statement, { now: this.clock.now(), expectedType: type, checkTime: false }).signer;
    } catch (error) {
      if (error instanceof ConclaveError) return claimed;
      throw error;
    }
  }

  private async bearerPrincipal(request: Request, manager: EntityManager): Promise<Principal> {
    const secret = bearerOf(request.headers);
    if (secret === null) return { kind: 'anonymous' };
    const hash = secretHash(secret);
    const session = await this.sessions.find(hash, manager);
    if (session !== null) {
      const via = session.method === 'enrolment' ? 'enrolment' : 'session';
      return { kind: 'member', identityKey: session.identityKey, roles: (await this.roles.standing(session.identityKey, manager)).roles, via, sessionId: hash };
    }
    const token = await this.tokens.find(hash, manager);
    if (token !== null) return { kind: 'token', tokenId: token.id, scope: token.scope, identityKey: token.identityKey };
    throw new ConclaveError('AUTH_REQUIRED', 'Authorization: unknown session or API token; sign in again or use a valid token');
  }

  /** A propose token reads only the withdrawals it proposed. */
  private async ownWithdrawal(token: TokenPrincipal, rule: AccessRule, request: Request, route: string, manager: EntityManager): Promise<void> {
    const refuse = new ConclaveError('ACCESS_DENIED', `${route}: a propose token reads only the withdrawals it proposed; use a read token`);
    const id = rule.ownWithdrawal === undefined ? undefined : request.params[rule.ownWithdrawal];
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) throw refuse;
    const withdrawal = await manager.getRepository(WithdrawalEntity).findOne({ where: { id }, select: { id: true, proposalEnvelope: true } });
    const proposal = withdrawal ? JSON.parse(withdrawal.proposalEnvelope) as { format?: unknown; statement?: { body?: { tokenId?: unknown } } } : null;
    if (proposal?.format !== 'token' || proposal.statement?.body?.tokenId !== token.tokenId) throw refuse;
  }
}
