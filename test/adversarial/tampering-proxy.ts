/**
 * A hostile coordinator, as DESIGN.md's trust model assumes one may be: an HTTP and WebSocket
 * proxy that sits between a real coordinator process and real signer-cli processes, forwards
 * everything, and lets a test rewrite what it relays. Test code only: production code has no
 * switch for any of this. Signers are pointed at `proxy.url` and cannot tell it from the
 * coordinator; assertions about what really happened query the coordinator directly.
 *
 * - REST: `rewrite` edits the JSON of matching responses (or replaces a 404 with an answer of
 *   its own, for withdrawals the coordinator never heard of); every request is logged.
 * - WebSocket (/ws): server frames pass through `frameRewrites`, which may edit or drop them;
 *   `inject` pushes an event of the test's choosing to every authenticated signer.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { CoordinatorEvent, ServerFrame } from '../../protocol/api';

export interface LoggedRequest { method: string; path: string; body: string; status: number }

/** A JSON response on its way to a signer; a rule returns the body to send instead, or undefined to leave it. */
export interface Relayed { method: string; path: string; status: number; body: unknown }
export type ResponseRule = (response: Relayed) => { status?: number; body: unknown } | undefined;

/** A server frame on its way to a signer: return the frame to send, or null to drop it. */
export type FrameRule = (frame: ServerFrame) => ServerFrame | null;

interface Tunnel { client: WebSocket; upstream: WebSocket; identityKey: string | null }

export class TamperingProxy {
  readonly requests: LoggedRequest[] = [];
  private readonly rules = new Set<ResponseRule>();
  private readonly frameRules = new Set<FrameRule>();
  private readonly tunnels = new Set<Tunnel>();
  private readonly sockets = new Set<Socket>();
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor(private readonly server: Server, private readonly target: URL, readonly url: string) {}

  static async start(targetUrl: string): Promise<TamperingProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const proxy = new TamperingProxy(server, new URL(targetUrl), `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => void proxy.relay(req, res));
    server.on('upgrade', (req, socket: Socket, head) => proxy.tunnel(req, socket, head));
    server.on('connection', (socket) => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    return proxy;
  }

  /** Applies `rule` to every JSON response until the returned function is called. */
  rewrite(rule: ResponseRule): () => void {
    this.rules.add(rule);
    return () => this.rules.delete(rule);
  }

  rewriteFrames(rule: FrameRule): () => void {
    this.frameRules.add(rule);
    return () => this.frameRules.delete(rule);
  }

  /** Pushes a forged event to every authenticated signer (or only to `identityKey`); returns how many got it. */
  inject(event: CoordinatorEvent, identityKey?: string): number {
    let sent = 0;
    for (const t of this.tunnels) {
      if (t.identityKey === null || (identityKey !== undefined && t.identityKey !== identityKey)) continue;
      if (t.client.readyState !== WebSocket.OPEN) continue;
      t.client.send(JSON.stringify({ type: 'event', event } satisfies ServerFrame));
      sent += 1;
    }
    return sent;
  }

  /** Requests logged from `since` (an index into `requests`) that match. */
  requestsSince(since: number, method: string, path: RegExp): LoggedRequest[] {
    return this.requests.slice(since).filter((r) => r.method === method && path.test(r.path));
  }

  async stop(): Promise<void> {
    for (const t of this.tunnels) {
      t.client.terminate();
      t.upstream.terminate();
    }
    this.wss.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const body = await readAll(req);
    try {
      const upstream = await forward(this.target, method, path, req.headers, body);
      let status = upstream.status;
      let payload = upstream.body;
      const json = /application\/json/.test(String(upstream.headers['content-type'] ?? '')) || upstream.status === 404;
      if (json && this.rules.size > 0) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(payload.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        if (parsed !== undefined) {
          let changed = false;
          for (const rule of this.rules) {
            const out = rule({ method, path, status, body: parsed });
            if (out === undefined) continue;
            parsed = out.body;
            status = out.status ?? status;
            changed = true;
          }
          if (changed) payload = Buffer.from(JSON.stringify(parsed), 'utf8');
        }
      }
      this.requests.push({ method, path, body: body.toString('utf8'), status });
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(upstream.headers)) {
        if (value === undefined || ['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'etag'].includes(name)) continue;
        headers[name] = value;
      }
      headers['content-length'] = String(payload.length);
      res.writeHead(status, headers);
      res.end(payload);
    } catch (error) {
      this.requests.push({ method, path, body: body.toString('utf8'), status: 502 });
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'COORDINATOR_UNREACHABLE', message: `proxy: ${(error as Error).message}` } }));
    }
  }

  private tunnel(req: IncomingMessage, socket: Socket, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (client) => {
      const target = new URL(req.url ?? '/ws', this.target);
      target.protocol = this.target.protocol === 'https:' ? 'wss:' : 'ws:';
      const upstream = new WebSocket(target);
      const tunnel: Tunnel = { client, upstream, identityKey: null };
      this.tunnels.add(tunnel);
      const pending: string[] = [];
      upstream.on('open', () => {
        for (const text of pending.splice(0)) upstream.send(text);
      });
      client.on('message', (data) => {
        const text = data.toString();
        if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
        else pending.push(text);
      });
      upstream.on('message', (data) => {
        let frame: ServerFrame;
        try {
          frame = JSON.parse(data.toString()) as ServerFrame;
        } catch {
          client.send(data.toString());
          return;
        }
        for (const rule of this.frameRules) {
          const next = rule(frame);
          if (next === null) return;
          frame = next;
        }
        if (frame.type === 'ready') tunnel.identityKey = frame.identityKey;
        if (client.readyState === WebSocket.OPEN) client.send(JSON.stringify(frame));
      });
      const close = () => {
        this.tunnels.delete(tunnel);
        client.terminate();
        upstream.terminate();
      };
      client.on('close', close);
      upstream.on('close', close);
      client.on('error', close);
      upstream.on('error', close);
    });
  }
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function forward(target: URL, method: string, path: string, headers: IncomingMessage['headers'], body: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({
      host: target.hostname, port: target.port, method, path,
      headers: { ...withoutFraming(headers), host: target.host, connection: 'close', 'content-length': String(body.length) },
    }, (response) => {
      readAll(response).then((data) => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: data }), reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The request's own framing headers do not apply to the buffered body sent upstream. */
function withoutFraming(headers: IncomingMessage['headers']): IncomingMessage['headers'] {
  const { 'transfer-encoding': _te, 'content-length': _cl, connection: _c, 'keep-alive': _ka, ...rest } = headers;
  return rest;
}
