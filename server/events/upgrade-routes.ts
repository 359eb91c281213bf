/**
 * WebSocket upgrades routed by path on the coordinator's one HTTP server: signers at `/ws`
 * (SignerHub), browsers of signed-in members at `/ws/web` (server/web/browser-hub.ts). Each
 * hub's WebSocketServer runs without a server of its own (`noServer`), because a server bound
 * with `path` refuses (400) every upgrade for another path, so two could not share one port.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';

const ROUTES = new WeakMap<Server, Map<string, WebSocketServer>>();

export function routeUpgrade(httpServer: Server, path: string, target: WebSocketServer): void {
  let routes = ROUTES.get(httpServer);
  if (routes === undefined) {
    const table = new Map<string, WebSocketServer>();
    routes = table;
    ROUTES.set(httpServer, table);
    httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const server = table.get((request.url ?? '').split('?')[0]!);
      if (server === undefined) {
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      server.handleUpgrade(request, socket, head, (ws) => server.emit('connection', ws, request));
    });
  }
  routes.set(path, target);
}
