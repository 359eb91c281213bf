/**
 * BIP380 key expressions, with BIP389 multipath steps: `[fingerprint/origin/path]KEY/path/*`.
 * KEY is a hex public key (33 bytes, or 65 uncompressed; 32-byte x-only inside tr(), BIP386),
 * a WIF private key, or a BIP32 extended key (xpub, xprv, tpub, tprv).
 *
 * A parsed key keeps the text as written (hardened markers `'` or `h`), so a multipath
 * expansion prints exactly what was given; derivation is a separate step.
 * Error messages name the key's position and never echo key material, which may be private.
 */
import { HDKey, HARDENED_OFFSET } from '@scure/bip32';
import { createBase58check } from '@scure/base';
import { sha256 } from '@noble/hashes/sha2.js';
import { secp256k1, schnorr } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE } from '@noble/curves/utils.js';
import { ConclaveError } from '../errors';

const base58check = createBase58check(sha256);

/** BIP32 version bytes of the extended keys descriptors accept (xpub/xprv, tpub/tprv). */
export const EXTENDED_KEY_VERSIONS = {
  xpub: { version: 0x0488b21e, isPrivate: false, isTestnet: false },
  xprv: { version: 0x0488ade4, isPrivate: true, isTestnet: false },
  tpub: { version: 0x043587cf, isPrivate: false, isTestnet: true },
  tprv: { version: 0x04358394, isPrivate: true, isTestnet: true },
} as const;
export type ExtendedKeyKind = keyof typeof EXTENDED_KEY_VERSIONS;

const MAX_UNHARDENED = 0x7fffffff;

/** One `/`-separated derivation step, as written and as child numbers. */
export interface PathStep {
  /** One entry per alternative: ['0'], or ['0', '1'] for the BIP389 step `<0;1>`. */
  readonly texts: readonly string[];
  /** Child numbers, hardened ones with HARDENED_OFFSET added; same length as `texts`. */
  readonly values: readonly number[];
}

export interface KeyOriginInfo {
  /** Master key fingerprint, 8 lowercase hex characters. */
  readonly fingerprint: string;
  /** Path from the master key, hardened steps with HARDENED_OFFSET added. */
  readonly path: readonly number[];
  /** What stood between the brackets, as written. */
  readonly text: string;
}

/** A hex public key or a WIF private key: one fixed key, no derivation. */
export interface ConstKey {
  readonly type: 'const';
  readonly origin?: KeyOriginInfo;
  readonly text: string;
  /** 33 or 65 bytes; 32 bytes for an x-only key inside tr(). */
  readonly pubkey: Uint8Array;
  readonly isPrivate: boolean;
}

export interface ExtendedKey {
  readonly type: 'extended';
  readonly origin?: KeyOriginInfo;
  /** The base58 key as written. */
  readonly text: string;
  readonly kind: ExtendedKeyKind;
  readonly hdkey: HDKey;
  readonly steps: readonly PathStep[];
  readonly wildcard: 'none' | 'unhardened' | 'hardened';
  /** '', '*', "*'" or '*h', as written. */
  readonly wildcardText: string;
}

export type KeyExpression = ConstKey | ExtendedKey;

/** What the surrounding script expression allows (BIP382: segwit v0 and BIP386: taproot). */
export interface KeyRules {
  /** wpkh(), wsh() and tr() MUST NOT contain uncompressed keys. */
  readonly compressedOnly: boolean;
  /** Inside tr(), a 32-byte hex x-only key is allowed. */
  readonly xOnly: boolean;
}
export const TOP_LEVEL_KEY_RULES: KeyRules = { compressedOnly: false, xOnly: false };

function fail(where: string, message: string): never {
  throw new ConclaveError('KEY_INVALID', `${where}: ${message}`);
}

/** A child number: digits, optionally hardened with `h` or `'` (BIP380; not `H`). */
function parseIndex(text: string, where: string): number {
  const m = /^([0-9]+)(['h]?)$/.exec(text);
  if (!m) fail(where, `path step ${JSON.stringify(text)} is not a child number (digits, optionally followed by h or ')`);
  const n = Number(m[1]);
  if (n > MAX_UNHARDENED) fail(where, `path step ${JSON.stringify(text)} is out of range (at most ${MAX_UNHARDENED}, then h to harden)`);
  return m[2] ? n + HARDENED_OFFSET : n;
}

function parseStep(text: string, where: string, allowMultipath: boolean): PathStep {
  if (text.startsWith('<') && text.endsWith('>') && text.length >= 2) {
    if (!allowMultipath) fail(where, 'a multipath step <a;b> is not allowed in a key origin (BIP389)');
    const texts = text.slice(1, -1).split(';');
    if (texts.length < 2) fail(where, 'a multipath step needs at least two alternatives, like <0;1> (BIP389)');
    const values = texts.map((t) => parseIndex(t, where));
    if (new Set(values).size !== values.length) fail(where, 'a multipath step repeats a child number (BIP389)');
    return { texts, values };
  }
  return { texts: [text], values: [parseIndex(text, where)] };
}

function parseOrigin(text: string, where: string): KeyOriginInfo {
  const [fingerprint, ...steps] = text.split('/');
  if (!/^[0-9a-fA-F]{8}$/.test(fingerprint)) {
    fail(where, `key origin fingerprint must be 8 hex characters, got ${fingerprint.length} characters${/^[0-9a-fA-F]*$/.test(fingerprint) ? '' : ' that are not all hex'}`);
  }
  const path = steps.map((s) => parseStep(s, where, false).values[0]);
  return { fingerprint: fingerprint.toLowerCase(), path, text };
}

function isValidPoint(bytes: Uint8Array): boolean {
  try {
    secp256k1.Point.fromBytes(bytes).assertValidity();
    return true;
  } catch {
    return false;
  }
}

function parseHexKey(text: string, rules: KeyRules, where: string): Uint8Array {
  const bytes = Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));
  if (bytes.length === 32 && rules.xOnly) {
    try {
      schnorr.utils.lift_x(bytesToNumberBE(bytes));
    } catch {
      fail(where, 'x-only public key is not on the curve');
    }
    return bytes;
  }
  if (bytes.length === 65 && (bytes[0] === 0x06 || bytes[0] === 0x07)) fail(where, 'hybrid public keys are not allowed');
  const sizeOk = (bytes.length === 33 && (bytes[0] === 2 || bytes[0] === 3)) || (bytes.length === 65 && bytes[0] === 4);
  if (!sizeOk) fail(where, `hex public key must be 33 bytes (02/03 prefix) or 65 uncompressed, got ${bytes.length} bytes`);
  if (!isValidPoint(bytes)) fail(where, 'public key is not a point on secp256k1');
  if (bytes.length === 65 && rules.compressedOnly) fail(where, 'uncompressed public keys are not allowed here (wpkh, wsh and tr need compressed keys)');
  return bytes;
}

/** WIF (base58check: 0x80 mainnet or 0xef test, 32-byte key, 0x01 suffix if compressed), or null. */
function tryParseWif(text: string, rules: KeyRules, where: string): Uint8Array | null {
  let payload: Uint8Array;
  try {
    payload = base58check.decode(text);
  } catch {
    return null;
  }
  if (payload[0] !== 0x80 && payload[0] !== 0xef) return null;
  const compressed = payload.length === 34 && payload[33] === 0x01;
  if (!compressed && payload.length !== 33) return null;
  const secret = payload.slice(1, 33);
  if (!secp256k1.utils.isValidSecretKey(secret)) fail(where, 'WIF private key is out of range');
  if (!compressed && rules.compressedOnly) fail(where, 'uncompressed private keys are not allowed here (wpkh, wsh and tr need compressed keys)');
  return secp256k1.getPublicKey(secret, compressed);
}

function parseExtendedKey(text: string, where: string): { kind: ExtendedKeyKind; hdkey: HDKey } {
  let payload: Uint8Array;
  try {
    payload = base58check.decode(text);
  } catch {
    fail(where, 'not a valid hex public key, WIF private key or extended key (base58check failed)');
  }
  if (payload.length !== 78) fail(where, `extended key must be 78 bytes, got ${payload.length}`);
  const version = new DataView(payload.buffer, payload.byteOffset).getUint32(0, false);
  const kind = (Object.keys(EXTENDED_KEY_VERSIONS) as ExtendedKeyKind[]).find((k) => EXTENDED_KEY_VERSIONS[k].version === version);
  if (!kind) fail(where, `extended key version 0x${version.toString(16).padStart(8, '0')} is not xpub, xprv, tpub or tprv`);
  const isTestnet = EXTENDED_KEY_VERSIONS[kind].isTestnet;
  const versions = isTestnet
    ? { public: EXTENDED_KEY_VERSIONS.tpub.version, private: EXTENDED_KEY_VERSIONS.tprv.version }
    : { public: EXTENDED_KEY_VERSIONS.xpub.version, private: EXTENDED_KEY_VERSIONS.xprv.version };
  try {
    // Also checks that the key data (0x00 || secret, or a point) matches the version's kind.
    return { kind, hdkey: HDKey.fromExtendedKey(text, versions) };
  } catch (e) {
    fail(where, `extended key is not valid (${(e as Error).message})`);
  }
}

/**
 * Parses one key expression. `where` names it in errors ("multi() keys[1]").
 * Throws KEY_INVALID, saying what is wrong.
 */
export function parseKeyExpression(text: string, rules: KeyRules = TOP_LEVEL_KEY_RULES, where = 'key'): KeyExpression {
  const originSplit = text.split(']');
  if (originSplit.length > 2) fail(where, "more than one ']': a key has at most one origin");
  let origin: KeyOriginInfo | undefined;
  let rest = text;
  if (originSplit.length === 2) {
    if (!originSplit[0].startsWith('[')) fail(where, "key origin must start with '['");
    origin = parseOrigin(originSplit[0].slice(1), where);
    rest = originSplit[1];
  }
  const segments = rest.split('/');
  const keyText = segments[0];
  if (keyText === '') fail(where, origin ? 'key origin is not followed by a key' : 'empty key');

  if (segments.length === 1) {
    if (/^[0-9a-fA-F]+$/.test(keyText) && keyText.length % 2 === 0) {
      return { type: 'const', origin, text: keyText, pubkey: parseHexKey(keyText, rules, where), isPrivate: false };
    }
    const wifPubkey = tryParseWif(keyText, rules, where);
    if (wifPubkey) return { type: 'const', origin, text: keyText, pubkey: wifPubkey, isPrivate: true };
  } else if (/^[0-9a-fA-F]+$/.test(keyText) || tryParseWif(keyText, TOP_LEVEL_KEY_RULES, where)) {
    // As in Core, only extended keys take a path; say so rather than "not an extended key".
    fail(where, 'only extended keys (xpub, xprv, tpub, tprv) take derivation steps, not hex or WIF keys');
  }
  const { kind, hdkey } = parseExtendedKey(keyText, where);
  let pathTexts = segments.slice(1);
  let wildcard: ExtendedKey['wildcard'] = 'none';
  let wildcardText = '';
  const last = pathTexts[pathTexts.length - 1];
  if (last === '*' || last === "*'" || last === '*h') {
    wildcard = last === '*' ? 'unhardened' : 'hardened';
    wildcardText = last;
    pathTexts = pathTexts.slice(0, -1);
  }
  const steps = pathTexts.map((s) => parseStep(s, where, true));
  if (steps.filter((s) => s.values.length > 1).length > 1) fail(where, 'at most one multipath step <a;b> per key (BIP389)');
  return { type: 'extended', origin, text: keyText, kind, hdkey, steps, wildcard, wildcardText };
}

/** The key expression as written (after any multipath selection). */
export function keyExpressionToString(key: KeyExpression): string {
  const origin = key.origin ? `[${key.origin.text}]` : '';
  if (key.type === 'const') return origin + key.text;
  const steps = key.steps.map((s) => '/' + (s.texts.length > 1 ? `<${s.texts.join(';')}>` : s.texts[0])).join('');
  return origin + key.text + steps + (key.wildcardText ? '/' + key.wildcardText : '');
}

/** Number of alternatives of the key's multipath step; 1 when it has none. */
export function keyMultipathLength(key: KeyExpression): number {
  if (key.type === 'const') return 1;
  return Math.max(1, ...key.steps.map((s) => s.values.length));
}

/** The key with its multipath step replaced by alternative `i` (BIP389 expansion). */
export function selectMultipath(key: KeyExpression, i: number): KeyExpression {
  if (key.type === 'const' || keyMultipathLength(key) === 1) return key;
  const steps = key.steps.map((s) => (s.values.length > 1 ? { texts: [s.texts[i]], values: [s.values[i]] } : s));
  return { ...key, steps };
}

/**
 * The public key at child `index` of a ranged key (ignored for others): 33 or 65 bytes,
 * or 32 for an x-only key. Throws DESCRIPTOR_INVALID for what cannot be derived.
 */
export function deriveKeyExpression(key: KeyExpression, index: number, where = 'key'): Uint8Array {
  if (key.type === 'const') return key.pubkey;
  if (keyMultipathLength(key) > 1) {
    throw new ConclaveError('DESCRIPTOR_INVALID', `${where}: has a multipath step; expand the descriptor before deriving`);
  }
  const path = key.steps.map((s) => s.values[0]);
  if (key.wildcard !== 'none') {
    if (!Number.isInteger(index) || index < 0 || index > MAX_UNHARDENED) {
      throw new ConclaveError('VALIDATION_FAILED', `${where}: child index ${index} is out of range 0..${MAX_UNHARDENED}`);
    }
    path.push(key.wildcard === 'hardened' ? index + HARDENED_OFFSET : index);
  }
  if (key.hdkey.privateKey === null && path.some((v) => v >= HARDENED_OFFSET)) {
    throw new ConclaveError('DESCRIPTOR_INVALID', `${where}: a hardened step cannot be derived from a public extended key`);
  }
  let node = key.hdkey;
  for (const v of path) node = node.deriveChild(v);
  return node.publicKey as Uint8Array;
}
