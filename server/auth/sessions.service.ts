/**
 * Sign-in sessions (issue 5). A member opens one with a `session.open` envelope signed by their
 * identity key (signer-cli) or with a pinned passkey (the web app, PasskeySignIn); either way
 * the coordinator hands out a random bearer secret, keeps its hash, and forgets it at expiry
 * or sign-out. Opening a session changes nothing but the session table, so it is not audited.
 * An enrolment session (`purpose: passkey-enrolment`) lives ENROLMENT_LINK_SECONDS, opens only
 * the routes marked `enrolment` (registering a passkey, signing out) and ends with the first
 * registration, so the link that carries it to a browser is worth little once used or late.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MESSAGE_TYPES } from '../../protocol/api';
import { ENROLMENT_LINK_SECONDS, SESSION_LIFETIME_SECONDS, type SessionOpen, sessionOpenSchema } from '../../protocol/auth/access';
import { ConclaveError } from '../../protocol/errors';
import { CoordinatorIdentity } from '../audit/coordinator-identity';
import { Clock, Random } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { TransactionRunner } from '../database/transaction-runner';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { type MemberStanding, RoleDirectory } from './roles';
import { newSessionSecret, secretHash } from './secrets';
import { SessionEntity } from './session.entity';

export interface SessionView {
  token: string;
  expiresAt: string;
  member: { identityKey: string; name: string | null; roles: string[] };
}

@Injectable()
export class SessionsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly roles: RoleDirectory,
    private readonly identity: CoordinatorIdentity,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async openWithIdentityKey(input: unknown): Promise<SessionView> {
    return this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<SessionOpen>(manager, input, MESSAGE_TYPES.sessionOpen);
      const body = parseWith(sessionOpenSchema, envelope.body, 'envelope.body');
      if (body.coordinatorKey !== this.identity.publicKey) {
        throw new ConclaveError('ENVELOPE_INVALID', `envelope.body.coordinatorKey: this coordinator's key is ${this.identity.publicKey} (GET /api/v1/info)`);
      }
      return this.open(manager, await this.roles.standing(envelope.signer, manager), body.purpose === 'passkey-enrolment' ? 'enrolment' : 'identity-key');
    });
  }

  /** For PasskeySignIn, once the assertion has verified, inside its transaction. */
  async open(manager: EntityManager, standing: MemberStanding, method: SessionEntity['method']): Promise<SessionView> {
    if (!standing.known) throw new ConclaveError('NOT_A_MEMBER', `identity key ${standing.identityKey} is not a member of this coordinator; join first`);
    const now = this.clock.now();
    const token = newSessionSecret((n) => this.random.bytes(n));
    const lifetime = method === 'enrolment' ? ENROLMENT_LINK_SECONDS : SESSION_LIFETIME_SECONDS;
    const expiresAt = new Date(now.getTime() + lifetime * 1000).toISOString();
    await manager.getRepository(SessionEntity).insert({ secretHash: secretHash(token), identityKey: standing.identityKey, method, createdAt: now.toISOString(), expiresAt });
    return { token, expiresAt, member: { identityKey: standing.identityKey, name: standing.name, roles: standing.roles } };
  }

  /**
   * The live session of a bearer secret's hash, or null. Read-only: on SQLite a write outside
   * the TransactionRunner queue would land in whatever transaction is open.
   */
  async find(hash: string, manager: EntityManager): Promise<SessionEntity | null> {
    const session = await manager.getRepository(SessionEntity).findOne({ where: { secretHash: hash } });
    if (session === null) return null;
    if (Date.parse(session.expiresAt) <= this.clock.now().getTime()) {
      throw new ConclaveError('AUTH_REQUIRED', `the session expired at ${session.expiresAt}; sign in again`);
    }
    return session;
  }

  async close(sessionId: string): Promise<{ signedOut: true }> {
    await this.tx.run((manager) => manager.getRepository(SessionEntity).delete({ secretHash: sessionId }));
    return { signedOut: true };
  }
}
