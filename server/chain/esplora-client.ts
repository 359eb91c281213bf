/**
 * ChainBackend over Esplora's REST API (Blockstream's electrs, mempool.space; API.md of
 * Blockstream/esplora): plain-text tip height and hash, JSON address UTXOs, transaction hex and
 * status, fee estimates, and POST /tx with the hex as a plain-text body (200 with the txid as
 * text; 400 with the node's refusal as text). Amounts there are integer satoshis already.
 *
 * Network check: GET /block-height/0, the genesis block hash, tells mainnet, testnet (3 or 4),
 * signet and regtest apart; an address prefix cannot (testnet and signet share `tb`). A server on
 * another network also answers an address of ours with 400 "Address on invalid network", which
 * is CHAIN_WRONG_NETWORK too.
 *
 * Esplora has no mempool-acceptance check: testAccept answers `unchecked` and broadcast is the
 * check. Querying addresses tells the server which addresses the vault watches: use your own
 * Esplora (or Core) for privacy.
 */
import { z } from 'zod';
import { MAX_MONEY_SATS } from '../../protocol/amounts';
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import type {
  ChainBackend, ChainCapabilities, ChainTip, ChainTransaction, ChainUtxo, FeeEstimate, TestAcceptResult, UtxoSnapshot, WatchedChain, WatchedScript,
} from './chain-backend';
import {
  HEIGHT, HEX64, checkTargetBlocks, checkTransactionHex, checkTxid, confirmationsAt, networkOfGenesis, parseResponse, responseInvalid,
  satPerVbFloatToRate, txidOfInput, watchedScriptsByHex,
} from './chain-values';
import { DEFAULT_RETRY, type HttpAnswer, type RetryPolicy, HttpTransport, credentialFreeUrl, excerpt, retryableUnavailable, withRetries } from './http-transport';

export interface EsploraClientOptions {
  /** The API root, e.g. https://mempool.space/api or http://127.0.0.1:3002. */
  url: string;
  network: NetworkName;
  /** Bound on each call, retries included (for utxos: on each address request). */
  timeoutMs: number;
  /** Bound on a whole utxos() call over all watched addresses. */
  scanTimeoutMs: number;
  fallbackFeeRate: string;
  retry?: RetryPolicy;
  /** Address requests in flight at once during utxos() (default 4). */
  concurrency?: number;
}

const statusSchema = z.object({
  confirmed: z.boolean(),
  block_height: HEIGHT.nullable().optional(),
  block_hash: HEX64.nullable().optional(),
  block_time: z.number().int().nullable().optional(),
});
type TxStatus = z.infer<typeof statusSchema>;

const utxoListSchema = z.array(z.object({
  txid: HEX64,
  vout: z.number().int().min(0),
  value: z.number().int().min(0).max(Number(MAX_MONEY_SATS)),
  status: statusSchema,
}));

const feeEstimatesSchema = z.record(z.string().regex(/^[1-9][0-9]{0,3}$/, 'expected a block count'), z.number().positive());

const HEIGHT_TEXT = /^(0|[1-9][0-9]{0,9})$/;

/** The pieces of an electrs broadcast refusal, in either format it has used: `... RPC error: {"code":-26,"message":"..."}` or `... RPC error -26: ...`. */
export function parseBroadcastRefusal(text: string): { code: number | null; message: string } {
  const json = /RPC error: (\{.*\})\s*$/s.exec(text);
  if (json) {
    try {
      const inner = z.object({ code: z.number().int(), message: z.string() }).safeParse(JSON.parse(json[1]!));
      if (inner.success) return inner.data;
    } catch {
      // not JSON after all: fall through to the plain forms
    }
  }
  const plain = /RPC error (-?\d+): (.*)$/s.exec(text);
  if (plain) return { code: Number(plain[1]), message: plain[2]!.trim() };
  return { code: null, message: text.trim() };
}

export class EsploraClient implements ChainBackend {
  readonly kind = 'esplora' as const;
  readonly capabilities: ChainCapabilities = { testAccept: false, mempoolUtxos: true };
  private readonly root: string;
  private readonly http: HttpTransport;
  private readonly retry: RetryPolicy;
  private networkChecked = false;

  constructor(private readonly options: EsploraClientOptions) {
    this.root = credentialFreeUrl(options.url, 'CONCLAVE_ESPLORA_URL').replace(/\/+$/, '');
    this.http = new HttpTransport(this.root);
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  async close(): Promise<void> {
    this.http.close();
  }

  async network(): Promise<NetworkName> {
    const genesis = parseResponse(HEX64, (await this.getText('/block-height/0')).trim(), 'GET /block-height/0');
    const network = networkOfGenesis(genesis);
    if (!network) throw new ConclaveError('CHAIN_WRONG_NETWORK', `the Esplora server at ${this.root} has genesis block ${genesis}, which is no network Conclave knows`);
    return network;
  }

  async tip(): Promise<ChainTip> {
    await this.checkNetwork();
    // Height and hash come from two requests; a block may land between them. The hash at the
    // height read must be the tip hash read, or the pair is read again.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const heightText = (await this.getText('/blocks/tip/height')).trim();
      if (!HEIGHT_TEXT.test(heightText)) throw responseInvalid('GET /blocks/tip/height', `"${excerpt(heightText, 40)}" is not a block height`);
      const height = parseResponse(HEIGHT, Number(heightText), 'GET /blocks/tip/height');
      const hash = parseResponse(HEX64, (await this.getText('/blocks/tip/hash')).trim(), 'GET /blocks/tip/hash');
      // 404 here: the chain got shorter between the reads (a reorg); read again.
      const atHeight = await this.getText(`/block-height/${height}`, { notFound: true });
      if (atHeight !== null && parseResponse(HEX64, atHeight.trim(), `GET /block-height/${height}`) === hash) return { height, hash };
    }
    throw new ConclaveError('CHAIN_UNAVAILABLE', `the Esplora server's tip kept moving while it was read; try again`);
  }

  async utxos(chains: readonly WatchedChain[]): Promise<UtxoSnapshot> {
    const watched = [...watchedScriptsByHex(chains, this.options.network).values()];
    await this.checkNetwork();
    const deadline = Date.now() + this.options.scanTimeoutMs;
    const abort = new AbortController();
    const lists: Array<{ script: WatchedScript; list: z.infer<typeof utxoListSchema> }> = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < watched.length && !abort.signal.aborted) {
        const script = watched[next++]!;
        const path = `/address/${encodeURIComponent(script.address)}/utxo`;
        const answer = await this.getJson(path, { deadline: Math.min(deadline, Date.now() + this.options.timeoutMs), signal: abort.signal });
        lists.push({ script, list: parseResponse(utxoListSchema, answer, `GET ${path}`) });
      }
    };
    const workers = Array.from({ length: Math.min(this.options.concurrency ?? 4, watched.length) }, () => worker().catch((error: unknown) => {
      abort.abort();
      throw error;
    }));
    const settled = await Promise.allSettled(workers);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    // The first failure, not the "abandoned" errors it caused in the other workers.
    if (failure) {
      const first = settled.map((s) => (s.status === 'rejected' ? s.reason : null)).find((r) => r instanceof ConclaveError && !/abandoned/.test(r.message));
      throw first ?? failure.reason;
    }
    // Read after the coins, so that every block a coin is in is at or below this tip.
    const tip = await this.tip();
    const seen = new Set<string>();
    const utxos: ChainUtxo[] = [];
    for (const { script, list } of lists) {
      list.forEach((u, i) => {
        const where = `GET /address/${script.address}/utxo[${i}]`;
        const outpoint = `${u.txid}:${u.vout}`;
        if (seen.has(outpoint)) throw responseInvalid(where, `${outpoint} is listed for two addresses`);
        seen.add(outpoint);
        const block = confirmedBlock(u.status, `${where}.status`);
        utxos.push({
          txid: u.txid, vout: u.vout, amount: String(u.value), scriptPubKey: script.scriptPubKey, address: script.address,
          confirmations: block ? confirmationsAt(tip.height, block.height) : 0, blockHeight: block?.height ?? null, blockHash: block?.hash ?? null, coinbase: null,
        });
      });
    }
    utxos.sort((a, b) => (a.txid === b.txid ? a.vout - b.vout : a.txid < b.txid ? -1 : 1));
    return { tip, utxos };
  }

  async transaction(txid: string, options: { blockHash?: string } = {}): Promise<ChainTransaction | null> {
    checkTxid(txid);
    if (options.blockHash !== undefined) checkTxid(options.blockHash, 'blockHash');
    await this.checkNetwork();
    // /tx/:txid/status answers {"confirmed":false} even for a transaction it never saw; /hex says 404.
    const hex = await this.getText(`/tx/${txid}/hex`, { notFound: true });
    if (hex === null) return null;
    const trimmed = hex.trim();
    checkTransactionHex(trimmed, txid, `GET /tx/${txid}/hex`);
    const status = parseResponse(statusSchema, await this.getJson(`/tx/${txid}/status`), `GET /tx/${txid}/status`);
    const block = confirmedBlock(status, `GET /tx/${txid}/status`);
    if (!block) return { txid, hex: trimmed, confirmations: 0, blockHash: null };
    const tip = await this.tip();
    return { txid, hex: trimmed, confirmations: confirmationsAt(tip.height, block.height), blockHash: block.hash };
  }

  async estimateFeeRate(targetBlocks: number): Promise<FeeEstimate> {
    checkTargetBlocks(targetBlocks);
    await this.checkNetwork();
    const estimates = parseResponse(feeEstimatesSchema, await this.getJson('/fee-estimates'), 'GET /fee-estimates');
    const targets = Object.keys(estimates).map(Number).sort((a, b) => a - b);
    if (targets.length === 0) {
      return { satPerVb: this.options.fallbackFeeRate, source: 'fallback', targetBlocks, note: 'the Esplora server has no fee estimates' };
    }
    // The longest target that is not longer than asked; if every target is longer, the shortest.
    const chosen = [...targets].reverse().find((t) => t <= targetBlocks) ?? targets[0]!;
    return { satPerVb: satPerVbFloatToRate(estimates[String(chosen)]!, `GET /fee-estimates["${chosen}"]`), source: 'estimate', targetBlocks };
  }

  async testAccept(txHex: string): Promise<TestAcceptResult> {
    const txid = txidOfInput(txHex);
    return { status: 'unchecked', txid, note: 'Esplora has no mempool-acceptance check (testmempoolaccept); broadcast reports a refusal as TX_REJECTED' };
  }

  async broadcast(txHex: string): Promise<string> {
    const txid = txidOfInput(txHex);
    await this.checkNetwork();
    const deadline = Date.now() + this.options.timeoutMs;
    // Retried like the reads: the node behind Esplora answers a transaction it holds with its txid.
    const answer = await withRetries(deadline, this.retry, () => this.request('POST', '/tx', deadline, { body: txHex.toLowerCase() }));
    if (answer.status === 200) {
      const answered = parseResponse(HEX64, answer.text.trim(), 'POST /tx');
      if (answered !== txid) throw responseInvalid('POST /tx', `the server reports txid ${answered} for transaction ${txid}`);
      return txid;
    }
    if (answer.status === 400) {
      const refusal = parseBroadcastRefusal(answer.text);
      // -27: "Transaction outputs already in utxo set": it is confirmed already.
      if (refusal.code === -27 || /already in (the )?(utxo set|block ?chain)/i.test(refusal.message)) return txid;
      if (refusal.code === -22) throw new ConclaveError('TX_MALFORMED', `txHex: Esplora POST /tx: ${excerpt(refusal.message, 200)}`);
      const details: Record<string, unknown> = { reason: excerpt(refusal.message, 500) };
      if (refusal.code !== null) details.rpcCode = refusal.code;
      throw new ConclaveError('TX_REJECTED', `Esplora POST /tx: the node refused the transaction: ${excerpt(refusal.message, 300)}`, details);
    }
    throw this.statusError('POST /tx', answer);
  }

  private async checkNetwork(): Promise<void> {
    if (this.networkChecked) return;
    const actual = await this.network();
    if (actual !== this.options.network) {
      throw new ConclaveError('CHAIN_WRONG_NETWORK', `the Esplora server at ${this.root} is on ${actual}; the coordinator runs on ${this.options.network} (CONCLAVE_NETWORK)`, { expected: this.options.network, actual });
    }
    this.networkChecked = true;
  }

  private getText(path: string): Promise<string>;
  private getText(path: string, options: { notFound: true }): Promise<string | null>;
  private async getText(path: string, options: { notFound?: boolean } = {}): Promise<string | null> {
    const deadline = Date.now() + this.options.timeoutMs;
    const answer = await withRetries(deadline, this.retry, () => this.request('GET', path, deadline));
    if (answer.status === 404 && options.notFound) return null;
    if (answer.status !== 200) throw this.statusError(`GET ${path}`, answer);
    return answer.text;
  }

  private async getJson(path: string, options: { deadline?: number; signal?: AbortSignal } = {}): Promise<unknown> {
    const deadline = options.deadline ?? Date.now() + this.options.timeoutMs;
    const answer = await withRetries(deadline, this.retry, () => this.request('GET', path, deadline, { signal: options.signal }));
    if (answer.status !== 200) throw this.statusError(`GET ${path}`, answer);
    try {
      return JSON.parse(answer.text);
    } catch {
      throw responseInvalid(`GET ${path}`, 'the answer is not JSON');
    }
  }

  /** One exchange; statuses that another attempt may cure (5xx, 429) become retryable failures here. */
  private async request(method: 'GET' | 'POST', path: string, deadline: number, extra: { body?: string; signal?: AbortSignal } = {}): Promise<HttpAnswer> {
    const answer = await this.http.request({
      method,
      url: `${this.root}${path}`,
      headers: method === 'POST' ? { 'content-type': 'text/plain' } : undefined,
      body: extra.body,
      deadline,
      signal: extra.signal,
      what: `Esplora ${method} ${path}`,
    });
    if (answer.status >= 500 || answer.status === 429) {
      throw retryableUnavailable(`Esplora ${method} ${path}: HTTP ${answer.status} ${excerpt(answer.text, 120)}`.trim());
    }
    return answer;
  }

  private statusError(what: string, answer: HttpAnswer): ConclaveError {
    const text = excerpt(answer.text, 200);
    if (answer.status === 400 && /invalid network/i.test(answer.text)) {
      return new ConclaveError('CHAIN_WRONG_NETWORK', `Esplora ${what}: ${text} (the server is not on ${this.options.network})`);
    }
    if (answer.status === 404) {
      return new ConclaveError('CHAIN_REQUEST_REFUSED', `Esplora ${what}: HTTP 404 ${text}; is CONCLAVE_ESPLORA_URL the API root (e.g. https://mempool.space/api)?`, { httpStatus: 404 });
    }
    if (answer.status === 401 || answer.status === 403) {
      return new ConclaveError('CHAIN_UNAVAILABLE', `Esplora ${what}: HTTP ${answer.status} ${text}`);
    }
    return new ConclaveError('CHAIN_REQUEST_REFUSED', `Esplora ${what}: HTTP ${answer.status} ${text}`, { httpStatus: answer.status });
  }
}

/** The block of a confirmed status (both fields required), or null for an unconfirmed one. */
function confirmedBlock(status: TxStatus, where: string): { height: number; hash: string } | null {
  if (!status.confirmed) return null;
  if (status.block_height == null || status.block_hash == null) throw responseInvalid(where, 'confirmed without block_height and block_hash');
  return { height: status.block_height, hash: status.block_hash };
}
