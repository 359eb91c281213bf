/**
 * Output script descriptors (BIP380) with the script expressions Conclave speaks:
 * pk, pkh, sh (BIP381), wpkh, wsh (BIP382), multi, sortedmulti (BIP383), tr with pk/pkh
 * leaves (BIP386), and BIP389 multipath keys. Other expressions (combo, raw, addr, multi_a,
 * miniscript, ...) are refused as unsupported rather than guessed at.
 *
 * Written by hand on @scure/bip32 and @noble: @bitcoinerlab/descriptors (the maintained
 * JavaScript library) resolves `<a;b>` by text substitution that refuses hardened steps
 * such as `<2147483647h;0>` (a valid BIP389 vector) and does not reject two multipath steps
 * in one key, and it pulls in a second BIP32/ECC stack. The context rules below follow
 * Bitcoin Core's descriptor parser, which the vectors come from.
 */
import { ConclaveError } from '../errors';
import { addChecksum, stripChecksum } from './checksum';
import {
  deriveKeyExpression, keyExpressionToString, keyMultipathLength, parseKeyExpression, selectMultipath,
  type KeyExpression, type KeyRules,
} from './key-expression';
import {
  multisigScript, pkhScript, pkScript, shScript, tapBranchHash, tapLeafHash, taprootOutputKey, trScript,
  wpkhScript, wshScript,
} from './scripts';

/** Where a script expression sits; each allows different children and keys. */
type Context = 'top' | 'sh' | 'wsh' | 'tap';

export type ScriptNode =
  | { readonly type: 'pk' | 'pkh' | 'wpkh'; readonly key: KeyExpression }
  | { readonly type: 'multi' | 'sortedmulti'; readonly threshold: number; readonly keys: readonly KeyExpression[] }
  | { readonly type: 'sh' | 'wsh'; readonly inner: ScriptNode }
  | { readonly type: 'tr'; readonly internalKey: KeyExpression; readonly tree?: TapTree };

/** A BIP386 script tree: a leaf, or `{left,right}`. */
export type TapTree = { readonly leaf: ScriptNode } | { readonly branch: readonly [TapTree, TapTree] };

export interface Descriptor {
  readonly root: ScriptNode;
}

const MAX_MULTISIG_KEYS = 20; // Core's MAX_PUBKEYS_PER_MULTISIG
const MAX_BARE_MULTISIG_KEYS = 3; // bare multisig beyond 3 keys is non-standard; Core refuses it
const MAX_SCRIPT_ELEMENT_SIZE = 520; // a P2SH redeem script is pushed, so it MUST fit one element
const MAX_TAPTREE_DEPTH = 128; // BIP341 control blocks hold at most 128 hashes
const UNSUPPORTED = new Set(['combo', 'raw', 'addr', 'rawtr', 'multi_a', 'sortedmulti_a', 'musig', 'sp']);
const CONTEXT_NAME: Record<Context, string> = { top: 'top level', sh: 'sh()', wsh: 'wsh()', tap: 'a tr() script tree' };

function invalid(message: string): never {
  throw new ConclaveError('DESCRIPTOR_INVALID', `descriptor: ${message}`);
}

/** Splits at commas that are not nested in (), {} or []. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) invalid('unbalanced brackets');
  }
  if (depth !== 0) invalid('unbalanced brackets');
  parts.push(text.slice(start));
  return parts;
}

/** `name(args)` where the last ')' closes the first '('; null otherwise. */
function splitCall(text: string): { name: string; args: string[] } | null {
  const m = /^([a-z_]+)\(/.exec(text);
  if (!m || !text.endsWith(')')) return null;
  const inner = text.slice(m[0].length, -1);
  let depth = 0;
  for (const c of inner) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return null; // the call closed before the end
  }
  return { name: m[1], args: splitTopLevel(inner) };
}

function keyRules(ctx: Context): KeyRules {
  return { compressedOnly: ctx === 'wsh' || ctx === 'tap', xOnly: ctx === 'tap' };
}

function parseScript(text: string, ctx: Context): ScriptNode {
  const call = splitCall(text);
  if (!call) invalid(`expected a script expression like wsh(...) at ${CONTEXT_NAME[ctx]}`);
  const { name, args } = call;
  const one = (): string => {
    if (args.length !== 1) invalid(`${name}() takes one argument, got ${args.length}`);
    return args[0];
  };
  const allowedIn = (...contexts: Context[]): void => {
    if (!contexts.includes(ctx)) invalid(`${name}() is not allowed in ${CONTEXT_NAME[ctx]}`);
  };
  switch (name) {
    case 'pk':
    case 'pkh':
      return { type: name, key: parseKeyExpression(one(), keyRules(ctx), `${name}() key`) };
    case 'wpkh':
      allowedIn('top', 'sh');
      return { type: name, key: parseKeyExpression(one(), { compressedOnly: true, xOnly: false }, 'wpkh() key') };
    case 'sh':
      allowedIn('top');
      return { type: name, inner: parseScript(one(), 'sh') };
    case 'wsh':
      allowedIn('top', 'sh');
      return { type: name, inner: parseScript(one(), 'wsh') };
    case 'multi':
    case 'sortedmulti':
      allowedIn('top', 'sh', 'wsh');
      return parseMultisig(name, args, ctx);
    case 'tr':
      allowedIn('top');
      if (args.length < 1 || args.length > 2) invalid(`tr() takes a key and an optional script tree, got ${args.length} arguments`);
      return {
        type: 'tr',
        internalKey: parseKeyExpression(args[0], keyRules('tap'), 'tr() internal key'),
        tree: args.length === 2 ? parseTree(args[1], 0) : undefined,
      };
    default:
      if (UNSUPPORTED.has(name)) invalid(`${name}() is not supported by Conclave`);
      invalid(`unknown script expression ${name}()`);
  }
}

function parseMultisig(name: 'multi' | 'sortedmulti', args: string[], ctx: Context): ScriptNode {
  const [thresholdText, ...keyTexts] = args;
  if (!/^[0-9]{1,2}$/.test(thresholdText)) invalid(`${name}() threshold must be a number, got ${JSON.stringify(thresholdText.slice(0, 8))}`);
  const threshold = Number(thresholdText);
  const keys = keyTexts.map((k, i) => parseKeyExpression(k, keyRules(ctx), `${name}() keys[${i}]`));
  const n = keys.length;
  if (n < 1 || n > MAX_MULTISIG_KEYS) invalid(`${name}() must have between 1 and ${MAX_MULTISIG_KEYS} keys, got ${n}`);
  if (threshold < 1) invalid(`${name}() threshold must be at least 1`);
  if (threshold > n) invalid(`${name}() threshold ${threshold} is larger than the number of keys (${n})`);
  if (ctx === 'top' && n > MAX_BARE_MULTISIG_KEYS) invalid(`bare ${name}() may have at most ${MAX_BARE_MULTISIG_KEYS} keys, got ${n}`);
  if (ctx === 'sh') {
    // Same size estimate as Core: one push per key plus m, n and OP_CHECKMULTISIG.
    const size = 3 + keys.reduce((sum, k) => sum + 1 + (k.type === 'const' ? k.pubkey.length : 33), 0);
    if (size > MAX_SCRIPT_ELEMENT_SIZE) invalid(`sh(${name}()) redeem script would be ${size} bytes, more than ${MAX_SCRIPT_ELEMENT_SIZE}; use wsh()`);
  }
  return { type: name, threshold, keys };
}

function parseTree(text: string, depth: number): TapTree {
  if (depth > MAX_TAPTREE_DEPTH) invalid(`tr() script tree is deeper than ${MAX_TAPTREE_DEPTH}`);
  if (text.startsWith('{') && text.endsWith('}')) {
    const parts = splitTopLevel(text.slice(1, -1));
    if (parts.length !== 2) invalid(`a tr() tree branch {A,B} has exactly two children, got ${parts.length}`);
    return { branch: [parseTree(parts[0], depth + 1), parseTree(parts[1], depth + 1)] };
  }
  const leaf = parseScript(text, 'tap');
  if (leaf.type !== 'pk' && leaf.type !== 'pkh') invalid(`${leaf.type}() is not supported as a tr() leaf (only pk and pkh)`);
  return { leaf };
}

/** Every key expression, in the order written. */
export function descriptorKeys(d: Descriptor): KeyExpression[] {
  const keys: KeyExpression[] = [];
  const visitTree = (t: TapTree): void => {
    if ('leaf' in t) visit(t.leaf);
    else t.branch.forEach(visitTree);
  };
  const visit = (node: ScriptNode): void => {
    switch (node.type) {
      case 'multi':
      case 'sortedmulti':
        keys.push(...node.keys);
        break;
      case 'sh':
      case 'wsh':
        visit(node.inner);
        break;
      case 'tr':
        keys.push(node.internalKey);
        if (node.tree) visitTree(node.tree);
        break;
      default:
        keys.push(node.key);
    }
  };
  visit(d.root);
  return keys;
}

/**
 * Number of descriptors a BIP389 multipath descriptor stands for (1 without multipath).
 * Every multipath step in the descriptor MUST have the same number of alternatives.
 */
export function multipathLength(d: Descriptor): number {
  const lengths = new Set(descriptorKeys(d).map(keyMultipathLength).filter((n) => n > 1));
  if (lengths.size > 1) invalid(`multipath steps have mismatched lengths (${[...lengths].join(' and ')}); all must have the same (BIP389)`);
  return lengths.size === 1 ? [...lengths][0] : 1;
}

/** Parses a descriptor, verifying its checksum when present (or required). */
export function parseDescriptor(text: string, opts: { requireChecksum?: boolean } = {}): Descriptor {
  const { body } = stripChecksum(text, opts);
  const d: Descriptor = { root: parseScript(body, 'top') };
  multipathLength(d);
  return d;
}

function mapKeys(node: ScriptNode, f: (k: KeyExpression) => KeyExpression): ScriptNode {
  const mapTree = (t: TapTree): TapTree => ('leaf' in t ? { leaf: mapKeys(t.leaf, f) } : { branch: [mapTree(t.branch[0]), mapTree(t.branch[1])] });
  switch (node.type) {
    case 'multi':
    case 'sortedmulti':
      return { ...node, keys: node.keys.map(f) };
    case 'sh':
    case 'wsh':
      return { ...node, inner: mapKeys(node.inner, f) };
    case 'tr':
      return { ...node, internalKey: f(node.internalKey), tree: node.tree && mapTree(node.tree) };
    default:
      return { ...node, key: f(node.key) };
  }
}

/** The single-path descriptors a BIP389 multipath descriptor expands into, in order. */
export function expandMultipath(d: Descriptor): Descriptor[] {
  const n = multipathLength(d);
  return Array.from({ length: n }, (_, i) => ({ root: mapKeys(d.root, (k) => selectMultipath(k, i)) }));
}

/** True when some key ends in a wildcard, so the descriptor stands for many scripts. */
export function isRangeDescriptor(d: Descriptor): boolean {
  return descriptorKeys(d).some((k) => k.type === 'extended' && k.wildcard !== 'none');
}

function nodeToString(node: ScriptNode): string {
  const treeToString = (t: TapTree): string =>
    ('leaf' in t ? nodeToString(t.leaf) : `{${treeToString(t.branch[0])},${treeToString(t.branch[1])}}`);
  switch (node.type) {
    case 'multi':
    case 'sortedmulti':
      return `${node.type}(${[String(node.threshold), ...node.keys.map(keyExpressionToString)].join(',')})`;
    case 'sh':
    case 'wsh':
      return `${node.type}(${nodeToString(node.inner)})`;
    case 'tr':
      return `tr(${keyExpressionToString(node.internalKey)}${node.tree ? ',' + treeToString(node.tree) : ''})`;
    default:
      return `${node.type}(${keyExpressionToString(node.key)})`;
  }
}

/** The descriptor text, keys as written; with `#checksum` unless `checksum: false`. */
export function descriptorToString(d: Descriptor, opts: { checksum?: boolean } = {}): string {
  const body = nodeToString(d.root);
  return opts.checksum === false ? body : addChecksum(body);
}

function xOnly(pubkey: Uint8Array): Uint8Array {
  return pubkey.length === 32 ? pubkey : pubkey.slice(1);
}

function nodeScript(node: ScriptNode, index: number, ctx: Context): Uint8Array {
  const key = (k: KeyExpression): Uint8Array => {
    const pubkey = deriveKeyExpression(k, index);
    return ctx === 'tap' ? xOnly(pubkey) : pubkey;
  };
  switch (node.type) {
    case 'pk':
      return pkScript(key(node.key));
    case 'pkh':
      return pkhScript(key(node.key));
    case 'wpkh':
      return wpkhScript(key(node.key));
    case 'multi':
    case 'sortedmulti':
      return multisigScript(node.threshold, node.keys.map(key), node.type === 'sortedmulti');
    case 'sh':
      return shScript(nodeScript(node.inner, index, 'sh'));
    case 'wsh':
      return wshScript(nodeScript(node.inner, index, 'wsh'));
    case 'tr': {
      const treeHash = (t: TapTree): Uint8Array =>
        ('leaf' in t ? tapLeafHash(nodeScript(t.leaf, index, 'tap')) : tapBranchHash(treeHash(t.branch[0]), treeHash(t.branch[1])));
      const internal = xOnly(deriveKeyExpression(node.internalKey, index));
      return trScript(taprootOutputKey(internal, node.tree && treeHash(node.tree)));
    }
  }
}

/**
 * The scriptPubKey at child `index` (ignored by descriptors without a wildcard).
 * A multipath descriptor MUST be expanded first: it stands for several scripts per index.
 */
export function descriptorOutputScript(d: Descriptor, index = 0): Uint8Array {
  if (multipathLength(d) > 1) invalid('a multipath descriptor stands for several scripts; expand it first');
  return nodeScript(d.root, index, 'top');
}
