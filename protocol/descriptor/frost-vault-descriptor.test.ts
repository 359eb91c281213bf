/**
 * FROST Taproot vault descriptors, `tr(xpub/<0;1>/*)`: round trips, addresses checked against
 * independent code (@scure/btc-signer's p2tr of the @scure/bip32 child, and the generic BIP386
 * descriptor code), Bitcoin Core's own tr() derivation, and every bad shape refused with its code.
 */
import { HDKey } from '@scure/bip32';
import { p2tr } from '@scure/btc-signer';
import { ConclaveError } from '../errors';
import { type NetworkName, networkParams } from '../network';
import { describeWithVectors, readVectorJson } from '../../test/vectors/locate';
import {
  VAULT_KINDS, addChecksum, descriptorChecksum, descriptorHash, descriptorOutputScript, deriveVaultScript, expandMultipath,
  formatVaultDescriptor, frostGroupFingerprint, parseDescriptor, parseVaultDescriptor, segwitAddress, singlePathDescriptors,
  taprootOutputKey, trScript, type FrostVaultDescriptor, type MultisigVaultDescriptor, type VaultDescriptor,
} from './index';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const H = 0x80000000;

/** A stand-in group key: a depth-0 key of a throwaway seed (the DKG makes one like it, without any secret). */
function groupMaster(seedByte: number, network: NetworkName): HDKey {
  return HDKey.fromMasterSeed(new Uint8Array(32).fill(seedByte), networkParams(network).bip32);
}
function frostVault(seedByte: number, network: NetworkName): FrostVaultDescriptor {
  return { kind: 'tr-frost', network, groupXpub: groupMaster(seedByte, network).publicExtendedKey };
}
const fingerprintOf = (hd: HDKey): string => hd.fingerprint.toString(16).padStart(8, '0');

function errorOf(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConclaveError) return e;
    throw e;
  }
  throw new Error('expected a ConclaveError, but nothing was thrown');
}

describe('FROST vault descriptors: tr(xpub/<0;1>/*)', () => {
  const regtest = frostVault(0x11, 'regtest');
  const mainnet = frostVault(0x11, 'mainnet');

  it.each([['regtest', regtest], ['mainnet', mainnet]] as const)('%s: formats canonically, with the BIP380 checksum, and parses back', (network, d) => {
    const text = formatVaultDescriptor(d);
    expect(text).toBe(`tr(${d.groupXpub}/<0;1>/*)#${descriptorChecksum(`tr(${d.groupXpub}/<0;1>/*)`)}`);
    expect(text.startsWith(network === 'mainnet' ? 'tr(xpub' : 'tr(tpub')).toBe(true);
    expect(parseVaultDescriptor(text, network, VAULT_KINDS)).toEqual(d);
    expect(parseVaultDescriptor(text, network, ['tr-frost'])).toEqual(d);
  });

  it('keeps callers written for multisig safe: without `kinds` a FROST vault is VAULT_KIND_UNSUPPORTED', () => {
    const err = errorOf(() => parseVaultDescriptor(formatVaultDescriptor(regtest), 'regtest'));
    expect(err.code).toBe('VAULT_KIND_UNSUPPORTED');
    expect(err.message).toMatch(/FROST Taproot .* only script-multisig/);
  });

  it('gives receive and change descriptors that expand from the multipath one', () => {
    const { receive, change } = singlePathDescriptors(regtest);
    expect(receive).toBe(addChecksum(`tr(${regtest.groupXpub}/0/*)`));
    expect(change).toBe(addChecksum(`tr(${regtest.groupXpub}/1/*)`));
    const expanded = expandMultipath(parseDescriptor(formatVaultDescriptor(regtest)));
    expect(parseDescriptor(receive)).toEqual(expanded[0]);
    expect(parseDescriptor(change)).toEqual(expanded[1]);
  });

  it('derives the p2tr address of @scure/btc-signer for the BIP32 child, and the generic descriptor code agrees', () => {
    const master = groupMaster(0x11, 'regtest');
    const expanded = expandMultipath(parseDescriptor(formatVaultDescriptor(regtest)));
    for (const change of [0, 1] as const) {
      for (const index of [0, 1, 7, 1000, 0x7fffffff]) {
        const child = master.deriveChild(change).deriveChild(index).publicKey as Uint8Array;
        const scure = p2tr(child.slice(1), undefined, networkParams('regtest'));
        const s = deriveVaultScript(regtest, change, index);
        expect(s.kind).toBe('tr-frost');
        expect(s.address).toBe(scure.address);
        expect(s.address.startsWith('bcrt1p')).toBe(true);
        expect(hex(s.scriptPubKey)).toBe(hex(scure.script));
        expect(hex(s.outputKey)).toBe(hex(scure.tweakedPubkey));
        expect(hex(s.internalKey)).toBe(hex(child.slice(1)));
        expect(hex(s.childPublicKey)).toBe(hex(child));
        expect(hex(s.scriptPubKey)).toBe(hex(descriptorOutputScript(expanded[change], index)));
        expect(s.path).toEqual([change, index]);
        expect(s.fingerprint).toBe(fingerprintOf(master));
      }
    }
  });

  it('uses the group xpub\'s own fingerprint, as Core does for a key without origin', () => {
    expect(frostGroupFingerprint(regtest)).toBe(fingerprintOf(groupMaster(0x11, 'regtest')));
    // An optional [fingerprint] origin with no path is the same vault; the canonical text drops it.
    const withOrigin = addChecksum(`tr([${frostGroupFingerprint(regtest)}]${regtest.groupXpub}/<0;1>/*)`);
    const parsed = parseVaultDescriptor(withOrigin, 'regtest', VAULT_KINDS);
    expect(parsed).toEqual(regtest);
    expect(formatVaultDescriptor(parsed)).toBe(formatVaultDescriptor(regtest));
  });

  it('gives the same answer from its caches, and refuses the tpub under mainnet even after caching it', () => {
    const first = deriveVaultScript(regtest, 1, 3);
    expect(deriveVaultScript(regtest, 1, 3)).toEqual(first);
    expect(deriveVaultScript({ ...regtest, network: 'testnet' }, 1, 3).address.startsWith('tb1p')).toBe(true);
    expect(errorOf(() => deriveVaultScript({ ...regtest, network: 'mainnet' }, 1, 3)).code).toBe('KEY_INVALID');
  });

  it('pins by a tagged hash of the canonical text, distinct from other vaults', () => {
    const h = descriptorHash(regtest);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(descriptorHash(parseVaultDescriptor(formatVaultDescriptor(regtest), 'regtest', VAULT_KINDS))).toBe(h);
    expect(descriptorHash(frostVault(0x12, 'regtest'))).not.toBe(h);
  });

  it('parses either kind through one call when the caller handles both', () => {
    const keys = [1, 2, 3].map((seed) => {
      const m = HDKey.fromMasterSeed(new Uint8Array(32).fill(seed), networkParams('regtest').bip32);
      return { fingerprint: fingerprintOf(m), path: '48h/1h/0h/2h', xpub: m.derive("m/48'/1'/0'/2'").publicExtendedKey };
    });
    const multisig: MultisigVaultDescriptor = { kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys };
    const parsed: VaultDescriptor[] = [multisig, regtest].map((d) => parseVaultDescriptor(formatVaultDescriptor(d), 'regtest', VAULT_KINDS));
    expect(parsed).toEqual([multisig, regtest]);
    expect(errorOf(() => parseVaultDescriptor(formatVaultDescriptor(multisig), 'regtest', ['tr-frost'])).code).toBe('VAULT_KIND_UNSUPPORTED');
  });

  describe('refuses bad FROST vault descriptors with a stable code', () => {
    const xpub = regtest.groupXpub;
    const fp = frostGroupFingerprint(regtest);
    const parse = (body: string, network: NetworkName = 'regtest') => () => parseVaultDescriptor(addChecksum(body), network, VAULT_KINDS);
    const master = groupMaster(0x11, 'regtest');
    const xonly = hex(master.publicKey!.slice(1));
    const cases: Array<[string, () => unknown, string]> = [
      ['a script tree', parse(`tr(${xpub}/<0;1>/*,pk(${xonly}))`), 'DESCRIPTOR_INVALID'],
      ['a script tree of two leaves', parse(`tr(${xpub}/<0;1>/*,{pk(${xonly}),pk(${xonly})})`), 'DESCRIPTOR_INVALID'],
      ['hardened chain steps', parse(`tr(${xpub}/<0h;1h>/*)`), 'KEY_INVALID'],
      ['a hardened wildcard', parse(`tr(${xpub}/<0;1>/*h)`), 'KEY_INVALID'],
      ['a hardened step before the chains', parse(`tr(${xpub}/0h/<0;1>/*)`), 'KEY_INVALID'],
      ['an extra unhardened step', parse(`tr(${xpub}/0/<0;1>/*)`), 'KEY_INVALID'],
      ['single-path /0/*', parse(`tr(${xpub}/0/*)`), 'KEY_INVALID'],
      ['<1;0> instead of <0;1>', parse(`tr(${xpub}/<1;0>/*)`), 'KEY_INVALID'],
      ['no wildcard', parse(`tr(${xpub}/<0;1>)`), 'KEY_INVALID'],
      ['a bare xpub', parse(`tr(${xpub})`), 'KEY_INVALID'],
      ['an x-only hex key', parse(`tr(${xonly})`), 'KEY_INVALID'],
      ['a tprv', parse(`tr(${master.privateExtendedKey}/<0;1>/*)`), 'KEY_INVALID'],
      ['a mainnet xpub on regtest', parse(`tr(${mainnet.groupXpub}/<0;1>/*)`), 'KEY_INVALID'],
      ['a tpub on mainnet', parse(`tr(${xpub}/<0;1>/*)`, 'mainnet'), 'KEY_INVALID'],
      ['an origin with a hardened path', parse(`tr([${fp}/86h/1h/0h]${xpub}/<0;1>/*)`), 'KEY_INVALID'],
      ['an origin with an unhardened path', parse(`tr([${fp}/0]${xpub}/<0;1>/*)`), 'KEY_INVALID'],
      ['an origin fingerprint that is not the key\'s', parse(`tr([deadbeef]${xpub}/<0;1>/*)`), 'KEY_INVALID'],
      ['an account xpub at depth 3 (not a group key)', parse(`tr(${master.derive("m/86'/1'/0'").publicExtendedKey}/<0;1>/*)`), 'KEY_INVALID'],
      ['a child xpub at depth 1, with its true origin', parse(`tr([${fp}/5]${master.deriveChild(5).publicExtendedKey}/<0;1>/*)`), 'KEY_INVALID'],
      ['rawtr()', parse(`rawtr(${xonly})`), 'DESCRIPTOR_INVALID'],
      ['multi_a in a leaf', parse(`tr(${xpub}/<0;1>/*,multi_a(1,${xonly}))`), 'DESCRIPTOR_INVALID'],
      ['tr inside wsh', parse(`wsh(tr(${xpub}/<0;1>/*))`), 'DESCRIPTOR_INVALID'],
      ['a missing checksum', () => parseVaultDescriptor(`tr(${xpub}/<0;1>/*)`, 'regtest', VAULT_KINDS), 'DESCRIPTOR_CHECKSUM'],
      ['a wrong checksum', () => parseVaultDescriptor(formatVaultDescriptor(regtest).replace(/#.*/, '#qqqqqqqq'), 'regtest', VAULT_KINDS), 'DESCRIPTOR_CHECKSUM'],
      ['an unknown network', () => parseVaultDescriptor(formatVaultDescriptor(regtest), 'litecoin' as NetworkName, VAULT_KINDS), 'VALIDATION_FAILED'],
      ['format: a tpub for mainnet', () => formatVaultDescriptor({ ...regtest, network: 'mainnet' }), 'KEY_INVALID'],
      ['format: a depth-1 key', () => formatVaultDescriptor({ ...regtest, groupXpub: master.deriveChild(0).publicExtendedKey }), 'KEY_INVALID'],
      ['format: not a key', () => singlePathDescriptors({ ...regtest, groupXpub: 'tpubnonsense' }), 'KEY_INVALID'],
      ['hash: an unknown kind', () => descriptorHash({ ...regtest, kind: 'tr-musig' } as unknown as VaultDescriptor), 'DESCRIPTOR_INVALID'],
      ['derive: change 2', () => deriveVaultScript(regtest, 2 as 0, 0), 'VALIDATION_FAILED'],
      ['derive: a hardened index', () => deriveVaultScript(regtest, 0, H), 'VALIDATION_FAILED'],
      ['derive: a depth-1 key', () => deriveVaultScript({ ...regtest, groupXpub: master.deriveChild(0).publicExtendedKey }, 0, 0), 'KEY_INVALID'],
    ];
    it.each(cases)('%s', (_name, fn, code) => {
      expect(errorOf(fn).code).toBe(code);
    });
  });

  it('refuses a private key without repeating it', () => {
    const tprv = groupMaster(0x11, 'regtest').privateExtendedKey;
    const err = errorOf(() => parseVaultDescriptor(addChecksum(`tr(${tprv}/<0;1>/*)`), 'regtest', VAULT_KINDS));
    expect(err.message).toMatch(/private/);
    expect(err.message).not.toContain(tprv.slice(4, 30));
  });
});

interface Transcript {
  entries: Array<{ note: string; request: { method: string; params: unknown[] }; httpStatus: number; response: { result: unknown } }>;
}

describeWithVectors('Bitcoin Core regtest transcript: tr() addresses', (dir) => {
  const t = readVectorJson<Transcript>(dir, 'bitcoin-core-regtest-rpc-transcript.json');
  const trCalls = t.entries.filter((e) => e.request.method === 'deriveaddresses' && e.httpStatus === 200 && String(e.request.params[0]).startsWith('tr('));

  it('has a tr() deriveaddresses call', () => {
    expect(trCalls.length).toBeGreaterThanOrEqual(1);
  });

  it.each(trCalls.map((e) => [e.note, e] as const))('%s: the BIP341 key-path tweak the vault uses gives Core\'s address', (_note, entry) => {
    const [address] = entry.response.result as string[];
    const key = /^tr\(([0-9a-f]{64})\)#/.exec(String(entry.request.params[0]));
    expect(key).not.toBeNull();
    // The same two steps deriveVaultScript takes for a FROST vault after BIP32 derivation.
    const internalKey = Uint8Array.from(Buffer.from(key![1], 'hex'));
    expect(segwitAddress(trScript(taprootOutputKey(internalKey)), 'bcrt')).toBe(address);
  });
});
