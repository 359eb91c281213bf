/**
 * Live push to the browsers of signed-in members (issue 6) at `/ws/web`: the web app's
 * approval queue, withdrawal timeline and audit page update without a reload. A browser cannot
 * set an Authorization header on a WebSocket, so its first frame carries the session token
 * (`{type:"auth", session}`), checked as the REST gate checks a bearer secret; a connection
 * from an origin other than the web app's is refused, so another site cannot ride a session.
 *
 * Events come from SignerHub after the commit that caused them (SignerHub.observe) and reach
 * the members of the vault they concern: the vault's governed member set (auditors included)
 * and its keyholders. Audit heads reach every signed-in member. Before each push the sessions
 * are checked again, so a browser signed out or expired stops hearing anything at once.
 */
import type { IncomingMessage, Server } from 'node:http';
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { WebSocket, WebSocketServer } from 'ws';
import type { CoordinatorEvent } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { GOVERNED_POLICY_VERSION, type VaultPolicy } from '../../protocol/policy';
import { type BrowserServerFrame, WEB_LIVE_PATH } from '../../protocol/web-live';
import { secretHash } from '../auth/secrets';
import { SessionEntity } from '../auth/session.entity';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SignerHub } from '../events/signer-hub';
import { routeUpgrade } from '../events/upgrade-routes';
import { MemberEntity } from '../members/member.entity';
import { VaultMemberEntity } from '../vaults/vault-member.entity';
import { VaultEntity } from '../vaults/vault.entity';

const AUTH_TIMEOUT_MS = 10_000;
/** An auth frame is a token of at most 200 characters; nothing else is read. */
const MAX_FRAME_BYTES = 1024;

interface Viewer { socket: WebSocket; identityKey: string; sessionHash: string }

@Injectable()
export class BrowserHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('BrowserHub');
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly viewers = new Set<Viewer>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly signers: SignerHub,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.server.on('connection', (socket, request: IncomingMessage) => this.greet(socket, request));
    this.signers.observe((vaultId, event) => {
      this.push(vaultId, event).catch((error: unknown) => this.logger.warn({ msg: 'browser push failed', error: error instanceof Error ? error.message : String(error) }));
    });
  }

  attach(httpServer: Server): void {
    routeUpgrade(httpServer, WEB_LIVE_PATH, this.server);
  }

  get connectedCount(): number {
    return this.viewers.size;
  }

  private greet(socket: WebSocket, request: IncomingMessage): void {
    socket.on('error', () => socket.terminate());
    const origin = request.headers.origin;
    if (origin !== undefined && !this.config.webauthn.origins.includes(origin)) {
      return this.refuse(socket, new ConclaveError('ACCESS_DENIED', `origin ${origin}: not the web app's (CONCLAVE_WEBAUTHN_ORIGIN)`));
    }
    const timer = setTimeout(() => socket.close(4001, 'authentication timeout'), AUTH_TIMEOUT_MS);
    socket.once('close', () => clearTimeout(timer));
    socket.once('message', (data) => {
      clearTimeout(timer);
      this.authenticate(socket, data.toString()).catch((error: unknown) => this.refuse(socket, error));
    });
  }

  private async authenticate(socket: WebSocket, text: string): Promise<void> {
    let frame: { type?: unknown; session?: unknown };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      throw new ConclaveError('MALFORMED_JSON', 'frame: not valid JSON');
    }
    if (frame.type !== 'auth' || typeof frame.session !== 'string' || !/^[\x21-\x7e]{16,200}$/.test(frame.session)) {
      throw new ConclaveError('AUTH_REQUIRED', 'frame: expected {type:"auth", session:"<session token>"}');
    }
    const sessionHash = secretHash(frame.session);
    const session = await this.dataSource.getRepository(SessionEntity).findOne({ where: { secretHash: sessionHash } });
    if (session === null || Date.parse(session.expiresAt) <= this.clock.now().getTime() || session.method === 'enrolment') {
      throw new ConclaveError('AUTH_REQUIRED', 'session: unknown or expired (an enrolment link only registers a passkey); sign in again');
    }
    if (socket.readyState !== WebSocket.OPEN) return;
    const viewer: Viewer = { socket, identityKey: session.identityKey, sessionHash };
    this.viewers.add(viewer);
    socket.on('close', () => this.viewers.delete(viewer));
    socket.on('message', () => undefined);
    this.send(socket, { type: 'ready', identityKey: session.identityKey });
  }

  private refuse(socket: WebSocket, error: unknown): void {
    const e = error instanceof ConclaveError ? error : new ConclaveError('INTERNAL', 'the coordinator failed during login; try again later');
    if (!(error instanceof ConclaveError)) this.logger.error({ msg: 'browser login failed', error: error instanceof Error ? error.stack : String(error) });
    this.send(socket, { type: 'error', error: { code: e.code, message: e.message } });
    socket.close(e.status < 500 ? 4003 : 1011, e.code);
  }

  private async push(vaultId: string | null, event: CoordinatorEvent): Promise<void> {
    if (this.viewers.size === 0) return;
    const live = await this.liveSessions();
    const audience = vaultId === null ? null : await this.audience(vaultId);
    for (const viewer of [...this.viewers]) {
      if (!live.has(viewer.sessionHash)) {
        this.viewers.delete(viewer);
        this.send(viewer.socket, { type: 'error', error: { code: 'AUTH_REQUIRED', message: 'the session ended; sign in again' } });
        viewer.socket.close(4001, 'AUTH_REQUIRED');
      } else if (audience === null || audience.has(viewer.identityKey)) {
        this.send(viewer.socket, { type: 'event', event });
      }
    }
  }

  /** The connected viewers' sessions that still exist and have not expired. */
  private async liveSessions(): Promise<Set<string>> {
    const hashes = [...new Set([...this.viewers].map((v) => v.sessionHash))];
    const rows = await this.dataSource.getRepository(SessionEntity).find({ where: { secretHash: In(hashes) }, select: { secretHash: true, expiresAt: true } });
    const now = this.clock.now().getTime();
    return new Set(rows.filter((r) => Date.parse(r.expiresAt) > now).map((r) => r.secretHash));
  }

  /** Identity keys that may hear of the vault: its governed members (any group) and its keyholders. */
  private async audience(vaultId: string): Promise<Set<string>> {
    const keys = new Set<string>();
    const vault = await this.dataSource.getRepository(VaultEntity).findOne({ where: { id: vaultId }, select: { id: true, policy: true } });
    if (vault === null) return keys;
    const policy = JSON.parse(vault.policy) as VaultPolicy;
    if (policy.version === GOVERNED_POLICY_VERSION) for (const m of policy.members.members) keys.add(m.identityKey);
    const links = await this.dataSource.getRepository(VaultMemberEntity).find({ where: { vaultId } });
    if (links.length > 0) {
      const members = await this.dataSource.getRepository(MemberEntity).find({ where: { id: In(links.map((l) => l.memberId)) }, select: { id: true, identityKey: true } });
      for (const m of members) keys.add(m.identityKey);
    }
    return keys;
  }

  beforeApplicationShutdown(): void {
    for (const client of this.server.clients) client.terminate();
    this.viewers.clear();
    this.server.close();
  }

  private send(socket: WebSocket, frame: BrowserServerFrame): void {
    if (socket.readyState !== WebSocket.OPEN) return;
    try {
      socket.send(JSON.stringify(frame));
    } catch {
      socket.terminate();
    }
  }
}
