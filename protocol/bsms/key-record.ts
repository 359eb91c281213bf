/**
 * BIP129 "Setup Process", Round 1, Signer: the key record.
 *
 *   BSMS 1.0
 *   TOKEN                           (hex, 00 without encryption)
 *   [fingerprint/path]KEY           (an XPUB, or a compressed public key, with its origin)
 *   DESCRIPTION                     (at most 80 characters)
 *   SIG                             (by the private key of KEY, over the first four lines)
 *
 * SIG is the legacy signed-message format (signed-message.ts) over the first four lines joined
 * by "\n". Other wallets often leave the SIG line out: such a record parses with
 * `signed: false`; a SIG that is present MUST verify, or the record is refused. A record is
 * only ever returned after that check, so an unverified signature cannot be mistaken for one.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { equalBytes } from '@noble/curves/utils.js';
import { ConclaveError } from '../errors';
import { EXTENDED_KEY_VERSIONS, parseKeyExpression, type KeyExpression } from '../descriptor';
import { recordError, recordLines, BSMS_VERSION } from './record-text';
import { recoverMessageSigner, signMessage } from './signed-message';
import { parseToken } from './token';

export const MAX_DESCRIPTION_LENGTH = 80;

export interface KeyRecordFields {
  /** The session token, canonical hex (`00` without encryption). */
  readonly token: string;
  /** `[fingerprint/path]xpub` or `[fingerprint/path]<33-byte hex public key>`. */
  readonly key: string;
  /** What the key is, for people; at most 80 characters, one line. */
  readonly description: string;
}

export interface KeyRecord extends KeyRecordFields {
  readonly version: typeof BSMS_VERSION;
  /** Master key fingerprint of the key origin, 8 lowercase hex characters. */
  readonly fingerprint: string;
  /** Origin path from the master key, hardened steps with HARDENED_OFFSET added. */
  readonly path: readonly number[];
  /** The KEY's compressed public key (the xpub's own key for an extended KEY). */
  readonly pubkey: Uint8Array;
  /** The base58 extended key, when KEY is one. */
  readonly xpub?: string;
  /** The SIG line, when present (and then verified). */
  readonly signature?: string;
  /** True when the record carried a SIG and it verified against KEY. */
  readonly signed: boolean;
}

const WHERE = 'bsms key record';
// C0 controls and DEL: a description is shown to people, and terminal escape sequences in it
// could redraw what they see.
const hasControl = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

function checkDescription(description: string): void {
  if (typeof description !== 'string') recordError(`${WHERE} line 4`, 'description must be text');
  const length = [...description].length;
  if (length > MAX_DESCRIPTION_LENGTH) recordError(`${WHERE} line 4`, `description is ${length} characters; at most ${MAX_DESCRIPTION_LENGTH}`);
  if (hasControl(description)) recordError(`${WHERE} line 4`, 'description contains control characters');
}

function keyError(message: string): never {
  throw new ConclaveError('KEY_INVALID', `${WHERE} line 3: ${message}`);
}

/** KEY as BIP129 allows it: a public xpub/tpub or compressed key, with origin, no derivation after it. */
function parseKey(text: string): { expr: KeyExpression; pubkey: Uint8Array; fingerprint: string; path: readonly number[] } {
  const expr = parseKeyExpression(text, { compressedOnly: true, xOnly: false }, `${WHERE} line 3`);
  if (!expr.origin) keyError('KEY needs its origin, [fingerprint/derivation path]');
  if (expr.type === 'const') {
    if (expr.isPrivate) keyError('is a private key; a key record holds a public key or xpub');
    return { expr, pubkey: expr.pubkey, fingerprint: expr.origin.fingerprint, path: expr.origin.path };
  }
  if (EXTENDED_KEY_VERSIONS[expr.kind].isPrivate) keyError('is a private extended key; a key record holds a public key or xpub');
  if (expr.steps.length > 0 || expr.wildcard !== 'none') keyError('KEY is the extended key itself; derivation steps after it belong in the descriptor');
  return { expr, pubkey: expr.hdkey.publicKey as Uint8Array, fingerprint: expr.origin.fingerprint, path: expr.origin.path };
}

function signedText(fields: KeyRecordFields): string {
  return [BSMS_VERSION, fields.token, fields.key, fields.description].join('\n');
}

function checkFields(fields: KeyRecordFields): ReturnType<typeof parseKey> {
  const { token } = parseToken(fields.token);
  if (token !== fields.token) recordError(`${WHERE} line 2`, 'token must be written in lowercase hex');
  checkDescription(fields.description);
  return parseKey(fields.key);
}

/** The record text, without trailing newline; with the SIG line when `signature` is given. */
export function formatKeyRecord(fields: KeyRecordFields, signature?: string): string {
  checkFields(fields);
  const text = signedText(fields);
  return signature === undefined ? text : `${text}\n${signature}`;
}

/**
 * The signed record: SIG by `privateKey`, which MUST be the private key of KEY (for an xpub,
 * the private key at the xpub's own path). Deterministic (RFC6979).
 */
export function signKeyRecord(fields: KeyRecordFields, privateKey: Uint8Array): string {
  const { pubkey } = checkFields(fields);
  let own: Uint8Array;
  try {
    own = secp256k1.getPublicKey(privateKey, true);
  } catch {
    throw new ConclaveError('KEY_INVALID', `${WHERE}: signing key is not a valid secp256k1 private key`);
  }
  if (!equalBytes(own, pubkey)) throw new ConclaveError('KEY_INVALID', `${WHERE}: the signing key is not the private key of KEY`);
  const text = signedText(fields);
  return `${text}\n${signMessage(text, privateKey)}`;
}

export interface ParseKeyRecordOptions {
  /** The session's token: the record's token line MUST equal it. */
  token?: string;
  /** Refuse a record without SIG (BSMS_SIGNATURE_INVALID). */
  requireSignature?: boolean;
}

/**
 * Parses a plaintext key record and verifies its SIG when present (BSMS_SIGNATURE_INVALID
 * when it is not by KEY). Malformed records are BSMS_RECORD_INVALID, bad keys KEY_INVALID.
 */
export function parseKeyRecord(text: string, options: ParseKeyRecordOptions = {}): KeyRecord {
  const lines = recordLines(text, WHERE, [4, 5]);
  const [, tokenLine, key, description, signature] = lines;
  let token: string;
  try {
    token = parseToken(tokenLine).token;
  } catch (e) {
    recordError(`${WHERE} line 2`, `not a token (${(e as Error).message})`);
  }
  if (options.token !== undefined && token !== parseToken(options.token).token) {
    recordError(`${WHERE} line 2`, 'the record is for another setup session (its token is not this session\'s)');
  }
  checkDescription(description);
  const parsed = parseKey(key);
  const base = {
    version: BSMS_VERSION, token, key, description, fingerprint: parsed.fingerprint, path: parsed.path, pubkey: parsed.pubkey,
    ...(parsed.expr.type === 'extended' ? { xpub: parsed.expr.text } : {}),
  } as const;
  if (signature === undefined) {
    if (options.requireSignature) throw new ConclaveError('BSMS_SIGNATURE_INVALID', `${WHERE}: has no SIG line, and this session requires one`);
    return { ...base, signed: false };
  }
  // The SIG covers the first four lines exactly as written (token line included).
  const recovered = recoverMessageSigner(lines.slice(0, 4).join('\n'), signature, `${WHERE} line 5`);
  if (!equalBytes(recovered, parsed.pubkey)) {
    throw new ConclaveError('BSMS_SIGNATURE_INVALID', `${WHERE} line 5: SIG is by another key than KEY; the record was altered or KEY was swapped`);
  }
  return { ...base, signature, signed: true };
}
