/**
 * Live push to signers over WebSocket (`/ws`). A connection is accepted only after it signs
 * a fresh server challenge with a member's identity key (a `ws.auth` envelope); events are
 * then sent to the members of the vault they concern, once the change they announce has
 * committed. Pushes are hints: a signer always re-reads state over REST and verifies it, so a
 * lost or forged push cannot cause harm, and a failed push never fails the request behind it.
 */
import type { Server } from 'node:http';
import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DataSource, type EntityManager } from 'typeorm';
import { WebSocket, WebSocketServer } from 'ws';
import { type CoordinatorEvent, MESSAGE_TYPES, type ServerFrame, wsAuthSchema } from '../../protocol/api';
import { verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import { Clock, Random } from '../common/clock';
import { TransactionRunner } from '../database/transaction-runner';
import { MemberEntity } from '../members/member.entity';
import { VaultMemberEntity } from '../vaults/vault-member.entity';
import { routeUpgrade } from './upgrade-routes';

const AUTH_TIMEOUT_MS = 10_000;
const MAX_FRAME_BYTES = 64 * 1024;

interface Session { socket: WebSocket; memberId: string; identityKey: string }

export type HubObserver = (vaultId: string | null, event: CoordinatorEvent) => void;

@Injectable()
export class SignerHub implements BeforeApplicationShutdown {
  private readonly logger = new Logger('SignerHub');
  private server: WebSocketServer | null = null;
  private readonly sessions = new Set<Session>();
  private readonly observers = new Set<HubObserver>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  attach(httpServer: Server): void {
    // Routed by path (upgrade-routes.ts): the web app's hub shares the HTTP server at /ws/web.
    this.server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
    this.server.on('connection', (socket) => this.greet(socket));
    routeUpgrade(httpServer, '/ws', this.server);
  }

  /**
   * `observer` hears every push after the same commit (the web app's BrowserHub, which tells
   * signed-in members' browsers); `vaultId` is null for a push to everyone (audit heads).
   */
  observe(observer: HubObserver): void {
    this.observers.add(observer);
  }

  private tellObservers(vaultId: string | null, event: CoordinatorEvent): void {
    for (const observer of this.observers) {
      try {
        observer(vaultId, event);
      } catch (error) {
        this.logger.warn({ msg: 'push observer failed', error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  get connectedCount(): number {
    return this.sessions.size;
  }

  private greet(socket: WebSocket): void {
    const challenge = bytesToHex(this.random.bytes(32));
    const timer = setTimeout(() => socket.close(4001, 'authentication timeout'), AUTH_TIMEOUT_MS);
    socket.once('close', () => clearTimeout(timer));
    this.send(socket, { type: 'challenge', challenge });
    socket.once('message', (data) => {
      clearTimeout(timer);
      this.authenticate(socket, challenge, data.toString()).catch((error: unknown) => {
        const e = this.refusal(error);
        this.send(socket, { type: 'error', error: { code: e.code, message: e.message } });
        // 4003: refused, do not retry as is; 1011/1013: the coordinator failed, try again later.
        socket.close(e.status < 500 ? 4003 : e.status === 503 ? 1013 : 1011, e.code);
      });
    });
    socket.on('error', () => socket.terminate());
  }

  private async authenticate(socket: WebSocket, challenge: string, text: string): Promise<void> {
    let frame: { type?: unknown; envelope?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      throw new ConclaveError('MALFORMED_JSON', 'frame: not valid JSON');
    }
    if (frame.type !== 'auth') throw new ConclaveError('UNAUTHENTICATED', 'frame: expected {type:"auth"}');
    const envelope = verifyEnvelope(frame.envelope, { now: this.clock.now(), expectedType: MESSAGE_TYPES.wsAuth });
    const body = wsAuthSchema.safeParse(envelope.body);
    if (!body.success || body.data.challenge !== challenge) throw new ConclaveError('UNAUTHENTICATED', 'envelope.body.challenge: does not answer this connection');
    let member: MemberEntity | null;
    try {
      member = await this.dataSource.getRepository(MemberEntity).findOne({ where: { identityKey: envelope.signer } });
    } catch (error) {
      // Not the signer's fault: answer with a code it retries on (a refusal like UNAUTHENTICATED is final to it).
      this.logger.error({ msg: 'member lookup failed during ws login', error: error instanceof Error ? error.stack : String(error) });
      throw new ConclaveError('DATABASE_UNAVAILABLE', 'database: the member lookup failed; try again');
    }
    if (!member) throw new ConclaveError('NOT_A_MEMBER', 'identity key is not a member of this coordinator');
    // The socket may have closed while the lookup ran; its 'close' has then been emitted already,
    // and a session added now would never be removed.
    if (socket.readyState !== WebSocket.OPEN) return;
    const session: Session = { socket, memberId: member.id, identityKey: member.identityKey };
    this.sessions.add(session);
    socket.on('close', () => this.sessions.delete(session));
    socket.on('message', () => undefined);
    this.send(socket, { type: 'ready', identityKey: member.identityKey, memberId: member.id });
  }

  /**
   * What a failed login is told: a refusal keeps its code; anything unexpected is the
   * coordinator's fault, logged and answered with INTERNAL, on which a signer retries.
   */
  private refusal(error: unknown): ConclaveError {
    if (error instanceof ConclaveError) return error;
    this.logger.error({ msg: 'ws login failed', error: error instanceof Error ? error.stack : String(error) });
    return new ConclaveError('INTERNAL', 'the coordinator failed during login; try again later');
  }

  /**
   * Sends `event` to the connected members of the vault once the transaction of `manager` has
   * committed, never if it rolls back. The members are read inside that transaction, so nothing
   * is left to fail after the commit: a push cannot turn committed work into an error answer.
   */
  async publishToVault(manager: EntityManager, vaultId: string, event: CoordinatorEvent): Promise<void> {
    const rows = await manager.getRepository(VaultMemberEntity).find({ where: { vaultId } });
    const memberIds = new Set(rows.map((r) => r.memberId));
    this.tx.afterCommit(manager, `vault-event:${JSON.stringify(event)}`, () => {
      for (const session of this.sessions) {
        if (memberIds.has(session.memberId)) this.send(session.socket, { type: 'event', event });
      }
      this.tellObservers(vaultId, event);
    });
  }

  /**
   * Once the transaction of `manager` has committed, closes the live connections that logged in
   * with `identityKey` (its credentials were replaced): a socket opened with a stolen key must
   * not keep hearing the vault's requests. The signer is told why (code 4003: do not retry).
   */
  disconnectAfterCommit(manager: EntityManager, identityKey: string, reason: string): void {
    this.tx.afterCommit(manager, `disconnect:${identityKey}`, () => {
      for (const session of [...this.sessions]) {
        if (session.identityKey !== identityKey) continue;
        this.sessions.delete(session);
        this.send(session.socket, { type: 'error', error: { code: reason, message: 'this identity key was replaced by a quorum-approved change; log in with the new key' } });
        session.socket.close(4003, reason);
      }
    });
  }

  publishToAll(event: CoordinatorEvent): void {
    for (const session of this.sessions) this.send(session.socket, { type: 'event', event });
    this.tellObservers(null, event);
  }

  /** Before the HTTP server closes: open sockets (authenticated or not) would hold it open. */
  beforeApplicationShutdown(): void {
    for (const client of this.server?.clients ?? []) client.terminate();
    this.sessions.clear();
    this.server?.close();
    this.logger.log({ msg: 'signer hub closed' });
  }

  /** A frame to one socket; a socket that fails is that socket's problem, never the caller's. */
  private send(socket: WebSocket, frame: ServerFrame): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    try {
      socket.send(JSON.stringify(frame));
    } catch (error) {
      this.logger.warn({ msg: 'push failed', frame: frame.type, error: error instanceof Error ? error.message : String(error) });
      socket.terminate();
    }
  }
}
