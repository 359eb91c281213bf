/**
 * A strict stand-in for an Esplora server (Blockstream/esplora API.md, with the statuses and
 * texts Blockstream's electrs rest.rs answers), over an in-memory chain the test sets up:
 *   GET  /blocks/tip/height, /blocks/tip/hash   text/plain
 *   GET  /block-height/:height                  text/plain; 404 "Block not found"
 *   GET  /address/:address/utxo                 [{txid, vout, status, value}]; 400 "Address on invalid network"
 *   GET  /tx/:txid/hex                          text/plain; 404 "Transaction not found"
 *   GET  /tx/:txid/status                       {confirmed, block_height, block_hash, block_time}
 *                                               ({"confirmed":false} also for a transaction it never saw, as electrs)
 *   GET  /fee-estimates                         {"<target>": sat/vB, ...}
 *   POST /tx                                    hex body as text/plain -> 200 txid as text, or 400 with the
 *                                               node's refusal: `sendrawtransaction RPC error: {"code":..,"message":..}`
 * Anything else is 404 `endpoint does not exist "<path>"`. What a real server would refuse or
 * what a careful client never sends (a query string, a GET body, a non-hex POST body, a
 * content-type other than text/plain, an uppercase txid) is written down in `problems`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { addressToScript } from '../../protocol/address';
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import { type ArmedFault, type Fault, TestHttpServer, applyFault, readBody } from './http-test-server';

export interface EsploraTx {
  hex: string;
  /** Null while in the mempool. */
  blockHeight: number | null;
}

export interface EsploraUtxo {
  txid: string;
  vout: number;
  value: number;
  blockHeight: number | null;
}

export interface EsploraChainState {
  network: NetworkName;
  /** Block hashes by height; blocks[0] is the genesis block. */
  blocks: string[];
  txs: Map<string, EsploraTx>;
  utxos: Map<string, EsploraUtxo[]>;
  feeEstimates: Record<string, number>;
  /** What POST /tx answers (HTTP 400, text) for these txids: the node's refusal as electrs relays it. */
  refusals: Map<string, string>;
}

export const GENESIS_TIME = 1296688602;

/** The text electrs answers with when the node behind it refuses a broadcast. */
export function electrsRefusal(code: number, message: string): string {
  return `sendrawtransaction RPC error: ${JSON.stringify({ code, message })}`;
}

type Route = 'GET /blocks/tip/height' | 'GET /blocks/tip/hash' | 'GET /block-height/*' | 'GET /address/*/utxo' | 'GET /tx/*/hex' | 'GET /tx/*/status' | 'GET /fee-estimates' | 'POST /tx';

export class EsploraServer {
  readonly problems: string[] = [];
  /** Every request, as "METHOD /path". */
  readonly requests: string[] = [];
  private readonly faults = new Map<Route, ArmedFault>();
  private http!: TestHttpServer;
  /** Runs before each answer (e.g. to mine a block between two requests of one call). */
  beforeAnswer: ((route: Route | null) => void) | null = null;
  /**
   * The node behind the server, for a scripted chain (esplora-sim.ts): POST /tx hands it the
   * transaction, and it answers null (taken; the state now holds it) or the refusal text electrs
   * would relay (electrsRefusal).
   */
  submit: ((hex: string) => string | null) | null = null;

  private constructor(readonly state: EsploraChainState) {}

  static async start(state: EsploraChainState): Promise<EsploraServer> {
    const server = new EsploraServer(state);
    server.http = await TestHttpServer.start((req, res) => server.handle(req, res));
    return server;
  }

  get url(): string {
    return this.http.url;
  }

  waitForNoConnections(ms?: number): Promise<void> {
    return this.http.waitForNoConnections(ms);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  fault(route: Route, fault: Fault, times = 1): void {
    this.faults.set(route, { fault, remaining: times });
  }

  get tipHeight(): number {
    return this.state.blocks.length - 1;
  }

  /** A new block confirming everything in the mempool. */
  mine(): string {
    const height = this.state.blocks.length;
    const hash = bytesToHex(sha256(utf8ToBytes(`test block ${height} after ${this.state.blocks[height - 1]}`)));
    this.state.blocks.push(hash);
    for (const tx of this.state.txs.values()) if (tx.blockHeight === null) tx.blockHeight = height;
    for (const list of this.state.utxos.values()) for (const u of list) if (u.blockHeight === null) u.blockHeight = height;
    return hash;
  }

  private status(height: number | null): Record<string, unknown> {
    if (height === null) return { confirmed: false };
    return { confirmed: true, block_height: height, block_hash: this.state.blocks[height], block_time: GENESIS_TIME + height * 600 };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://esplora.test');
    const path = url.pathname;
    this.requests.push(`${req.method} ${path}`);
    if (url.search !== '') this.problems.push(`${req.method} ${path}: unexpected query string ${url.search}`);
    if (req.method === 'GET' && body !== '') this.problems.push(`GET ${path} with a body`);
    const text = (status: number, value: string) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(value);
    };
    const json = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const segments = path.split('/').slice(1);
    const route = routeOf(req.method ?? '', segments);
    this.beforeAnswer?.(route);
    if (!route) {
      this.problems.push(`${req.method} ${path}: no such endpoint`);
      return text(404, `endpoint does not exist ${JSON.stringify(path)}`);
    }
    const armed = this.faults.get(route);
    if (armed && armed.remaining > 0) {
      armed.remaining -= 1;
      return applyFault(res, armed.fault);
    }
    const checkTxid = (txid: string): boolean => {
      if (/^[0-9a-f]{64}$/.test(txid)) return true;
      this.problems.push(`${path}: "${txid}" is not a lowercase txid`);
      text(400, 'Invalid hex string');
      return false;
    };
    switch (route) {
      case 'GET /blocks/tip/height':
        return text(200, String(this.tipHeight));
      case 'GET /blocks/tip/hash':
        return text(200, this.state.blocks[this.tipHeight]!);
      case 'GET /block-height/*': {
        if (!/^\d+$/.test(segments[1]!)) {
          this.problems.push(`${path}: not a height`);
          return text(400, 'Invalid number');
        }
        const hash = this.state.blocks[Number(segments[1])];
        return hash ? text(200, hash) : text(404, 'Block not found');
      }
      case 'GET /address/*/utxo': {
        const address = decodeURIComponent(segments[1]!);
        try {
          addressToScript(address, this.state.network);
        } catch (error) {
          if (error instanceof ConclaveError && error.code === 'ADDRESS_WRONG_NETWORK') return text(400, 'Address on invalid network');
          this.problems.push(`${path}: not an address`);
          return text(400, 'base58 error');
        }
        return json((this.state.utxos.get(address) ?? []).map((u) => ({ txid: u.txid, vout: u.vout, status: this.status(u.blockHeight), value: u.value })));
      }
      case 'GET /tx/*/hex': {
        if (!checkTxid(segments[1]!)) return;
        const tx = this.state.txs.get(segments[1]!);
        return tx ? text(200, tx.hex) : text(404, 'Transaction not found');
      }
      case 'GET /tx/*/status': {
        if (!checkTxid(segments[1]!)) return;
        return json(this.status(this.state.txs.get(segments[1]!)?.blockHeight ?? null));
      }
      case 'GET /fee-estimates':
        return json(this.state.feeEstimates);
      case 'POST /tx': {
        if (!/^text\/plain(;|$)/.test(req.headers['content-type'] ?? '')) this.problems.push(`POST /tx: content-type "${req.headers['content-type'] ?? ''}", expected text/plain`);
        let txid: string;
        try {
          if (!/^(?:[0-9a-fA-F]{2})+$/.test(body)) throw new Error('not hex');
          txid = Transaction.fromRaw(hexToBytes(body), { allowUnknownOutputs: true, allowUnknownInputs: true, disableScriptCheck: true }).id;
        } catch {
          this.problems.push(`POST /tx: a body that is not a raw transaction in hex: ${body.slice(0, 40)}`);
          return text(400, electrsRefusal(-22, 'TX decode failed. Make sure the tx has at least one input.'));
        }
        const refusal = this.state.refusals.get(txid);
        if (refusal !== undefined) return text(400, refusal);
        const known = this.state.txs.get(txid);
        if (known && known.blockHeight !== null) return text(400, electrsRefusal(-27, 'Transaction outputs already in utxo set'));
        const nodeRefusal = this.submit?.(body) ?? null;
        if (nodeRefusal !== null) return text(400, nodeRefusal);
        if (!known) this.state.txs.set(txid, { hex: body.toLowerCase(), blockHeight: null });
        // Like Core behind it: a transaction already in the mempool is answered with its txid again.
        return text(200, txid);
      }
    }
  }
}

function routeOf(method: string, s: string[]): Route | null {
  const key = `${method} ${s.length}`;
  if (key === 'GET 3' && s[0] === 'blocks' && s[1] === 'tip' && s[2] === 'height') return 'GET /blocks/tip/height';
  if (key === 'GET 3' && s[0] === 'blocks' && s[1] === 'tip' && s[2] === 'hash') return 'GET /blocks/tip/hash';
  if (key === 'GET 2' && s[0] === 'block-height') return 'GET /block-height/*';
  if (key === 'GET 3' && s[0] === 'address' && s[2] === 'utxo') return 'GET /address/*/utxo';
  if (key === 'GET 3' && s[0] === 'tx' && s[2] === 'hex') return 'GET /tx/*/hex';
  if (key === 'GET 3' && s[0] === 'tx' && s[2] === 'status') return 'GET /tx/*/status';
  if (key === 'GET 1' && s[0] === 'fee-estimates') return 'GET /fee-estimates';
  if (key === 'POST 1' && s[0] === 'tx') return 'POST /tx';
  return null;
}
