/**
 * What the two offline documents (the signing-request bundle and the signer's response) share:
 * reading them from a file (JSON text, or UR parts one per line), telling a file cut short from
 * one that is not ours, and the content hash each carries.
 *
 * The hash is a tagged SHA-256 over the canonical JSON (RFC 8785) of every field but `hash`. It
 * catches a file cut, corrupted or edited on the way; it authenticates nothing: whoever builds a
 * bundle can hash it. What makes an offline signature safe is what makes an online one safe:
 * the offline signer verifies the withdrawal itself against what it pinned (verifyWithdrawalForSigning)
 * and each statement in a response is signed by the keyholder's identity key.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalBytes } from '../../protocol/canonical-json';
import { type ErrorCode, ConclaveError } from '../../protocol/errors';
import { taggedHashHex } from '../../protocol/hashing';
import { decodeUrParts, looksLikeUrParts } from './ur-codec';

/** PSBTs with full previous transactions can be large; this bounds what is read and parsed. */
export const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

export interface DocumentCodes { invalid: ErrorCode; truncated: ErrorCode }

export function contentHash(tag: string, document: Record<string, unknown>): string {
  const { hash: _hash, ...content } = document;
  return taggedHashHex(tag, canonicalBytes(content));
}

/** The raw text of a document file: JSON, or UR parts one per line (documentText decodes them). */
export function readDocumentFile(path: string, what: string, codes: DocumentCodes): string {
  if (!existsSync(path)) throw new ConclaveError('VALIDATION_FAILED', `${what}: no file at ${path}`);
  // UR parts as text take about twice the bytes they carry.
  if (statSync(path).size > MAX_DOCUMENT_BYTES * 3) throw new ConclaveError(codes.invalid, `${what}: ${path} is larger than any ${what} can be`);
  return readFileSync(path, 'utf8');
}

/** A document's JSON text, decoding UR parts (one per line) when the text holds them. */
export function documentText(text: string, what: string, codes: DocumentCodes): string {
  if (!looksLikeUrParts(text)) return text;
  return new TextDecoder('utf-8', { fatal: false }).decode(decodeUrParts(text, what, codes));
}

/**
 * Parses the JSON of a document. A text that does not end where a JSON object ends was cut
 * short (a partial copy): TRUNCATED; anything else that does not parse is not ours: INVALID.
 */
export function parseDocumentJson(text: string, what: string, codes: DocumentCodes): Record<string, unknown> {
  if (utf8ToBytes(text).length > MAX_DOCUMENT_BYTES) throw new ConclaveError(codes.invalid, `${what}: larger than ${MAX_DOCUMENT_BYTES} bytes`);
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new ConclaveError(codes.truncated, `${what}: the file is empty`);
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    if (trimmed.startsWith('{') && !trimmed.endsWith('}')) {
      throw new ConclaveError(codes.truncated, `${what}: the JSON ends early (${(error as Error).message}); the file was cut short`);
    }
    throw new ConclaveError(codes.invalid, `${what}: not JSON (${(error as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConclaveError(codes.invalid, `${what}: not a JSON object`);
  return value as Record<string, unknown>;
}

/** Format tag, version and hash, checked before anything else is read from a document. */
export function checkEnvelopeFields(doc: Record<string, unknown>, expected: { format: string; version: number; tag: string }, what: string, codes: DocumentCodes): void {
  if (doc.format !== expected.format) {
    throw new ConclaveError(codes.invalid, `${what}: format ${JSON.stringify(doc.format ?? null)}, expected ${expected.format}`);
  }
  if (doc.v !== expected.version) {
    throw new ConclaveError(codes.invalid, `${what}: version ${JSON.stringify(doc.v ?? null)} is not supported (this signer reads version ${expected.version})`);
  }
  if (typeof doc.hash !== 'string' || !/^[0-9a-f]{64}$/.test(doc.hash)) throw new ConclaveError(codes.invalid, `${what}: no content hash`);
  let actual: string;
  try {
    actual = contentHash(expected.tag, doc);
  } catch (error) {
    throw new ConclaveError(codes.invalid, `${what}: content cannot be hashed (${(error as Error).message})`);
  }
  if (actual !== doc.hash) {
    throw new ConclaveError(codes.invalid, `${what}: content hash ${actual} differs from the recorded ${doc.hash}: the content was altered or damaged`);
  }
}

/** JSON text of a document with its hash set, one line plus a newline. */
export function serializeDocument(tag: string, content: Record<string, unknown>): string {
  const withHash = { ...content, hash: contentHash(tag, content) };
  return `${JSON.stringify(withHash)}\n`;
}
