/**
 * A strict stand-in for the Bitcoin Core node recorded in
 * ../shared/vectors/bitcoin-core-regtest-rpc-transcript.json (read unchanged through
 * test/vectors/locate.ts). For each request it finds the transcript entry with the same method
 * and params and answers with that entry's HTTP status and JSON-RPC body, with the request's id
 * (Core echoes the id; the recorder's was "r"). Anything a real node would refuse, or that
 * the transcript cannot vouch for, is answered as Core would and written down in `problems`
 * (a test expects that list empty):
 * - not POST (405), a path other than "/" (404), no or wrong basic auth (401 with an empty body
 *   and `WWW-Authenticate: Basic realm="jsonrpc"`), a body that is not JSON (500, -32700);
 * - an envelope that is not legacy JSON-RPC: `jsonrpc` other than "1.0" (the recorded answers
 *   are 1.0-shaped; Core 28+ answers "2.0" requests differently), an id that is not a string or
 *   number, params that are not an array, a batch, extra members; a content-type other than
 *   application/json (Core does not check it; this client is held to it);
 * - a method the node lacks (404, -32601, as recorded) or params never recorded (500), listed in
 *   `unmatched` as well.
 *
 * State moves forward like the node's did: among the entries matching a request, the first one
 * after the last entry served answers; once none is left, the last one served again. So
 * getrawtransaction of 1123…dd answers "2 confirmations", then "back in the mempool" (the
 * recorded reorg). `seek()` jumps to a point of the recording.
 *
 * With the `node` option (core-node.ts) the methods it scripts are answered from a simulated
 * chain instead, in the recorded shapes; faults and every check above still apply.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import type { CoreNodeAnswerer } from './core-node';
import { type Fault, type ArmedFault, TestHttpServer, applyFault, readBody } from './http-test-server';

export interface TranscriptEntry {
  note: string;
  request: { method: string; params: unknown[] };
  httpStatus: number;
  response: { result: unknown; error: { code: number; message: string } | null; id: unknown };
}

export interface CoreTranscript {
  about: string;
  node: string;
  keyholders: Array<{ mnemonic: string; fingerprint: string; path: string; tpub: string }>;
  receiveDescriptor: string;
  changeDescriptor: string;
  entries: TranscriptEntry[];
}

export const TRANSCRIPT_FILE = 'bitcoin-core-regtest-rpc-transcript.json';

/** What the test server answers instead of the recording, for one method. */
export type CoreFault =
  | Fault
  /** Answers with another recorded entry's status and body (e.g. the node's -22 or -32601). */
  | { kind: 'entry'; index: number }
  /** Answers `body(id)` as JSON with `status` (default 200): wrong shapes, wrong ids, -28. */
  | { kind: 'json'; status?: number; body: (id: unknown) => unknown };

export interface CoreRpcServerOptions {
  user?: string;
  password?: string;
  /** Answers the methods it scripts from a simulated chain (core-node.ts); the rest replay the transcript. */
  node?: CoreNodeAnswerer;
}

const ENVELOPE_KEYS = new Set(['jsonrpc', 'id', 'method', 'params']);

export class CoreRpcServer {
  /** Everything a real node would have refused or the transcript cannot vouch for. */
  readonly problems: string[] = [];
  /** Requests with no recorded answer (also in problems). */
  readonly unmatched: string[] = [];
  /** Transcript indices served, in order. */
  readonly served: number[] = [];
  /** Every method received, in order (faults and refusals included). */
  readonly methods: string[] = [];
  private cursor = -1;
  private readonly faults = new Map<string, Omit<ArmedFault, 'fault'> & { fault: CoreFault }>();
  private http!: TestHttpServer;
  user: string;
  password: string;
  private readonly node: CoreNodeAnswerer | undefined;

  private constructor(private readonly transcript: CoreTranscript, options: CoreRpcServerOptions) {
    this.user = options.user ?? '__cookie__';
    this.password = options.password ?? 'c0ffee';
    this.node = options.node;
  }

  static async start(transcript: CoreTranscript, options: CoreRpcServerOptions = {}): Promise<CoreRpcServer> {
    const server = new CoreRpcServer(transcript, options);
    server.http = await TestHttpServer.start((req, res) => server.handle(req, res));
    return server;
  }

  get url(): string {
    return this.http.url;
  }

  get openConnections(): number {
    return this.http.openConnections;
  }

  waitForNoConnections(ms?: number): Promise<void> {
    return this.http.waitForNoConnections(ms);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /** The next `times` calls of `method` get `fault` instead of the recorded answer. */
  fault(method: string, fault: CoreFault, times = 1): void {
    this.faults.set(method, { fault, remaining: times });
  }

  /** Moves the replay to just after entry `index` (as if the node had served it). */
  seek(index: number): void {
    this.cursor = index;
  }

  private problem(text: string): void {
    this.problems.push(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(value)}\n`);
    };
    if (req.method !== 'POST') {
      this.problem(`${req.method} request: Core's RPC server takes POST only`);
      res.writeHead(405, { 'content-type': 'text/html' });
      res.end('JSONRPC server handles only POST requests');
      return;
    }
    if (req.url !== '/') {
      this.problem(`path ${req.url}: this node serves "/" (no wallet endpoints)`);
      res.writeHead(404).end();
      return;
    }
    const expected = `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      this.problem(req.headers.authorization ? 'wrong credentials' : 'no Authorization header');
      res.writeHead(401, { 'www-authenticate': 'Basic realm="jsonrpc"' }).end();
      return;
    }
    if (!/^application\/json(;|$)/.test(req.headers['content-type'] ?? '')) {
      this.problem(`content-type "${req.headers['content-type'] ?? ''}": expected application/json`);
    }
    let request: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(body);
      if (Array.isArray(parsed)) {
        this.problem('a batch request: this client sends one call per request');
        json(500, { result: null, error: { code: -32600, message: 'Invalid Request object' }, id: null });
        return;
      }
      if (parsed === null || typeof parsed !== 'object') throw new Error('not an object');
      request = parsed as Record<string, unknown>;
    } catch {
      this.problem(`a body that is not a JSON-RPC object: ${body.slice(0, 80)}`);
      json(500, { result: null, error: { code: -32700, message: 'Parse error' }, id: null });
      return;
    }
    const { jsonrpc, id, method, params } = request;
    if (jsonrpc !== '1.0') this.problem(`jsonrpc ${JSON.stringify(jsonrpc)}: the transcript holds answers to legacy "1.0" requests`);
    if (typeof id !== 'string' && typeof id !== 'number') this.problem(`id ${JSON.stringify(id)}: expected a string or a number`);
    if (typeof method !== 'string') {
      this.problem('no method');
      json(500, { result: null, error: { code: -32600, message: 'Method must be a string' }, id: id ?? null });
      return;
    }
    this.methods.push(method);
    if (!Array.isArray(params)) this.problem(`${method}: params must be an array`);
    const extra = Object.keys(request).filter((k) => !ENVELOPE_KEYS.has(k));
    if (extra.length > 0) this.problem(`${method}: unexpected envelope members ${extra.join(', ')}`);

    const armed = this.faults.get(method);
    if (armed && armed.remaining > 0) {
      armed.remaining -= 1;
      const fault = armed.fault;
      if (fault.kind === 'entry') {
        const entry = this.transcript.entries[fault.index]!;
        json(entry.httpStatus, { ...entry.response, id });
      } else if (fault.kind === 'json') {
        json(fault.status ?? 200, fault.body(id));
      } else {
        applyFault(res, fault);
      }
      return;
    }

    const scripted = this.node?.(method, Array.isArray(params) ? params : []);
    if (scripted) {
      json(scripted.status, { result: scripted.result ?? null, error: scripted.error ?? null, id });
      return;
    }

    const candidates = this.transcript.entries
      .map((entry, index) => ({ entry, index }))
      .filter(({ entry }) => entry.request.method === method && isDeepStrictEqual(entry.request.params, params));
    const chosen = candidates.find((c) => c.index > this.cursor) ?? candidates.filter((c) => c.index <= this.cursor).pop();
    if (!chosen) {
      const known = this.transcript.entries.some((e) => e.request.method === method);
      const text = `${method} ${JSON.stringify(params).slice(0, 160)}`;
      this.unmatched.push(text);
      this.problem(`no recorded answer for ${text}`);
      if (!known) json(404, { result: null, error: { code: -32601, message: 'Method not found' }, id });
      else json(500, { result: null, error: { code: -32603, message: `strict transcript server: no recorded answer for these params` }, id });
      return;
    }
    this.cursor = chosen.index;
    this.served.push(chosen.index);
    json(chosen.entry.httpStatus, { ...chosen.entry.response, id });
  }
}
