/**
 * What the coordinator asks of the Bitcoin network (DESIGN.md, "Chain access"), behind one
 * interface with two implementations: Bitcoin Core JSON-RPC (bitcoin-core-client.ts) and
 * Esplora REST (esplora-client.ts). Offline mode has no backend at all (createChainBackend
 * returns null): coins are imported from funding transactions, final transactions exported.
 *
 * Contracts every implementation keeps:
 * - Every answer is validated before it is returned: a wrong shape, a field out of range or a
 *   transaction whose bytes do not hash to the txid asked for is CHAIN_RESPONSE_INVALID, never
 *   a crash and never a value passed on unchecked.
 * - Failures are ConclaveErrors with stable codes: CHAIN_UNAVAILABLE (time-out, refused
 *   connection, 5xx, credentials refused, node warming up: try again later),
 *   CHAIN_RESPONSE_INVALID, CHAIN_REQUEST_REFUSED (the backend's own error, code and message
 *   in details), CHAIN_WRONG_NETWORK, TX_REJECTED (details.reason: the node's reject reason),
 *   TX_MALFORMED (hex that is not a transaction; nothing is sent).
 * - Each call settles within the configured time-out (CONCLAVE_CHAIN_TIMEOUT_MS), retries
 *   included; nothing is left running after it settles.
 * - Amounts are integer satoshis as decimal strings; fee rates are sat/vB as decimal strings
 *   with at most three decimals, the form intents carry (protocol/intent/fee-rate.ts).
 */
import type { NetworkName } from '../../protocol/network';

export type ChainBackendKind = 'core' | 'esplora';

export interface ChainTip {
  height: number;
  /** Block hash, hex as block explorers show it. */
  hash: string;
}

/** One output script the caller watches, as its address table holds it. */
export interface WatchedScript {
  address: string;
  /** Hex. */
  scriptPubKey: string;
}

/**
 * One derivation chain of a vault (receive `/0/*` or change `/1/*`), watched at indices
 * 0 .. scripts.length - 1 (the used ones plus the gap limit).
 */
export interface WatchedChain {
  /** The single-path ranged descriptor with its checksum (protocol singlePathDescriptors). */
  descriptor: string;
  /**
   * Its outputs at indices 0, 1, 2, ... in order, all of them: Core scans the descriptor over
   * this range in one pass, Esplora asks for each address. Either way, a coin reported for a
   * script outside this list is refused as CHAIN_RESPONSE_INVALID.
   */
  scripts: readonly WatchedScript[];
}

export interface ChainUtxo {
  txid: string;
  vout: number;
  /** Satoshis, decimal string. */
  amount: string;
  /** The watched script (and its address) the coin pays. */
  scriptPubKey: string;
  address: string;
  /** 0 for a coin of an unconfirmed transaction (only Esplora reports those, see capabilities). */
  confirmations: number;
  blockHeight: number | null;
  blockHash: string | null;
  /**
   * True for a coinbase output, spendable only once it has 100 confirmations; null when the
   * backend does not say (Esplora), in which case the caller looks at the funding transaction.
   */
  coinbase: boolean | null;
}

export interface UtxoSnapshot {
  /** The chain tip the confirmations are counted against. */
  tip: ChainTip;
  utxos: ChainUtxo[];
}

export interface ChainTransaction {
  txid: string;
  /** Raw transaction hex; it hashes to `txid` (checked). */
  hex: string;
  /** 0 when the transaction is not in the active chain (in the mempool, or only in a stale block). */
  confirmations: number;
  /** The block of the active chain holding it, or null. */
  blockHash: string | null;
}

export interface FeeEstimate {
  /** sat/vB, decimal string with at most three decimals. */
  satPerVb: string;
  /** 'fallback' when the backend had no estimate (a young chain, an empty estimates map): CONCLAVE_FALLBACK_FEE_RATE. */
  source: 'estimate' | 'fallback';
  /** The confirmation target asked for. */
  targetBlocks: number;
  /** For a fallback, what the backend said (e.g. "Insufficient data or no feerate found"). */
  note?: string;
}

/**
 * The outcome of a mempool-acceptance check. `unchecked` is the answer of a backend that
 * cannot check (Esplora has no testmempoolaccept): the caller goes on to broadcast, whose own
 * refusal is a TX_REJECTED with the same kind of reason.
 */
export type TestAcceptResult =
  | { status: 'accepted'; txid: string; vsize: number; feeSats: string }
  | { status: 'rejected'; txid: string; reason: string; details?: string }
  | { status: 'unchecked'; txid: string; note: string };

export interface ChainCapabilities {
  /** testAccept really asks the node (Core) rather than answering `unchecked` (Esplora). */
  testAccept: boolean;
  /**
   * utxos includes coins of unconfirmed transactions and leaves out coins that unconfirmed
   * transactions spend (Esplora); Core's scan of the UTXO set sees confirmed coins only.
   */
  mempoolUtxos: boolean;
}

export interface ChainBackend {
  readonly kind: ChainBackendKind;
  readonly capabilities: ChainCapabilities;

  /** The network the backend is on. Call it at start-up (connectChainBackend) and refuse a mismatch. */
  network(): Promise<NetworkName>;

  tip(): Promise<ChainTip>;

  /** The unspent coins paying the watched scripts, with confirmations counted against the returned tip. */
  utxos(chains: readonly WatchedChain[]): Promise<UtxoSnapshot>;

  /**
   * A transaction by txid, or null when the backend does not know it (never broadcast,
   * replaced, dropped, or reorganized out and not back in the mempool). `blockHash` helps a
   * Core node without -txindex find a confirmed transaction.
   */
  transaction(txid: string, options?: { blockHash?: string }): Promise<ChainTransaction | null>;

  /** A fee rate to confirm within `targetBlocks` blocks (1..1008); the caller applies its own floor and caps. */
  estimateFeeRate(targetBlocks: number): Promise<FeeEstimate>;

  /** Would the node's mempool accept this fully signed transaction now? Nothing is broadcast. */
  testAccept(txHex: string): Promise<TestAcceptResult>;

  /**
   * Broadcasts a fully signed transaction and returns its txid. Idempotent: a transaction the
   * node already holds (in its mempool, or confirmed with outputs unspent) is a success with
   * the same txid, so a broadcast may be retried after a crash or a time-out. A refusal is
   * TX_REJECTED; when its reason is `bad-txns-inputs-missingorspent`, the caller checks
   * transaction(txid): the coins may have been spent by this very transaction, since confirmed.
   */
  broadcast(txHex: string): Promise<string>;

  /** Releases idle connections (at shutdown). */
  close(): Promise<void>;
}
