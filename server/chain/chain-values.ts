/**
 * Checking and converting what chain backends answer: response shapes (zod), BTC amounts to
 * satoshis, fee rates to the sat/vB strings intents carry, transactions to their txids, and
 * the genesis block hashes and chain names that tell the networks apart.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { z } from 'zod';
import { addressToScript } from '../../protocol/address';
import { MAX_MONEY_SATS } from '../../protocol/amounts';
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import type { WatchedChain, WatchedScript } from './chain-backend';

export const HEX64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
export const HEX = z.string().regex(/^(?:[0-9a-f]{2})+$/, 'expected lowercase hex bytes');
export const HEIGHT = z.number().int().min(0).max(2 ** 31 - 1);

export function responseInvalid(where: string, message: string, details?: Record<string, unknown>): ConclaveError {
  return new ConclaveError('CHAIN_RESPONSE_INVALID', `${where}: ${message}`, details);
}

/** Parses a backend answer with `schema`, or fails with CHAIN_RESPONSE_INVALID naming each wrong field. */
export function parseResponse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 5).map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`);
  throw new ConclaveError('CHAIN_RESPONSE_INVALID', `unexpected answer: ${issues.join('; ')}`, { issues });
}

/**
 * A BTC amount as Core writes it (a JSON number with at most 8 decimals) in satoshis. toFixed(8)
 * rounds the double to the nearest 8-decimal value; it must read back as the same double, or
 * the number had more precision than satoshis (or was no amount at all).
 */
export function btcToSats(value: number, where: string): bigint {
  if (!Number.isFinite(value) || value < 0) throw responseInvalid(where, `${value} is not a BTC amount`);
  const fixed = value.toFixed(8);
  if (Number(fixed) !== value) throw responseInvalid(where, `${value} BTC is not a whole number of satoshis`);
  const [whole, frac] = fixed.split('.') as [string, string];
  const sats = BigInt(whole) * 100_000_000n + BigInt(frac);
  if (sats > MAX_MONEY_SATS) throw responseInvalid(where, `${value} BTC is more than 21 million`);
  return sats;
}

/** Largest rate protocol/intent/fee-rate.ts can carry: 7 integer digits, 3 decimals. */
const MAX_MSAT_PER_VB = 9_999_999_999n;

/** Millisatoshis per vbyte (= satoshis per kvB) as the sat/vB decimal string intents carry: 1500n -> "1.5". */
export function msatPerVbToRate(msat: bigint, where: string): string {
  if (msat <= 0n || msat > MAX_MSAT_PER_VB) throw responseInvalid(where, `a fee rate of ${msat} msat/vB is out of range`);
  const whole = msat / 1000n;
  const frac = (msat % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return frac === '' ? whole.toString() : `${whole}.${frac}`;
}

/**
 * Core's estimatesmartfee `feerate` is BTC per kvB: as satoshis it is sat/kvB, which is exactly
 * msat/vB, so the conversion is exact.
 */
export function btcPerKvbToRate(feerate: number, where: string): string {
  return msatPerVbToRate(btcToSats(feerate, where), where);
}

/**
 * Esplora's sat/vB floats (87.882, 1.027, ...) rounded UP to the next msat/vB, so an estimate
 * is never lowered by the conversion; the 1e-6 slack absorbs the float error of the product.
 */
export function satPerVbFloatToRate(value: number, where: string): string {
  if (!Number.isFinite(value) || value <= 0) throw responseInvalid(where, `${value} is not a fee rate`);
  const msat = Math.ceil(value * 1000 - 1e-6);
  if (!Number.isSafeInteger(msat)) throw responseInvalid(where, `${value} sat/vB is out of range`);
  return msatPerVbToRate(BigInt(msat), where);
}

function decodeTransaction(hex: string): Transaction | null {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return null;
  try {
    return Transaction.fromRaw(hexToBytes(hex), { allowUnknownOutputs: true, allowUnknownInputs: true, disableScriptCheck: true });
  } catch {
    return null;
  }
}

/** The txid of a transaction the caller hands in (to broadcast or check): TX_MALFORMED when it is not one, and nothing is sent. */
export function txidOfInput(hex: string, field = 'txHex'): string {
  const tx = typeof hex === 'string' ? decodeTransaction(hex) : null;
  if (!tx) throw new ConclaveError('TX_MALFORMED', `${field}: not a raw transaction in hex`);
  return tx.id;
}

/** Checks that transaction bytes a backend returned are a transaction with the txid asked for. */
export function checkTransactionHex(hex: string, txid: string, where: string): void {
  const tx = decodeTransaction(hex);
  if (!tx) throw responseInvalid(where, 'not a raw transaction');
  if (tx.id !== txid) throw responseInvalid(where, `the transaction returned is ${tx.id}, not ${txid}`);
}

/** getblockchaininfo `chain` values; testnet3 and testnet4 are both Conclave's `testnet`. */
const CORE_CHAINS: Record<string, NetworkName> = { main: 'mainnet', test: 'testnet', testnet4: 'testnet', signet: 'signet', regtest: 'regtest' };

export function networkOfCoreChain(chain: string): NetworkName | null {
  return Object.prototype.hasOwnProperty.call(CORE_CHAINS, chain) ? CORE_CHAINS[chain]! : null;
}

/**
 * Genesis block hashes. Every signet shares one genesis block (they differ by the block-signing
 * challenge), so this tells signet from the others but not one signet from another.
 */
export const GENESIS_HASHES: Record<string, NetworkName> = {
  '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f': 'mainnet',
  '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943': 'testnet', // testnet3
  '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043': 'testnet', // testnet4 (BIP94)
  '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6': 'signet',
  '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206': 'regtest',
};

export function networkOfGenesis(hash: string): NetworkName | null {
  return Object.prototype.hasOwnProperty.call(GENESIS_HASHES, hash) ? GENESIS_HASHES[hash]! : null;
}

/** Confirmations of a coin or transaction in block `height` when the tip is `tipHeight`: at least 1 once in a block. */
export function confirmationsAt(tipHeight: number, height: number): number {
  return Math.max(1, tipHeight - height + 1);
}

/** A confirmation target as Core takes it (1..1008 blocks). */
export function checkTargetBlocks(targetBlocks: number): void {
  if (!Number.isInteger(targetBlocks) || targetBlocks < 1 || targetBlocks > 1008) {
    throw new ConclaveError('VALIDATION_FAILED', `targetBlocks: expected an integer from 1 to 1008, got ${targetBlocks}`);
  }
}

export function checkTxid(txid: string, field = 'txid'): void {
  if (typeof txid !== 'string' || !/^[0-9a-f]{64}$/.test(txid)) throw new ConclaveError('VALIDATION_FAILED', `${field}: expected 64 lowercase hex digits`);
}

/**
 * Checks what a caller asks to watch: every address must pay exactly its scriptPubKey on this
 * network, and no script may appear twice. Returns the scripts by scriptPubKey, against which
 * every coin a backend reports is matched.
 */
export function watchedScriptsByHex(chains: readonly WatchedChain[], network: NetworkName): Map<string, WatchedScript> {
  const byHex = new Map<string, WatchedScript>();
  chains.forEach((chain, c) => {
    const where = `chains[${c}]`;
    if (typeof chain.descriptor !== 'string' || !/^[\x21-\x7e]+#[a-z0-9]{8}$/.test(chain.descriptor)) {
      throw new ConclaveError('VALIDATION_FAILED', `${where}.descriptor: expected a descriptor with its checksum`);
    }
    if (!Array.isArray(chain.scripts) || chain.scripts.length < 1 || chain.scripts.length > MAX_WATCHED_PER_CHAIN) {
      throw new ConclaveError('VALIDATION_FAILED', `${where}.scripts: expected 1 to ${MAX_WATCHED_PER_CHAIN} scripts`);
    }
    chain.scripts.forEach((s, i) => {
      const field = `${where}.scripts[${i}]`;
      if (typeof s.scriptPubKey !== 'string' || !/^(?:[0-9a-f]{2}){1,100}$/.test(s.scriptPubKey)) {
        throw new ConclaveError('VALIDATION_FAILED', `${field}.scriptPubKey: expected lowercase hex`);
      }
      const script = bytesToHex(addressToScript(s.address, network, `${field}.address`));
      if (script !== s.scriptPubKey) throw new ConclaveError('VALIDATION_FAILED', `${field}: ${s.address} does not pay scriptPubKey ${s.scriptPubKey}`);
      if (byHex.has(script)) throw new ConclaveError('VALIDATION_FAILED', `${field}: ${s.address} is watched twice`);
      byHex.set(script, { address: s.address, scriptPubKey: script });
    });
  });
  return byHex;
}

/** One vault chain watched at up to this many indices (used ones plus the gap limit). */
export const MAX_WATCHED_PER_CHAIN = 10_000;
