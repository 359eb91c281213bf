/**
 * ChainBackend over Bitcoin Core's JSON-RPC (HTTP POST, basic auth with rpcuser/rpcpassword or
 * the node's cookie file). Requests are legacy JSON-RPC "1.0", as bitcoin-cli and Core's own
 * help examples send them: Core then answers {result, error, id} with HTTP 200, or with HTTP 500
 * (404 for an unknown method) and an error object, as recorded from a real regtest node in
 * ../shared/vectors/bitcoin-core-regtest-rpc-transcript.json. (A "2.0" request gets 2.0-shaped
 * answers from Core 28 and later: errors with HTTP 200 and no `result` member.)
 *
 * Coins come from `scantxoutset` over the vault's ranged descriptors rather than a watch-only
 * descriptor wallet with `listunspent`: it needs no wallet on the node (-disablewallet nodes
 * work), no import or rescan state to keep in step with the coordinator's address table, and it
 * is what the recorded transcript exercises. Its limits: it sees confirmed coins only (the
 * UTXO set, not the mempool), Core runs one scan at a time, and on mainnet a scan reads the whole
 * UTXO set (minutes: CONCLAVE_CHAIN_SCAN_TIMEOUT_MS bounds it).
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import type {
  ChainBackend, ChainCapabilities, ChainTip, ChainTransaction, ChainUtxo, FeeEstimate, TestAcceptResult, UtxoSnapshot, WatchedChain,
} from './chain-backend';
import {
  HEIGHT, HEX, HEX64, btcPerKvbToRate, btcToSats, checkTargetBlocks, checkTransactionHex, checkTxid, networkOfCoreChain, parseResponse,
  responseInvalid, txidOfInput, watchedScriptsByHex,
} from './chain-values';
import { DEFAULT_RETRY, type RetryPolicy, HttpTransport, credentialFreeUrl, excerpt, retryableUnavailable, withRetries } from './http-transport';

export type CoreAuth = { user: string; password: string } | { cookieFile: string };

export interface BitcoinCoreClientOptions {
  /** The node's RPC root, e.g. http://127.0.0.1:18443 (no credentials in it). */
  url: string;
  auth: CoreAuth;
  /** The network the coordinator runs on: a node on another one is refused (CHAIN_WRONG_NETWORK). */
  network: NetworkName;
  /** Bound on each call, retries included. */
  timeoutMs: number;
  /** Bound on a UTXO-set scan. */
  scanTimeoutMs: number;
  /** sat/vB used when estimatesmartfee has no estimate. */
  fallbackFeeRate: string;
  retry?: RetryPolicy;
}

/** Bitcoin Core RPC error codes (src/rpc/protocol.h) this client treats specially. */
const RPC = {
  INVALID_ADDRESS_OR_KEY: -5, // getrawtransaction: no such transaction (or block)
  INVALID_PARAMETER: -8, // scantxoutset: "Scan already in progress"
  DESERIALIZATION_ERROR: -22, // TX decode failed
  VERIFY_ERROR: -25, // e.g. bad-txns-inputs-missingorspent
  VERIFY_REJECTED: -26, // mempool policy: min relay fee not met, insufficient fee for a replacement...
  VERIFY_ALREADY_IN_CHAIN: -27, // "Transaction outputs already in utxo set": confirmed already
  IN_WARMUP: -28,
  METHOD_NOT_FOUND: -32601,
} as const;

const rpcErrorSchema = z.object({ code: z.number().int(), message: z.string() });
const envelopeSchema = z.object({
  result: z.unknown(),
  error: rpcErrorSchema.nullable(),
  id: z.union([z.string(), z.number(), z.null()]),
});
type RpcError = z.infer<typeof rpcErrorSchema>;
type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: RpcError };

const blockchainInfoSchema = z.object({ chain: z.string().min(1), blocks: HEIGHT, bestblockhash: HEX64 });

const scanSchema = z.object({
  success: z.boolean(),
  height: HEIGHT,
  bestblock: HEX64,
  unspents: z.array(z.object({
    txid: HEX64,
    vout: z.number().int().min(0),
    scriptPubKey: HEX,
    amount: z.number(),
    coinbase: z.boolean(),
    height: HEIGHT,
    blockhash: HEX64.optional(),
    confirmations: z.number().int().min(1).optional(),
  })),
});

const rawTransactionSchema = z.object({
  txid: HEX64,
  hex: HEX,
  blockhash: HEX64.optional(),
  confirmations: z.number().int().min(0).optional(),
  in_active_chain: z.boolean().optional(),
});

const smartFeeSchema = z.object({
  feerate: z.number().positive().optional(),
  errors: z.array(z.string()).optional(),
  blocks: z.number().int().min(0),
});

const mempoolAcceptSchema = z.array(z.object({
  txid: HEX64,
  allowed: z.boolean(),
  vsize: z.number().int().positive().optional(),
  fees: z.object({ base: z.number() }).optional(),
  'reject-reason': z.string().optional(),
  'reject-details': z.string().optional(),
})).length(1);

export class BitcoinCoreClient implements ChainBackend {
  readonly kind = 'core' as const;
  readonly capabilities: ChainCapabilities = { testAccept: true, mempoolUtxos: false };
  private readonly options: Omit<BitcoinCoreClientOptions, 'auth'>;
  private readonly url: string;
  private readonly http: HttpTransport;
  private readonly retry: RetryPolicy;
  private nextId = 1;
  private networkChecked = false;
  // Private fields: util.inspect and JSON.stringify never show the credentials.
  #authHeader: string | null = null;
  readonly #auth: CoreAuth;

  constructor(options: BitcoinCoreClientOptions) {
    const { auth, ...rest } = options;
    this.options = rest;
    this.url = credentialFreeUrl(options.url, 'CONCLAVE_CORE_URL');
    this.http = new HttpTransport(this.url);
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.#auth = auth;
    if ('user' in auth) this.#authHeader = basic(auth.user, auth.password);
  }

  async close(): Promise<void> {
    this.http.close();
  }

  async network(): Promise<NetworkName> {
    const info = parseResponse(blockchainInfoSchema, await this.result('getblockchaininfo', []), 'getblockchaininfo');
    const network = networkOfCoreChain(info.chain);
    if (!network) throw new ConclaveError('CHAIN_WRONG_NETWORK', `Bitcoin Core at ${this.url} is on chain "${excerpt(info.chain, 40)}", which is no network Conclave knows`);
    return network;
  }

  async tip(): Promise<ChainTip> {
    await this.checkNetwork();
    // One call gives height and hash together: two calls could straddle a new block.
    const info = parseResponse(blockchainInfoSchema, await this.result('getblockchaininfo', []), 'getblockchaininfo');
    return { height: info.blocks, hash: info.bestblockhash };
  }

  async utxos(chains: readonly WatchedChain[]): Promise<UtxoSnapshot> {
    const watched = watchedScriptsByHex(chains, this.options.network);
    await this.checkNetwork();
    if (chains.length === 0) return { tip: await this.tip(), utxos: [] };
    // `range: n` scans indices 0..n inclusive (Core's ParseDescriptorRange), so n = count - 1.
    const scanObjects = chains.map((c) => ({ desc: c.descriptor, range: c.scripts.length - 1 }));
    const outcome = await this.call('scantxoutset', ['start', scanObjects], this.options.scanTimeoutMs);
    if (!outcome.ok) {
      if (outcome.error.code === RPC.INVALID_PARAMETER && /in progress/i.test(outcome.error.message)) {
        throw new ConclaveError('CHAIN_UNAVAILABLE', 'Bitcoin Core scantxoutset: another UTXO-set scan is running on the node; try again when it ends');
      }
      throw refused('scantxoutset', outcome.error);
    }
    const scan = parseResponse(scanSchema, outcome.result, 'scantxoutset');
    if (!scan.success) throw new ConclaveError('CHAIN_UNAVAILABLE', 'Bitcoin Core scantxoutset: the scan was aborted on the node; try again');
    const seen = new Set<string>();
    const utxos = scan.unspents.map((u, i): ChainUtxo => {
      const where = `scantxoutset.unspents[${i}]`;
      const script = watched.get(u.scriptPubKey);
      if (!script) throw responseInvalid(where, `a coin for script ${u.scriptPubKey}, which is not watched`);
      const outpoint = `${u.txid}:${u.vout}`;
      if (seen.has(outpoint)) throw responseInvalid(where, `${outpoint} is listed twice`);
      seen.add(outpoint);
      if (u.height > scan.height) throw responseInvalid(where, `coin height ${u.height} is above the scan height ${scan.height}`);
      const confirmations = scan.height - u.height + 1;
      if (u.confirmations !== undefined && u.confirmations !== confirmations) {
        throw responseInvalid(where, `${u.confirmations} confirmations at height ${u.height} with the tip at ${scan.height}`);
      }
      return {
        txid: u.txid, vout: u.vout, amount: btcToSats(u.amount, `${where}.amount`).toString(), scriptPubKey: script.scriptPubKey, address: script.address,
        confirmations, blockHeight: u.height, blockHash: u.blockhash ?? null, coinbase: u.coinbase,
      };
    });
    return { tip: { height: scan.height, hash: scan.bestblock }, utxos };
  }

  async transaction(txid: string, options: { blockHash?: string } = {}): Promise<ChainTransaction | null> {
    checkTxid(txid);
    if (options.blockHash !== undefined) checkTxid(options.blockHash, 'blockHash');
    await this.checkNetwork();
    const params = options.blockHash === undefined ? [txid, true] : [txid, true, options.blockHash];
    const outcome = await this.call('getrawtransaction', params);
    if (!outcome.ok) {
      // -5: not in the mempool nor (with -txindex, or in the given block) in the chain.
      if (outcome.error.code === RPC.INVALID_ADDRESS_OR_KEY) return null;
      throw refused('getrawtransaction', outcome.error);
    }
    const tx = parseResponse(rawTransactionSchema, outcome.result, 'getrawtransaction');
    if (tx.txid !== txid) throw responseInvalid('getrawtransaction.txid', `${tx.txid} answers a request for ${txid}`);
    checkTransactionHex(tx.hex, txid, 'getrawtransaction.hex');
    const inActiveChain = tx.blockhash !== undefined && tx.in_active_chain !== false;
    if (inActiveChain && !(tx.confirmations !== undefined && tx.confirmations >= 1)) {
      throw responseInvalid('getrawtransaction.confirmations', `a transaction in block ${tx.blockhash} needs at least one confirmation`);
    }
    return { txid, hex: tx.hex, confirmations: inActiveChain ? tx.confirmations! : 0, blockHash: inActiveChain ? tx.blockhash! : null };
  }

  async estimateFeeRate(targetBlocks: number): Promise<FeeEstimate> {
    checkTargetBlocks(targetBlocks);
    await this.checkNetwork();
    const estimate = parseResponse(smartFeeSchema, await this.result('estimatesmartfee', [targetBlocks]), 'estimatesmartfee');
    if (estimate.feerate !== undefined) {
      return { satPerVb: btcPerKvbToRate(estimate.feerate, 'estimatesmartfee.feerate'), source: 'estimate', targetBlocks };
    }
    // A young chain (or a node that just started) has no data: HTTP 200 with {"errors": [...]}.
    const note = estimate.errors?.length ? estimate.errors.map((e) => excerpt(e, 120)).join('; ') : 'no estimate';
    return { satPerVb: this.options.fallbackFeeRate, source: 'fallback', targetBlocks, note };
  }

  async testAccept(txHex: string): Promise<TestAcceptResult> {
    const txid = txidOfInput(txHex);
    await this.checkNetwork();
    const outcome = await this.call('testmempoolaccept', [[txHex.toLowerCase()]]);
    if (!outcome.ok) throw this.txError('testmempoolaccept', outcome.error);
    const [entry] = parseResponse(mempoolAcceptSchema, outcome.result, 'testmempoolaccept');
    if (entry!.txid !== txid) throw responseInvalid('testmempoolaccept[0].txid', `${entry!.txid} answers a check of ${txid}`);
    if (entry!.allowed) {
      if (entry!.vsize === undefined || entry!.fees === undefined) throw responseInvalid('testmempoolaccept[0]', 'an accepted transaction without vsize and fees');
      return { status: 'accepted', txid, vsize: entry!.vsize, feeSats: btcToSats(entry!.fees.base, 'testmempoolaccept[0].fees.base').toString() };
    }
    const reason = entry!['reject-reason'];
    if (reason === undefined) throw responseInvalid('testmempoolaccept[0]', 'a refusal without reject-reason');
    const details = entry!['reject-details'];
    return details === undefined ? { status: 'rejected', txid, reason } : { status: 'rejected', txid, reason, details };
  }

  async broadcast(txHex: string): Promise<string> {
    const txid = txidOfInput(txHex);
    await this.checkNetwork();
    // Retried like the reads: Core answers a transaction it already holds with its txid again.
    const outcome = await this.call('sendrawtransaction', [txHex.toLowerCase()]);
    if (!outcome.ok) {
      if (outcome.error.code === RPC.VERIFY_ALREADY_IN_CHAIN) return txid;
      throw this.txError('sendrawtransaction', outcome.error);
    }
    const answered = parseResponse(HEX64, outcome.result, 'sendrawtransaction');
    if (answered !== txid) throw responseInvalid('sendrawtransaction', `the node reports txid ${answered} for transaction ${txid}`);
    return txid;
  }

  private txError(method: string, error: RpcError): ConclaveError {
    if (error.code === RPC.DESERIALIZATION_ERROR) return new ConclaveError('TX_MALFORMED', `txHex: Bitcoin Core ${method}: ${excerpt(error.message, 200)}`);
    if (error.code === RPC.VERIFY_REJECTED || error.code === RPC.VERIFY_ERROR) {
      return new ConclaveError('TX_REJECTED', `Bitcoin Core ${method} refused the transaction: ${excerpt(error.message, 300)}`, { reason: error.message, rpcCode: error.code });
    }
    return refused(method, error);
  }

  private async checkNetwork(): Promise<void> {
    if (this.networkChecked) return;
    const actual = await this.network();
    if (actual !== this.options.network) {
      throw new ConclaveError('CHAIN_WRONG_NETWORK', `Bitcoin Core at ${this.url} is on ${actual}; the coordinator runs on ${this.options.network} (CONCLAVE_NETWORK)`, { expected: this.options.network, actual });
    }
    this.networkChecked = true;
  }

  private async result(method: string, params: unknown[]): Promise<unknown> {
    const outcome = await this.call(method, params);
    if (!outcome.ok) throw refused(method, outcome.error);
    return outcome.result;
  }

  /** One JSON-RPC call with retries; resolves with the node's result or its error object. */
  private call(method: string, params: unknown[], timeoutMs = this.options.timeoutMs): Promise<RpcOutcome> {
    const deadline = Date.now() + timeoutMs;
    return withRetries(deadline, this.retry, () => this.exchange(method, params, deadline, true));
  }

  private async exchange(method: string, params: unknown[], deadline: number, mayReloadCookie: boolean): Promise<RpcOutcome> {
    const what = `Bitcoin Core ${method}`;
    const id = this.nextId++;
    const answer = await this.http.request({
      method: 'POST',
      url: this.url,
      headers: { 'content-type': 'application/json', authorization: await this.authorization() },
      body: JSON.stringify({ jsonrpc: '1.0', id, method, params }),
      deadline,
      what,
    });
    if (answer.status === 401) {
      // The cookie changes each time the node starts: read it again once before giving up.
      if (mayReloadCookie && 'cookieFile' in this.#auth) {
        this.#authHeader = null;
        return this.exchange(method, params, deadline, false);
      }
      throw new ConclaveError('CHAIN_UNAVAILABLE', `${what}: the node refused the credentials (HTTP 401); check CONCLAVE_CORE_USER/CONCLAVE_CORE_PASSWORD or CONCLAVE_CORE_COOKIE_FILE`);
    }
    if (answer.status === 403) throw new ConclaveError('CHAIN_UNAVAILABLE', `${what}: the node forbids this client (HTTP 403); check its rpcallowip`);
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      if (answer.status >= 500 || answer.status === 429) throw retryableUnavailable(`${what}: HTTP ${answer.status} ${excerpt(answer.text, 120)}`.trim());
      if (answer.status === 200) throw new ConclaveError('CHAIN_RESPONSE_INVALID', `${what}: the answer is not JSON`);
      throw new ConclaveError('CHAIN_UNAVAILABLE', `${what}: HTTP ${answer.status} without a JSON-RPC answer; is CONCLAVE_CORE_URL the node's RPC address?`);
    }
    const envelope = parseResponse(envelopeSchema, body, method);
    if (envelope.id !== id) throw responseInvalid(method, `the answer is for request id ${JSON.stringify(envelope.id)}, not ${id}`);
    if (envelope.error) {
      if (envelope.error.code === RPC.IN_WARMUP) throw retryableUnavailable(`${what}: the node is starting (${excerpt(envelope.error.message, 120)})`);
      const expected = envelope.error.code === RPC.METHOD_NOT_FOUND ? [404, 500] : [500];
      if (!expected.includes(answer.status) && answer.status !== 200) throw responseInvalid(method, `HTTP ${answer.status} for an error answer`);
      return { ok: false, error: envelope.error };
    }
    if (answer.status !== 200) {
      if (answer.status >= 500) throw retryableUnavailable(`${what}: HTTP ${answer.status}`);
      throw responseInvalid(method, `HTTP ${answer.status} without an error object`);
    }
    return { ok: true, result: envelope.result };
  }

  private async authorization(): Promise<string> {
    if (this.#authHeader) return this.#authHeader;
    const auth = this.#auth;
    if (!('cookieFile' in auth)) throw new Error('unreachable: user/password auth has its header from the start');
    let text: string;
    try {
      text = await readFile(auth.cookieFile, 'utf8');
    } catch (error) {
      throw retryableUnavailable(`Bitcoin Core: cannot read the cookie file (CONCLAVE_CORE_COOKIE_FILE) ${auth.cookieFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}; is the node running?`);
    }
    const line = text.trim();
    const colon = line.indexOf(':');
    if (colon <= 0 || /[\r\n]/.test(line)) throw new ConclaveError('CHAIN_UNAVAILABLE', `Bitcoin Core: the cookie file ${auth.cookieFile} does not hold user:password`);
    this.#authHeader = basic(line.slice(0, colon), line.slice(colon + 1));
    return this.#authHeader;
  }
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

function refused(method: string, error: RpcError): ConclaveError {
  const hint = error.code === RPC.METHOD_NOT_FOUND ? ' (the node does not offer this method: too old, or built without it?)' : '';
  return new ConclaveError('CHAIN_REQUEST_REFUSED', `Bitcoin Core ${method}: error ${error.code}: ${excerpt(error.message, 200)}${hint}`, { rpcCode: error.code, rpcMessage: excerpt(error.message, 300) });
}
