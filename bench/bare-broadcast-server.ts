/**
 * The bare bound of `bench:push`, run as a process of its own as the coordinator is: a plain
 * `ws` server on loopback with no login, no database and no membership check. When its parent
 * asks (IPC), it stamps the time, sends one frame shaped like the coordinator's push to every
 * connected client, and answers with that stamp, the one taken once every frame was handed to
 * its socket, and the CPU time in between.
 */
import { WebSocketServer } from 'ws';
import { monotonicMs } from './monotonic-clock';

export interface BroadcastRequest { withdrawalId: string; vaultId: string }
/** When the server started sending, when every frame had been handed to its socket, and the CPU time that took. */
export interface BroadcastStamps { withdrawalId: string; sentAt: number; doneAt: number; sendCpuMs: number }
export type BareServerMessage = { listening: number } | BroadcastStamps;

const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const tell = (message: BareServerMessage) => process.send!(message);

server.on('listening', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('bare server: expected a TCP address');
  tell({ listening: address.port });
});

process.on('message', (request: BroadcastRequest) => {
  const sentAt = monotonicMs();
  const cpu = process.cpuUsage();
  const frame = JSON.stringify({ type: 'event', event: { kind: 'signing.requested', vaultId: request.vaultId, withdrawalId: request.withdrawalId } });
  for (const client of server.clients) client.send(frame);
  const doneAt = monotonicMs();
  const { user, system } = process.cpuUsage(cpu);
  tell({ withdrawalId: request.withdrawalId, sentAt, doneAt, sendCpuMs: (user + system) / 1000 });
});

// The parent ended (or died): nothing is left to measure.
process.on('disconnect', () => server.close(() => process.exit(0)));
