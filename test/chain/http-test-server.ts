/**
 * The plumbing the strict chain test servers share: a node:http server on 127.0.0.1 with an
 * ephemeral port, a count of open client connections (so tests can see that a client released
 * its socket after a time-out), and injected faults: never answering, closing mid-answer, a
 * status of choice, a body of choice.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** Reads the request and never answers. */
  | { kind: 'hang' }
  /** Closes the connection without a word. */
  | { kind: 'close' }
  /** Declares the full Content-Length, sends the first `sendBytes` bytes of `body`, then closes. */
  | { kind: 'truncate'; body: string; sendBytes: number; contentType?: string }
  /** Any status and raw body (an HTML 502 page, half a JSON document, a wrong shape...). */
  | { kind: 'raw'; status: number; body: string; contentType?: string };

export interface ArmedFault {
  fault: Fault;
  /** How many matching requests it applies to; then the server answers normally again. */
  remaining: number;
}

export function applyFault(res: ServerResponse, fault: Fault): void {
  switch (fault.kind) {
    case 'hang':
      return;
    case 'close':
      res.socket?.destroy();
      return;
    case 'truncate': {
      const bytes = Buffer.from(fault.body, 'utf8');
      res.writeHead(200, { 'content-type': fault.contentType ?? 'application/json', 'content-length': String(bytes.length) });
      res.write(bytes.subarray(0, fault.sendBytes), () => res.socket?.destroy());
      return;
    }
    case 'raw':
      res.writeHead(fault.status, { 'content-type': fault.contentType ?? 'text/plain' });
      res.end(fault.body);
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class TestHttpServer {
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly url: string) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): Promise<TestHttpServer> {
    const server = createServer((req, res) => {
      Promise.resolve(handler(req, res)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(599, { 'content-type': 'text/plain' });
        res.end(`test server failure: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new TestHttpServer(server, `http://127.0.0.1:${port}`);
  }

  /** Client connections open right now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Resolves once every client connection has closed, or rejects after `ms`. */
  async waitForNoConnections(ms = 2000): Promise<void> {
    const until = Date.now() + ms;
    while (this.sockets.size > 0) {
      if (Date.now() > until) throw new Error(`${this.sockets.size} client connection(s) still open after ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
