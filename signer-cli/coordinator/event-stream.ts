/**
 * The coordinator's live event stream (WebSocket at /ws) with challenge-response login: the
 * server sends a random challenge, the signer answers with a ws.auth envelope over it, the
 * server says ready. The connection is re-established with exponential backoff whenever it
 * drops, and pinged so that a silently dead connection is noticed.
 */
import WebSocket from 'ws';
import { z } from 'zod';
import type { CoordinatorEvent } from '../../protocol/api';

const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const PING_INTERVAL_MS = 30_000;
const MAX_FRAME_BYTES = 1024 * 1024;

const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('challenge'), challenge: z.string().regex(/^[0-9a-f]{64}$/) }),
  z.object({ type: z.literal('ready'), identityKey: z.string(), memberId: z.string() }),
  z.object({ type: z.literal('event'), event: z.object({ kind: z.string() }).passthrough() }),
  z.object({ type: z.literal('error'), error: z.object({ code: z.string(), message: z.string() }) }),
]);

export interface EventStreamHandlers {
  /** Authenticated; a good moment to catch up on what was missed while disconnected. */
  onReady(memberId: string): void;
  onEvent(event: CoordinatorEvent): void;
  /** A line for the person watching (connects, drops, retries). */
  onStatus(line: string): void;
  /** The server refused this signer; retrying would not help. */
  onFatal(code: string, message: string): void;
}

/** Error codes after which reconnecting cannot succeed. */
const FATAL_CODES = new Set(['NOT_A_MEMBER', 'UNAUTHENTICATED', 'FORBIDDEN', 'ENVELOPE_BAD_SIGNATURE']);

export class EventStream {
  private socket: WebSocket | null = null;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly authenticate: (challenge: string) => unknown,
    private readonly handlers: EventStreamHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.clearPing();
    this.socket?.removeAllListeners();
    this.socket?.on('error', () => undefined);
    this.socket?.terminate();
    this.socket = null;
  }

  private connect(): void {
    if (this.stopped) return;
    this.handlers.onStatus(`connecting to ${this.url}`);
    const socket = new WebSocket(this.url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: 15_000 });
    this.socket = socket;
    let alive = true;
    socket.on('open', () => {
      this.pingTimer = setInterval(() => {
        if (!alive) {
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
      }, PING_INTERVAL_MS);
    });
    socket.on('pong', () => {
      alive = true;
    });
    socket.on('message', (data) => this.onMessage(socket, data.toString()));
    socket.on('error', (error) => this.handlers.onStatus(`connection error: ${error.message}`));
    socket.on('close', () => {
      this.clearPing();
      if (this.socket === socket) this.socket = null;
      this.scheduleReconnect();
    });
  }

  private onMessage(socket: WebSocket, text: string): void {
    let frame: z.infer<typeof serverFrameSchema>;
    try {
      frame = serverFrameSchema.parse(JSON.parse(text));
    } catch {
      this.handlers.onStatus('ignored a frame the coordinator sent that is not a known message');
      return;
    }
    switch (frame.type) {
      case 'challenge':
        socket.send(JSON.stringify({ type: 'auth', envelope: this.authenticate(frame.challenge) }));
        break;
      case 'ready':
        this.attempt = 0;
        this.handlers.onReady(frame.memberId);
        break;
      case 'event':
        this.handlers.onEvent(frame.event as unknown as CoordinatorEvent);
        break;
      case 'error':
        if (FATAL_CODES.has(frame.error.code)) {
          this.stop();
          this.handlers.onFatal(frame.error.code, frame.error.message);
        } else {
          this.handlers.onStatus(`coordinator error ${frame.error.code}: ${frame.error.message}`);
        }
        break;
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.attempt);
    this.attempt += 1;
    // Jitter, so that many signers do not reconnect in lockstep after a coordinator restart.
    const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
    this.handlers.onStatus(`connection lost; reconnecting in ${Math.round(wait / 1000)} s`);
    this.retryTimer = setTimeout(() => this.connect(), wait);
  }

  private clearPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }
}
