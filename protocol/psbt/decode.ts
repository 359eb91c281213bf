/**
 * Strict decoding of untrusted PSBT bytes (BIP174, version 0 only). @scure/btc-signer is the
 * parser: against Bitcoin Core's rpc_psbt.json it rejects every PSBT Core rejects (STACK.md).
 * Version 2 (BIP370) is refused as such: other wallets may send one, and they deserve to be told
 * why, not "malformed". Every failure is a ConclaveError with a stable code, never a raw
 * exception, because the bytes come from the coordinator, which may be hostile.
 */
import { base64 } from '@scure/base';
import { Transaction } from '@scure/btc-signer/transaction.js';
import { ConclaveError } from '../errors';
import { type Prevout, verifyPrevouts } from './prevout';
import { type RawPsbt, decodeRawPsbtV0, encodeRawPsbtV0, txidOf } from './raw';

/**
 * Largest PSBT accepted. Each input carries its full previous transaction, so a PSBT grows with
 * the size of the transactions that funded the vault; 16 MiB holds hundreds of inputs funded by
 * large transactions while bounding the memory a hostile sender can make us spend.
 */
export const MAX_PSBT_BYTES = 16 * 1024 * 1024;
const MAGIC = [0x70, 0x73, 0x62, 0x74, 0xff]; // "psbt" 0xff

/** A PSBT that passed `decodePsbt`, with the spent outputs already checked against their outpoints. */
export interface DecodedPsbt {
  readonly raw: RawPsbt;
  readonly unsignedTxid: string;
  /** Per input: the spent output (see prevout.ts), or null when the PSBT gives none. */
  readonly prevouts: ReadonlyArray<Prevout | null>;
}

/** Base64 text, raw bytes, or an already decoded PSBT (so callers decode once per request). */
export type PsbtLike = string | Uint8Array | DecodedPsbt;

export interface DecodeOptions {
  maxBytes?: number;
}

// Only objects made by decodePsbt count as decoded: a hand-built structure never skips the checks.
const validated = new WeakSet<DecodedPsbt>();

export function decodePsbt(input: string | Uint8Array, options: DecodeOptions = {}): DecodedPsbt {
  const maxBytes = options.maxBytes ?? MAX_PSBT_BYTES;
  const bytes = toBytes(input, maxBytes);
  if (bytes.length > maxBytes) throw malformed(`larger than ${maxBytes} bytes`);
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) throw malformed('missing the "psbt" magic bytes');

  const version = declaredVersion(bytes);
  if (version !== undefined && version !== 0) {
    throw new ConclaveError('PSBT_UNSUPPORTED_VERSION', `psbt: only PSBT version 0 is supported (this is version ${version})`);
  }
  let raw: RawPsbt;
  try {
    raw = decodeRawPsbtV0(bytes);
  } catch (error) {
    throw malformed(reason(error));
  }
  if (raw.global.version !== undefined && raw.global.version !== 0) {
    throw new ConclaveError('PSBT_UNSUPPORTED_VERSION', `psbt: only PSBT version 0 is supported (this is version ${raw.global.version})`);
  }
  const prevouts = verifyPrevouts(raw);
  try {
    // scure's transaction-level checks on top of the map coder: scripts match the scripts they
    // hash to (redeem/witness), locktime fields, taproot fields. The object itself is not kept.
    Transaction.fromPSBT(bytes);
  } catch (error) {
    throw malformed(reason(error));
  }
  const decoded: DecodedPsbt = Object.freeze({ raw, unsignedTxid: txidOf(raw.global.unsignedTx), prevouts: Object.freeze(prevouts) });
  validated.add(decoded);
  return decoded;
}

export function resolvePsbt(psbt: PsbtLike): DecodedPsbt {
  if (typeof psbt === 'string' || psbt instanceof Uint8Array) return decodePsbt(psbt);
  if (!validated.has(psbt)) throw new TypeError('psbt: expected base64, bytes or the result of decodePsbt');
  return psbt;
}

export function encodePsbt(raw: RawPsbt): string {
  return base64.encode(encodeRawPsbtV0(raw));
}

function toBytes(input: unknown, maxBytes: number): Uint8Array {
  // A copy: the decoded maps may be views into these bytes, and the caller may reuse its buffer.
  if (input instanceof Uint8Array) return input.slice();
  if (typeof input !== 'string') throw malformed('expected base64 text or bytes');
  // Checked before decoding so an oversized string costs nothing to refuse.
  if (input.length > Math.ceil(maxBytes / 3) * 4) throw malformed(`larger than ${maxBytes} bytes`);
  try {
    return base64.decode(input);
  } catch (error) {
    throw malformed(`not valid base64 (${reason(error)})`);
  }
}

/**
 * PSBT_GLOBAL_VERSION (key type 0xfb) when the global map declares one. Read before the strict
 * decode so that a version 2 PSBT, valid or not, is refused as unsupported: the v0 decoder would
 * only say that the unsigned transaction is missing. A walk over the global map's key-value
 * framing (BIP174: <compact size keylen><key><compact size valuelen><value>, 0x00 ends the map);
 * anything it cannot follow returns undefined and is left to the strict decoder.
 */
function declaredVersion(bytes: Uint8Array): number | undefined {
  let pos = MAGIC.length;
  const compactSize = (): number | undefined => {
    const first = bytes[pos];
    if (first === undefined) return undefined;
    const width = first < 0xfd ? 0 : first === 0xfd ? 2 : first === 0xfe ? 4 : 8;
    if (width === 8 || pos + 1 + width > bytes.length) return undefined;
    let value = width === 0 ? first : 0;
    for (let k = width; k >= 1; k--) value = value * 256 + bytes[pos + k];
    pos += 1 + width;
    return value;
  };
  for (;;) {
    const keyLength = compactSize();
    if (keyLength === undefined || keyLength === 0) return undefined;
    const keyStart = pos;
    pos += keyLength;
    const valueLength = compactSize();
    if (valueLength === undefined || pos + valueLength > bytes.length) return undefined;
    if (keyLength === 1 && bytes[keyStart] === 0xfb && valueLength === 4) {
      return (bytes[pos] | (bytes[pos + 1] << 8) | (bytes[pos + 2] << 16) | (bytes[pos + 3] << 24)) >>> 0;
    }
    pos += valueLength;
  }
}

function malformed(why: string): ConclaveError {
  return new ConclaveError('PSBT_MALFORMED', `psbt: ${why}`);
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
