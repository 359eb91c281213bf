/**
 * BIP129 "Setup Process", Round 2, Coordinator: the descriptor record; and BIP129
 * "Descriptor Template".
 *
 *   BSMS 1.0
 *   DESCRIPTOR or TEMPLATE          (`XPUB/**` marks where the path restrictions go)
 *   PATH RESTRICTIONS               (`/0/*,/1/*`, or `No path restrictions`)
 *   FIRST ADDRESS                   (index 0 of the first path restriction)
 *
 * A template `wsh(sortedmulti(2,XPUB1/**,XPUB2/**))` with `/0/*,/1/*` stands for the concrete
 * descriptors `...XPUB1/0/*...` and `...XPUB1/1/*...`. A concrete descriptor is also accepted:
 * fixed keys (BIP129's "with Public Keys" vector), or a BIP389 `<0;1>/*` multipath descriptor,
 * whose alternatives play the part of the restrictions. A `#checksum`, when present, is
 * verified over line 2 as written (some wallets add one to templates too).
 *
 * Multisig only (what BIP129 sets up): multi or sortedmulti inside wsh, sh(wsh) or sh.
 */
import { HARDENED_OFFSET } from '@scure/bip32';
import { ConclaveError } from '../errors';
import { networkParams, type NetworkName } from '../network';
import { scriptToAddress } from '../address';
import {
  addChecksum, descriptorKeys, descriptorOutputScript, descriptorToString, EXTENDED_KEY_VERSIONS, expandMultipath,
  parseDescriptor, stripChecksum, type Descriptor, type KeyExpression, type ScriptNode,
} from '../descriptor';
import { recordError, recordLines, BSMS_VERSION } from './record-text';

export const NO_PATH_RESTRICTIONS = 'No path restrictions';
export const TEMPLATE_MARKER = '/**';
const MAX_RESTRICTIONS = 16;

export type MultisigScriptType = 'wsh' | 'sh-wsh' | 'sh';

export interface DescriptorRecordFields {
  /** Line 2 as written: a descriptor or a template, with or without `#checksum`. */
  readonly descriptor: string;
  /** Line 3: the restrictions, or null for `No path restrictions`. */
  readonly pathRestrictions: readonly string[] | null;
  /** Line 4. */
  readonly firstAddress: string;
}

export interface DescriptorRecord extends DescriptorRecordFields {
  readonly version: typeof BSMS_VERSION;
  readonly isTemplate: boolean;
  /**
   * The paths every key derives along: line 3 for a template; for a concrete descriptor what
   * its keys imply (`/0/*,/1/*` for `<0;1>/*`), null for fixed keys.
   */
  readonly effectivePathRestrictions: readonly string[] | null;
  /** The concrete descriptors, with checksums: one per restriction, in order. */
  readonly descriptors: readonly string[];
  readonly scriptType: MultisigScriptType;
  /** sortedmulti orders keys in the script itself (BIP67); with multi, positions matter. */
  readonly sorted: boolean;
  /** M. */
  readonly threshold: number;
  /** The keys of the first concrete descriptor, in descriptor order (N = keys.length). */
  readonly keys: readonly KeyExpression[];
}

const WHERE = 'bsms descriptor record';

/** Line 3 to restrictions: each `/`-separated, unhardened, optionally ending in `/*`. */
export function parsePathRestrictions(line: string): string[] | null {
  if (line === NO_PATH_RESTRICTIONS) return null;
  const paths = line.split(',');
  if (paths.length > MAX_RESTRICTIONS) recordError(`${WHERE} line 3`, `at most ${MAX_RESTRICTIONS} path restrictions, got ${paths.length}`);
  for (const p of paths) {
    const steps = /^((?:\/[0-9]{1,10})*)(\/\*)?$/.exec(p);
    if (!steps || p === '' || steps[1].split('/').slice(1).some((n) => Number(n) >= HARDENED_OFFSET)) {
      recordError(`${WHERE} line 3`, `${JSON.stringify(p.slice(0, 24))} is not a path restriction: it must start with / and use unhardened steps, like /0/*`);
    }
  }
  if (new Set(paths).size !== paths.length) recordError(`${WHERE} line 3`, 'a path restriction is repeated');
  return paths;
}

export function formatPathRestrictions(paths: readonly string[] | null): string {
  return paths === null ? NO_PATH_RESTRICTIONS : paths.join(',');
}

function multisigOf(d: Descriptor): { scriptType: MultisigScriptType; node: Extract<ScriptNode, { type: 'multi' | 'sortedmulti' }> } {
  const root = d.root;
  const multi = (n: ScriptNode): n is Extract<ScriptNode, { type: 'multi' | 'sortedmulti' }> => n.type === 'multi' || n.type === 'sortedmulti';
  if (root.type === 'wsh' && multi(root.inner)) return { scriptType: 'wsh', node: root.inner };
  if (root.type === 'sh' && root.inner.type === 'wsh' && multi(root.inner.inner)) return { scriptType: 'sh-wsh', node: root.inner.inner };
  if (root.type === 'sh' && multi(root.inner)) return { scriptType: 'sh', node: root.inner };
  throw new ConclaveError('DESCRIPTOR_INVALID', `${WHERE} line 2: a BSMS wallet is multi() or sortedmulti() inside wsh(), sh(wsh()) or sh()`);
}

/** The path one key derives along after the key itself (`/0/*`), '' for a fixed key. */
function keyPath(k: KeyExpression): string {
  if (k.type === 'const') return '';
  if (k.wildcard === 'hardened' || k.steps.some((s) => s.values[0] >= HARDENED_OFFSET)) {
    throw new ConclaveError('DESCRIPTOR_INVALID', `${WHERE} line 2: hardened derivation after an xpub cannot be derived by anyone but its owner`);
  }
  return k.steps.map((s) => `/${s.values[0]}`).join('') + (k.wildcard === 'unhardened' ? '/*' : '');
}

/** The one path all keys of a concrete descriptor derive along; '' when none does. */
function commonPath(d: Descriptor): string {
  const paths = new Set(descriptorKeys(d).map(keyPath));
  if (paths.size > 1) recordError(`${WHERE} line 2`, `keys derive along different paths (${[...paths].map((p) => p || 'none').join(', ')}); a BSMS wallet has one`);
  return [...paths][0] ?? '';
}

type RecordBody = Omit<DescriptorRecord, 'firstAddress'>;

/** Lines 2 and 3: the descriptor or template, its restrictions, and what they stand for. */
function parseBody(line2: string, line3: string): RecordBody {
  const pathRestrictions = parsePathRestrictions(line3);
  const { body } = stripChecksum(line2);
  const isTemplate = body.includes(TEMPLATE_MARKER);
  let concrete: Descriptor[];
  if (isTemplate) {
    if (pathRestrictions === null) recordError(`${WHERE} line 3`, `a template (with ${TEMPLATE_MARKER}) needs path restrictions`);
    concrete = pathRestrictions.map((r) => parseDescriptor(body.split(TEMPLATE_MARKER).join(r)));
    if (concrete.some((d) => expandMultipath(d).length > 1)) recordError(`${WHERE} line 2`, `a template uses ${TEMPLATE_MARKER}, not multipath <a;b> steps`);
  } else {
    concrete = expandMultipath(parseDescriptor(body));
  }
  // What the keys really derive along, from the concrete descriptors: for `XPUB/5/**` that is
  // /5/0/*, not line 3's /0/*, and a signer MUST judge (and show) the former.
  const paths = concrete.map(commonPath);
  const effective = paths[0] === '' ? null : paths;
  if (!isTemplate && pathRestrictions !== null && formatPathRestrictions(pathRestrictions) !== formatPathRestrictions(effective)) {
    recordError(`${WHERE} line 3`, `says ${formatPathRestrictions(pathRestrictions)}, but the descriptor derives along ${formatPathRestrictions(effective)}`);
  }
  const { scriptType, node } = multisigOf(concrete[0]);
  return {
    version: BSMS_VERSION, descriptor: line2, pathRestrictions, isTemplate, effectivePathRestrictions: effective,
    descriptors: concrete.map((d) => descriptorToString(d)), scriptType, sorted: node.type === 'sortedmulti', threshold: node.threshold, keys: node.keys,
  };
}

/** Parses a plaintext descriptor record; checks its shape, not its first address (see descriptorRecordFirstAddress). */
export function parseDescriptorRecord(text: string): DescriptorRecord {
  const [, line2, line3, firstAddress] = recordLines(text, WHERE, [4]);
  const body = parseBody(line2, line3);
  // Base58 or bech32 characters only; whether it is the right address is checked against the network.
  if (!/^[0-9A-Za-z]{14,90}$/.test(firstAddress)) recordError(`${WHERE} line 4`, 'is not an address');
  return { ...body, firstAddress };
}

/** Refuses extended keys of another network than `network` (xpub on mainnet, tpub elsewhere), and private keys. */
export function checkRecordKeysNetwork(record: Pick<DescriptorRecord, 'keys'>, network: NetworkName): void {
  const params = networkParams(network);
  const wanted = params.coinType === 0 ? 'xpub' : 'tpub';
  record.keys.forEach((k, i) => {
    if (k.type === 'const') {
      if (k.isPrivate) throw new ConclaveError('KEY_INVALID', `${WHERE} keys[${i}]: is a private key; a descriptor record holds public keys`);
      return;
    }
    if (EXTENDED_KEY_VERSIONS[k.kind].isPrivate) throw new ConclaveError('KEY_INVALID', `${WHERE} keys[${i}]: is a private extended key; a descriptor record holds public keys`);
    if (k.kind !== wanted) throw new ConclaveError('KEY_INVALID', `${WHERE} keys[${i}]: is a ${k.kind}, but ${network} needs a ${wanted}`);
  });
}

/** The wallet's first address on `network`: index 0 of the first concrete descriptor (BIP129). */
export function descriptorRecordFirstAddress(record: Omit<DescriptorRecord, 'firstAddress'>, network: NetworkName): string {
  checkRecordKeysNetwork(record, network);
  const script = descriptorOutputScript(parseDescriptor(record.descriptors[0]), 0);
  const address = scriptToAddress(script, network);
  if (address === null) throw new ConclaveError('DESCRIPTOR_INVALID', `${WHERE}: the first output script has no address on ${network}`);
  return address;
}

/** The record text (no trailing newline) for given fields, after checking its shape. */
export function formatDescriptorRecord(fields: DescriptorRecordFields): string {
  const text = [BSMS_VERSION, fields.descriptor, formatPathRestrictions(fields.pathRestrictions), fields.firstAddress].join('\n');
  parseDescriptorRecord(text);
  return text;
}

/**
 * The Coordinator's record for a descriptor or template, with the first address it derives.
 * `checksum: true` appends a BIP380 checksum to line 2 (of the template text as written).
 */
export function createDescriptorRecord(
  descriptor: string, pathRestrictions: readonly string[] | null, network: NetworkName, options: { checksum?: boolean } = {},
): string {
  const line2 = options.checksum ? addChecksum(descriptor) : descriptor;
  const body = parseBody(line2, formatPathRestrictions(pathRestrictions));
  return formatDescriptorRecord({ descriptor: line2, pathRestrictions, firstAddress: descriptorRecordFirstAddress(body, network) });
}
