/**
 * The vault descriptor API: round trips, derivation checked against independent code paths,
 * and every kind of bad vault descriptor refused with its stable error code.
 */
import { HDKey } from '@scure/bip32';
import { p2ms, p2wsh } from '@scure/btc-signer';
import { sha256 } from '@noble/hashes/sha2.js';
import type { KeyOrigin } from '../api';
import { ConclaveError } from '../errors';
import { networkParams, type NetworkName } from '../network';
import {
  addChecksum, descriptorHash, descriptorOutputScript, deriveVaultScript, expandMultipath, formatVaultDescriptor,
  parseDescriptor, parseVaultDescriptor, singlePathDescriptors, vaultKeyForAccount, type MultisigVaultDescriptor,
} from './index';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A BIP48 P2WSH account key of a throwaway master key (seed = `seedByte` repeated). */
function accountKey(seedByte: number, network: NetworkName, path = "m/48'/1'/0'/2'"): { origin: KeyOrigin; master: HDKey } {
  const params = networkParams(network);
  const master = HDKey.fromMasterSeed(new Uint8Array(32).fill(seedByte), params.bip32);
  const account = master.derive(path);
  const originPath = path.slice(2).replace(/'/g, 'h');
  return { master, origin: { fingerprint: master.fingerprint.toString(16).padStart(8, '0'), path: originPath, xpub: account.publicExtendedKey } };
}

function vaultOf(network: NetworkName, threshold: number, seeds: number[]): MultisigVaultDescriptor {
  const coin = networkParams(network).coinType;
  return { kind: 'wsh-sortedmulti', network, threshold, keys: seeds.map((s) => accountKey(s, network, `m/48'/${coin}'/0'/2'`).origin) };
}

/** The descriptor text for hand-made key expressions, with a correct checksum. */
function textOf(threshold: number, keys: string[], wrapper = (inner: string) => `wsh(${inner})`, fragment = 'sortedmulti'): string {
  return addChecksum(wrapper(`${fragment}(${threshold},${keys.join(',')})`));
}
const keyText = (k: KeyOrigin, suffix = '/<0;1>/*'): string => `[${k.fingerprint}/${k.path}]${k.xpub}${suffix}`;

function errorOf(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConclaveError) return e;
    throw e;
  }
  throw new Error('expected a ConclaveError, but nothing was thrown');
}

describe('vault descriptors: wsh(sortedmulti) of BIP48 keys', () => {
  const regtest = vaultOf('regtest', 2, [1, 2, 3]);
  const mainnet = vaultOf('mainnet', 2, [1, 2, 3]);

  it.each([['regtest', regtest], ['mainnet', mainnet]] as const)('%s: formats canonically and parses back', (network, d) => {
    const text = formatVaultDescriptor(d);
    expect(text).toMatch(/^wsh\(sortedmulti\(2,\[[0-9a-f]{8}\/48h\/[01]h\/0h\/2h\][xt]pub[1-9A-HJ-NP-Za-km-z]+\/<0;1>\/\*,/);
    expect(text).toMatch(/\)\)#[a-z0-9]{8}$/);
    expect(parseVaultDescriptor(text, network)).toEqual(d);
  });

  it("accepts ' markers and an upper-case fingerprint, and normalizes both", () => {
    const keys = regtest.keys.map((k, i) => keyText(i === 0 ? { ...k, fingerprint: k.fingerprint.toUpperCase() } : k).replace(/h(?=[/\]])/g, "'"));
    const parsed = parseVaultDescriptor(textOf(2, keys), 'regtest');
    expect(parsed).toEqual(regtest);
    expect(descriptorHash(parsed)).toBe(descriptorHash(regtest));
  });

  it('gives receive and change descriptors that expand from the multipath one', () => {
    const { receive, change } = singlePathDescriptors(regtest);
    expect(receive).toContain('/0/*,');
    expect(change).toContain('/1/*,');
    const expanded = expandMultipath(parseDescriptor(formatVaultDescriptor(regtest)));
    expect(expanded).toHaveLength(2);
    expect(parseDescriptor(receive)).toEqual(expanded[0]);
    expect(parseDescriptor(change)).toEqual(expanded[1]);
  });

  it('derives the same script as the generic descriptor code and as @scure/btc-signer', () => {
    const expanded = expandMultipath(parseDescriptor(formatVaultDescriptor(regtest)));
    for (const change of [0, 1] as const) {
      for (const index of [0, 1, 7, 1000]) {
        const s = deriveVaultScript(regtest, change, index);
        expect(hex(s.scriptPubKey)).toBe(hex(descriptorOutputScript(expanded[change], index)));
        // witness script: OP_2 <3 keys> OP_3 OP_CHECKMULTISIG; scriptPubKey: 0 <sha256(ws)>
        expect(s.witnessScript[0]).toBe(0x52);
        expect([...s.witnessScript.slice(-2)]).toEqual([0x53, 0xae]);
        expect(hex(s.scriptPubKey)).toBe('0020' + hex(sha256(s.witnessScript)));
        const scure = p2wsh(p2ms(2, s.keys.map((k) => k.pubkey)), { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef });
        expect(s.address).toBe(scure.address);
        expect(s.address.startsWith('bcrt1q')).toBe(true);
      }
    }
  });

  it('reports each key with its fingerprint and full path, in BIP67 order, matching the master keys', () => {
    const s = deriveVaultScript(regtest, 0, 5);
    const hexes = s.keys.map((k) => hex(k.pubkey));
    expect(hexes).toEqual([...hexes].sort());
    for (const k of s.keys) {
      const seed = [1, 2, 3].find((x) => accountKey(x, 'regtest').origin.fingerprint === k.fingerprint)!;
      const master = accountKey(seed, 'regtest').master;
      let node = master;
      for (const step of k.path) node = node.deriveChild(step);
      expect(hex(node.publicKey!)).toBe(hex(k.pubkey));
      expect(k.path).toEqual([48 + 0x80000000, 1 + 0x80000000, 0x80000000, 2 + 0x80000000, 0, 5]);
    }
  });

  it('gives the same answer from its cache as from a fresh derivation, and per network', () => {
    const first = deriveVaultScript(regtest, 1, 3);
    expect(deriveVaultScript(regtest, 1, 3)).toEqual(first);
    expect(deriveVaultScript({ ...regtest, network: 'testnet' }, 1, 3).address.startsWith('tb1q')).toBe(true);
    // A tpub never derives under mainnet parameters, even after it was cached for regtest.
    expect(errorOf(() => deriveVaultScript({ ...regtest, network: 'mainnet' }, 1, 3)).code).toBe('KEY_INVALID');
  });

  it('refuses out-of-range change and index values', () => {
    expect(errorOf(() => deriveVaultScript(regtest, 2 as 0, 0)).code).toBe('VALIDATION_FAILED');
    expect(errorOf(() => deriveVaultScript(regtest, 0, -1)).code).toBe('VALIDATION_FAILED');
    expect(errorOf(() => deriveVaultScript(regtest, 0, 0x80000000)).code).toBe('VALIDATION_FAILED');
    expect(errorOf(() => deriveVaultScript(regtest, 0, 1.5)).code).toBe('VALIDATION_FAILED');
  });

  it('pins by a tagged hash of the canonical text', () => {
    const h = descriptorHash(regtest);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(descriptorHash({ ...regtest, threshold: 3 })).not.toBe(h);
    expect(descriptorHash(parseVaultDescriptor(formatVaultDescriptor(regtest), 'regtest'))).toBe(h);
  });

  it('finds a vault key by its exact account xpub', () => {
    expect(vaultKeyForAccount(regtest, regtest.keys[1].xpub)).toEqual(regtest.keys[1]);
    expect(vaultKeyForAccount(regtest, accountKey(9, 'regtest').origin.xpub)).toBeUndefined();
    expect(vaultKeyForAccount(regtest, regtest.keys[1].xpub.slice(0, -1))).toBeUndefined();
  });

  describe('refuses bad vault descriptors with a stable code', () => {
    const [a, b, c] = regtest.keys;
    const ok = [keyText(a), keyText(b), keyText(c)];
    const cases: Array<[string, () => unknown, string]> = [
      ['a wrong checksum', () => parseVaultDescriptor(formatVaultDescriptor(regtest).replace(/#.*/, '#qqqqqqqq'), 'regtest'), 'DESCRIPTOR_CHECKSUM'],
      ['a missing checksum', () => parseVaultDescriptor(formatVaultDescriptor(regtest).replace(/#.*/, ''), 'regtest'), 'DESCRIPTOR_CHECKSUM'],
      ['a mainnet xpub on regtest', () => parseVaultDescriptor(textOf(2, [keyText({ ...a, xpub: mainnet.keys[0].xpub }), ok[1], ok[2]]), 'regtest'), 'KEY_INVALID'],
      ['a tpub on mainnet', () => parseVaultDescriptor(textOf(2, [keyText({ ...mainnet.keys[0], xpub: a.xpub }), keyText(mainnet.keys[1]), keyText(mainnet.keys[2])]), 'mainnet'), 'KEY_INVALID'],
      ['coin type 0h on regtest', () => parseVaultDescriptor(textOf(2, [keyText({ ...a, path: '48h/0h/0h/2h' }), ok[1], ok[2]]), 'regtest'), 'KEY_INVALID'],
      ['coin type 1h on mainnet', () => parseVaultDescriptor(textOf(2, [keyText({ ...mainnet.keys[0], path: '48h/1h/0h/2h' }), keyText(mainnet.keys[1]), keyText(mainnet.keys[2])]), 'mainnet'), 'KEY_INVALID'],
      ['a duplicate key', () => parseVaultDescriptor(textOf(2, [ok[0], ok[1], ok[0]]), 'regtest'), 'KEY_INVALID'],
      ['the same key under another origin', () => parseVaultDescriptor(textOf(2, [ok[0], ok[1], keyText({ ...a, fingerprint: 'deadbeef' })]), 'regtest'), 'KEY_INVALID'],
      ['m > n', () => parseVaultDescriptor(textOf(4, ok), 'regtest'), 'DESCRIPTOR_INVALID'],
      ['m = 0', () => parseVaultDescriptor(textOf(0, ok), 'regtest'), 'DESCRIPTOR_INVALID'],
      ['16 keys', () => parseVaultDescriptor(textOf(2, vaultOf('regtest', 2, Array.from({ length: 16 }, (_, i) => i + 10)).keys.map((k) => keyText(k))), 'regtest'), 'DESCRIPTOR_INVALID'],
      ['a BIP84 path', () => parseVaultDescriptor(textOf(2, [keyText({ ...a, path: '84h/1h/0h' }), ok[1], ok[2]]), 'regtest'), 'KEY_INVALID'],
      ['BIP48 script type 1h (sh-wsh)', () => parseVaultDescriptor(textOf(2, [keyText({ ...a, path: '48h/1h/0h/1h' }), ok[1], ok[2]]), 'regtest'), 'KEY_INVALID'],
      ['an unhardened origin step', () => parseVaultDescriptor(textOf(2, [keyText({ ...a, path: '48h/1h/0/2h' }), ok[1], ok[2]]), 'regtest'), 'KEY_INVALID'],
      ['an origin that does not match the key depth', () => parseVaultDescriptor(textOf(2, [keyText({ ...a, xpub: accountKey(1, 'regtest', "m/48'/1'/0'").origin.xpub }), ok[1], ok[2]]), 'regtest'), 'KEY_INVALID'],
      ['a key without origin', () => parseVaultDescriptor(textOf(2, [`${a.xpub}/<0;1>/*`, ok[1], ok[2]]), 'regtest'), 'KEY_INVALID'],
      ['a 7-character fingerprint', () => parseVaultDescriptor(textOf(2, [keyText({ ...a, fingerprint: a.fingerprint.slice(1) }), ok[1], ok[2]]), 'regtest'), 'KEY_INVALID'],
      ['single-path /0/* keys', () => parseVaultDescriptor(textOf(2, regtest.keys.map((k) => keyText(k, '/0/*'))), 'regtest'), 'KEY_INVALID'],
      ['<1;0> instead of <0;1>', () => parseVaultDescriptor(textOf(2, regtest.keys.map((k) => keyText(k, '/<1;0>/*'))), 'regtest'), 'KEY_INVALID'],
      ['a hardened wildcard', () => parseVaultDescriptor(textOf(2, regtest.keys.map((k) => keyText(k, "/<0;1>/*'"))), 'regtest'), 'KEY_INVALID'],
      ['wsh(multi) instead of sortedmulti', () => parseVaultDescriptor(textOf(2, ok, undefined, 'multi'), 'regtest'), 'DESCRIPTOR_INVALID'],
      ['sh(wsh(sortedmulti))', () => parseVaultDescriptor(textOf(2, ok, (x) => `sh(wsh(${x}))`), 'regtest'), 'DESCRIPTOR_INVALID'],
      ['an unknown network', () => parseVaultDescriptor(formatVaultDescriptor(regtest), 'litecoin' as NetworkName), 'VALIDATION_FAILED'],
      ['garbage without a checksum', () => parseVaultDescriptor('wsh(sortedmulti(2,', 'regtest'), 'DESCRIPTOR_CHECKSUM'],
      ['garbage with a checksum', () => parseVaultDescriptor(addChecksum('wsh(sortedmulti(2,'), 'regtest'), 'DESCRIPTOR_INVALID'],
      ['format: a bad coin type', () => formatVaultDescriptor({ ...regtest, keys: [{ ...a, path: '48h/0h/0h/2h' }, b, c] }), 'KEY_INVALID'],
      ['format: m > n', () => formatVaultDescriptor({ ...regtest, threshold: 4 }), 'DESCRIPTOR_INVALID'],
      ['format: a duplicate key', () => singlePathDescriptors({ ...regtest, keys: [a, b, a] }), 'KEY_INVALID'],
      ['derive: m > n', () => deriveVaultScript({ ...regtest, threshold: 4 }, 0, 0), 'DESCRIPTOR_INVALID'],
    ];
    it.each(cases)('%s', (_name, fn, code) => {
      expect(errorOf(fn).code).toBe(code);
    });
  });

  it('refuses a private key without repeating it', () => {
    const { master } = accountKey(1, 'regtest');
    const tprv = master.derive("m/48'/1'/0'/2'").privateExtendedKey;
    const err = errorOf(() => parseVaultDescriptor(textOf(2, [keyText({ ...regtest.keys[0], xpub: tprv }), keyText(regtest.keys[1]), keyText(regtest.keys[2])]), 'regtest'));
    expect(err.code).toBe('KEY_INVALID');
    expect(err.message).toMatch(/private/);
    expect(err.message).not.toContain(tprv.slice(4, 30));
  });

  it('names the key and the rule in its messages', () => {
    const [a, b, c] = regtest.keys;
    expect(() => parseVaultDescriptor(textOf(2, [keyText(a), keyText({ ...b, path: '48h/0h/0h/2h' }), keyText(c)]), 'regtest'))
      .toThrow('descriptor keys[1]: origin path coin type is 0h, but regtest needs 1h');
    expect(() => parseVaultDescriptor(textOf(2, [keyText(a), keyText(b), keyText(a)]), 'regtest'))
      .toThrow('descriptor keys[2]: is the same key as keys[0]');
    expect(() => parseVaultDescriptor(textOf(2, [keyText({ ...a, xpub: mainnet.keys[0].xpub }), keyText(b), keyText(c)]), 'regtest'))
      .toThrow('descriptor keys[0]: is an xpub, but regtest needs a tpub');
  });
});
