/**
 * A real HTTP receiver for webhook tests, on loopback: it records every request (headers, raw
 * body, parsed payload) and answers each by plan (a status, or 'hang': no answer), then with a
 * standing answer. Tests wait for requests by count, an event rather than a timer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookPayload } from '../../protocol/webhooks';

export interface Received { headers: IncomingMessage['headers']; body: string; payload: WebhookPayload }

export class Receiver {
  readonly requests: Received[] = [];
  private plan: Array<number | 'hang'> = [];
  private always: number | 'hang' = 200;
  private readonly hanging = new Set<ServerResponse>();
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.requests.push({ headers: req.headers, body, payload: JSON.parse(body) as WebhookPayload });
        const answer = this.plan.shift() ?? this.always;
        if (answer === 'hang') this.hanging.add(res);
        else res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
        for (const w of this.waiters.filter((x) => this.requests.length >= x.count)) w.resolve();
        this.waiters = this.waiters.filter((x) => this.requests.length < x.count);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/conclave`;
    return this;
  }

  answer(plan: Array<number | 'hang'>, then: number | 'hang' = 200): void {
    this.plan = [...plan];
    this.always = then;
  }

  /** Resolves once `count` requests in all have arrived (an event, not a timer). */
  received(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
