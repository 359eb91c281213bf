/**
 * Who is asking (issue 5): a member (by session, or by the signed statement a POST carries), an
 * API token, or nobody. The AccessGuard puts it on the request; handlers read it with
 * `@CurrentPrincipal()`.
 */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { TokenScope } from '../../protocol/auth/access';
import { ConclaveError } from '../../protocol/errors';
import type { Role } from './roles';

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'member'; identityKey: string; roles: Role[]; via: 'session' | 'enrolment' | 'statement'; sessionId?: string }
  | { kind: 'token'; tokenId: string; scope: TokenScope; identityKey: string };

export type MemberPrincipal = Extract<Principal, { kind: 'member' }>;
export type TokenPrincipal = Extract<Principal, { kind: 'token' }>;

const PRINCIPAL = Symbol('conclave.principal');

export function setPrincipal(request: object, principal: Principal): void {
  (request as Record<symbol, Principal>)[PRINCIPAL] = principal;
}

export function principalOf(request: object): Principal {
  return (request as Record<symbol, Principal | undefined>)[PRINCIPAL] ?? { kind: 'anonymous' };
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => principalOf(context.switchToHttp().getRequest<object>()));

/** The session member of a `session` route (the guard has checked there is one). */
export function sessionMember(principal: Principal): MemberPrincipal & { sessionId: string } {
  if (principal.kind !== 'member' || principal.sessionId === undefined) throw new ConclaveError('AUTH_REQUIRED', 'this route needs a member\'s session: sign in first (POST /api/v1/auth/session)');
  return principal as MemberPrincipal & { sessionId: string };
}

/** The bearer secret of an `Authorization: Bearer <secret>` header, if any. */
export function bearerOf(headers: Record<string, string | string[] | undefined>): string | null {
  const header = headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([\x21-\x7e]{16,200})$/.exec(header.trim());
  if (!match) throw new ConclaveError('AUTH_REQUIRED', 'Authorization: expected "Bearer <session or API token>"');
  return match[1]!;
}
