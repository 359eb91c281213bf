/**
 * RFC 8785 JSON Canonicalization Scheme for everything Conclave signs or hashes.
 * The `canonicalize` package implements the RFC (key ordering by UTF-16 code units,
 * ECMAScript number serialization); we only refuse values JSON cannot carry exactly.
 */
import canonicalizeImport from 'canonicalize';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { ConclaveError } from './errors';

// The package is ESM with a default export; under CommonJS interop it may arrive wrapped.
const canonicalize: (value: unknown) => string | undefined =
  typeof canonicalizeImport === 'function'
    ? canonicalizeImport
    : (canonicalizeImport as unknown as { default: (value: unknown) => string | undefined }).default;

// RFC 8785 section 3.1 requires I-JSON input, whose strings and keys MUST NOT hold lone surrogates
// (RFC 7493 section 2.1). With the u flag, \p{Cs} matches only a surrogate that is not part of a pair.
const LONE_SURROGATE = /\p{Cs}/u;

function assertJsonSafe(value: unknown, path: string): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) throw new ConclaveError('VALIDATION_FAILED', `${path}: a string with a lone surrogate cannot be signed`);
    return;
  }
  if (typeof value === 'number') {
    // Amounts travel as decimal strings; a non-integer or unsafe number is a bug upstream.
    if (!Number.isSafeInteger(value)) {
      throw new ConclaveError('VALIDATION_FAILED', `${path}: only safe integers may be signed as numbers`);
    }
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertJsonSafe(item, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object') {
    // Only plain objects: a Map or Set would serialize as {} and a class's toJSON would skip
    // these checks, so what is signed would not be what the caller meant.
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) {
      throw new ConclaveError('VALIDATION_FAILED', `${path}: only plain objects and arrays can be signed`);
    }
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      if (LONE_SURROGATE.test(key)) throw new ConclaveError('VALIDATION_FAILED', `${path}: key ${JSON.stringify(key)} has a lone surrogate`);
      if (item === undefined) throw new ConclaveError('VALIDATION_FAILED', `${path}.${key}: undefined cannot be signed`);
      assertJsonSafe(item, `${path}.${key}`);
    }
    return;
  }
  throw new ConclaveError('VALIDATION_FAILED', `${path}: a ${typeof value} cannot be signed`);
}

export function canonicalJson(value: unknown): string {
  assertJsonSafe(value, '$');
  const text = canonicalize(value);
  if (text === undefined) throw new ConclaveError('VALIDATION_FAILED', '$: value cannot be canonicalized');
  return text;
}

export function canonicalBytes(value: unknown): Uint8Array {
  return utf8ToBytes(canonicalJson(value));
}
