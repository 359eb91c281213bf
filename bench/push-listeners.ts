/**
 * N WebSocket clients in the benchmark process, each stamping when a push about a withdrawal
 * reaches it. Against the coordinator every client logs in as a real signer does: it answers
 * the server's challenge with a `ws.auth` envelope signed by a member's identity key and waits
 * for `ready`. Against the bare server the clients just connect.
 */
import { WebSocket } from 'ws';
import { MESSAGE_TYPES, type ServerFrame } from '../protocol/api';
import type { StatementSigner } from './session';
import { monotonicMs } from './monotonic-clock';

/** Logins run this many at a time: all at once, the last ones would wait past the coordinator's auth timeout. */
const CONNECT_BATCH = 50;
const RECEIPT_TIMEOUT_MS = 30_000;

export interface PushListeners {
  /** The receipt stamps of the push about `withdrawalId`, one per client, once every client has it. */
  receipts(withdrawalId: string): Promise<number[]>;
  close(): Promise<void>;
}

/** `loginAs(i)` names the member client i logs in as; null: a bare server, no login. */
export async function connectListeners(url: string, count: number, loginAs: ((client: number) => StatementSigner) | null): Promise<PushListeners> {
  const stamps = new Map<string, number[]>();
  const waiting = new Map<string, () => void>();
  const record = (withdrawalId: string, at: number) => {
    const list = stamps.get(withdrawalId) ?? [];
    list.push(at);
    stamps.set(withdrawalId, list);
    if (list.length === count) waiting.get(withdrawalId)?.();
  };

  const connectOne = (client: number) => new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on('message', (data) => {
      const at = monotonicMs(); // first, before any parsing: the receipt as the socket saw it
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if (frame.type === 'event' && 'withdrawalId' in frame.event && frame.event.kind === 'signing.requested') record(frame.event.withdrawalId, at);
      else if (frame.type === 'challenge' && loginAs) socket.send(JSON.stringify({ type: 'auth', envelope: loginAs(client).sign(MESSAGE_TYPES.wsAuth, { challenge: frame.challenge }) }));
      else if (frame.type === 'ready') resolve(socket);
      else if (frame.type === 'error') reject(new Error(`client ${client}: ${frame.error.code} ${frame.error.message}`));
    });
    socket.on('open', () => { if (!loginAs) resolve(socket); });
    socket.on('error', reject);
  });

  const sockets: WebSocket[] = [];
  for (let first = 0; first < count; first += CONNECT_BATCH) {
    const batch = Array.from({ length: Math.min(CONNECT_BATCH, count - first) }, (_, i) => connectOne(first + i));
    sockets.push(...await Promise.all(batch));
  }

  return {
    receipts: (withdrawalId) => new Promise<number[]>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        waiting.delete(withdrawalId);
        const list = stamps.get(withdrawalId)!;
        stamps.delete(withdrawalId);
        resolve(list);
      };
      const timer = setTimeout(() => reject(new Error(`push about ${withdrawalId}: ${stamps.get(withdrawalId)?.length ?? 0} of ${count} clients got it in ${RECEIPT_TIMEOUT_MS} ms`)), RECEIPT_TIMEOUT_MS);
      if ((stamps.get(withdrawalId)?.length ?? 0) === count) done();
      else waiting.set(withdrawalId, done);
    }),
    close: () => Promise.all(sockets.map((s) => new Promise<void>((resolve) => {
      if (s.readyState === WebSocket.CLOSED) return resolve();
      s.once('close', () => resolve());
      s.close();
    }))).then(() => undefined),
  };
}
