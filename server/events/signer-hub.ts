/**
 * Live push to signers over WebSocket (`/ws`). A connection is accepted only after it signs
 * a fresh server challenge with a member's identity key (a `ws.auth` envelope); events are
 * then sent to the members of the vault they concern. Pushes are hints: a signer always
 * re-reads state over REST and verifies it, so a lost or forged push cannot cause harm.
 */
import type { Server } from 'node:http';
import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DataSource } from 'typeorm';
import { WebSocket, WebSocketServer } from 'ws';
import { type CoordinatorEvent, MESSAGE_TYPES, type ServerFrame, wsAuthSchema } from '../../protocol/api';
import { verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import { Clock, Random } from '../common/clock';
import { MemberEntity } from '../members/member.entity';
import { VaultMemberEntity } from '../vaults/vault-member.entity';

const AUTH_TIMEOUT_MS = 10_000;
const MAX_FRAME_BYTES = 64 * 1024;

interface Session { socket: WebSocket; memberId: string; identityKey: string }

@Injectable()
export class SignerHub implements BeforeApplicationShutdown {
  private readonly logger = new Logger('SignerHub');
  private server: WebSocketServer | null = null;
  private readonly sessions = new Set<Session>();

  constructor(private readonly dataSource: DataSource, private readonly clock: Clock, private readonly random: Random) {}

  attach(httpServer: Server): void {
    this.server = new WebSocketServer({ server: httpServer, path: '/ws', maxPayload: MAX_FRAME_BYTES });
    this.server.on('connection', (socket) => this.greet(socket));
  }

  get connectedCount(): number {
    return this.sessions.size;
  }

  private greet(socket: WebSocket): void {
    const challenge = bytesToHex(this.random.bytes(32));
    const timer = setTimeout(() => socket.close(4001, 'authentication timeout'), AUTH_TIMEOUT_MS);
    send(socket, { type: 'challenge', challenge });
    socket.once('message', (data) => {
      clearTimeout(timer);
      this.authenticate(socket, challenge, data.toString()).catch((error: unknown) => {
        const e = error instanceof ConclaveError ? error : new ConclaveError('UNAUTHENTICATED', 'authentication failed');
        send(socket, { type: 'error', error: { code: e.code, message: e.message } });
        socket.close(4003, e.code);
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
    const member = await this.dataSource.getRepository(MemberEntity).findOne({ where: { identityKey: envelope.signer } });
    if (!member) throw new ConclaveError('NOT_A_MEMBER', 'identity key is not a member of this coordinator');
    const session: Session = { socket, memberId: member.id, identityKey: member.identityKey };
    this.sessions.add(session);
    socket.on('close', () => this.sessions.delete(session));
    socket.on('message', () => undefined);
    send(socket, { type: 'ready', identityKey: member.identityKey, memberId: member.id });
  }

  /** Sends an event to every connected member of the vault (after the change committed). */
  async publishToVault(vaultId: string, event: CoordinatorEvent): Promise<void> {
    const rows = await this.dataSource.getRepository(VaultMemberEntity).find({ where: { vaultId } });
    const memberIds = new Set(rows.map((r) => r.memberId));
    for (const session of this.sessions) {
      if (memberIds.has(session.memberId)) send(session.socket, { type: 'event', event });
    }
  }

  publishToAll(event: CoordinatorEvent): void {
    for (const session of this.sessions) send(session.socket, { type: 'event', event });
  }

  /** Before the HTTP server closes: open sockets (authenticated or not) would hold it open. */
  beforeApplicationShutdown(): void {
    for (const client of this.server?.clients ?? []) client.terminate();
    this.sessions.clear();
    this.server?.close();
    this.logger.log({ msg: 'signer hub closed' });
  }
}

function send(socket: WebSocket, frame: ServerFrame): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
}
