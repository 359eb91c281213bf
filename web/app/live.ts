/**
 * Live updates (protocol/web-live.ts): one WebSocket to /ws/web, authenticated with the
 * session token in its first frame, reconnecting with back-off. Each event only says that
 * something changed; the page re-reads what it shows.
 */
import type { CoordinatorEvent } from '../../protocol/api';
import { type BrowserServerFrame, WEB_LIVE_PATH } from '../../protocol/web-live';
import type { Session } from './session';

export type LiveState = 'connecting' | 'live' | 'offline';

export class LiveUpdates {
  private socket: WebSocket | null = null;
  private retry = 0;
  private timer: number | undefined;
  private stopped = true;

  constructor(private readonly onEvent: (event: CoordinatorEvent) => void, private readonly onState: (state: LiveState, why?: string) => void) {}

  start(session: Session): void {
    this.stop();
    this.stopped = false;
    this.open(session);
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.socket?.close(1000, 'signed out');
    this.socket = null;
  }

  private open(session: Session): void {
    this.onState('connecting');
    const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${WEB_LIVE_PATH}`);
    this.socket = socket;
    socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'auth', session: session.token })));
    socket.addEventListener('message', (message) => {
      const frame = JSON.parse(String(message.data)) as BrowserServerFrame;
      if (frame.type === 'ready') {
        this.retry = 0;
        this.onState('live');
      } else if (frame.type === 'event') {
        this.onEvent(frame.event);
      } else if (frame.type === 'error') {
        this.onState('offline', `${frame.error.message} (${frame.error.code})`);
      }
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket || this.stopped) return;
      // 4001/4003: the session is gone or refused; retrying with it would not help.
      if (event.code === 4001 || event.code === 4003) return this.onState('offline', 'Live updates stopped: sign in again.');
      this.onState('offline');
      this.retry = Math.min(this.retry + 1, 6);
      this.timer = window.setTimeout(() => this.open(session), 500 * 2 ** this.retry);
    });
  }
}
