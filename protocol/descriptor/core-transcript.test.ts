/**
 * The vault descriptor against a real Bitcoin Core (regtest transcript in the shared vectors):
 * the keyholders' BIP48 account keys rebuilt from their BIP39 mnemonics, Core's checksums for
 * the multipath, receive and change descriptors, the addresses `deriveaddresses` returned, and
 * Core's refusals of broken descriptors.
 */
import { HDKey } from '@scure/bip32';
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { ConclaveError } from '../errors';
import { networkParams } from '../network';
import { describeWithVectors, readVectorJson } from '../../test/vectors/locate';
import {
  descriptorChecksum, descriptorOutputScript, descriptorToString, expandMultipath, deriveVaultScript, formatVaultDescriptor,
  parseDescriptor, parseVaultDescriptor, segwitAddress, singlePathDescriptors, type MultisigVaultDescriptor,
} from './index';

interface Transcript {
  node: string;
  keyholders: Array<{ mnemonic: string; fingerprint: string; path: string; tpub: string }>;
  receiveDescriptor: string;
  changeDescriptor: string;
  entries: Array<{
    note: string;
    request: { method: string; params: unknown[] };
    httpStatus: number;
    response: { result: unknown; error: { code: number; message: string } | null };
  }>;
}
interface DescriptorInfo { descriptor: string; checksum: string; multipath_expansion?: string[] }

function thrown(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConclaveError) return e;
    throw e;
  }
  throw new Error('expected a ConclaveError, but nothing was thrown');
}

describeWithVectors('Bitcoin Core regtest transcript: the 2-of-3 vault descriptor', (dir) => {
  const t = readVectorJson<Transcript>(dir, 'bitcoin-core-regtest-rpc-transcript.json');
  const network = 'regtest' as const;
  const calls = (method: string) => t.entries.filter((e) => e.request.method === method);
  const descriptorCalls = [...calls('getdescriptorinfo'), ...calls('deriveaddresses')];
  const succeeded = descriptorCalls.filter((e) => e.httpStatus === 200);
  const failed = descriptorCalls.filter((e) => e.httpStatus !== 200);

  const vault: MultisigVaultDescriptor = {
    kind: 'wsh-sortedmulti',
    network,
    threshold: 2,
    keys: t.keyholders.map((k) => ({ fingerprint: k.fingerprint, path: k.path, xpub: k.tpub })),
  };
  const infoFor = (descriptor: string): DescriptorInfo => {
    const entry = calls('getdescriptorinfo').find((e) => e.request.params[0] === descriptor && e.httpStatus === 200);
    if (!entry) throw new Error(`no getdescriptorinfo call for ${descriptor.slice(0, 40)}...`);
    return entry.response.result as DescriptorInfo;
  };

  it('is a regtest transcript with three keyholders and the calls this suite needs', () => {
    expect(t.node).toBe('regtest');
    expect(t.keyholders).toHaveLength(3);
    expect(calls('deriveaddresses').filter((e) => e.httpStatus === 200).length).toBeGreaterThanOrEqual(2);
    expect(failed.length).toBeGreaterThanOrEqual(3);
  });

  it.each(t.keyholders.map((k, i) => [i, k] as const))('keyholder %i: fingerprint and tpub follow from the mnemonic at m/48h/1h/0h/2h', (_i, k) => {
    expect(validateMnemonic(k.mnemonic, wordlist)).toBe(true);
    const master = HDKey.fromMasterSeed(mnemonicToSeedSync(k.mnemonic), networkParams(network).bip32);
    expect(master.fingerprint.toString(16).padStart(8, '0')).toBe(k.fingerprint);
    expect(k.path).toBe('48h/1h/0h/2h');
    expect(master.derive("m/48'/1'/0'/2'").publicExtendedKey).toBe(k.tpub);
  });

  it('formats the multipath descriptor byte for byte as given to Core, with the checksum Core computed', () => {
    const multipathCall = calls('getdescriptorinfo').find((e) => String(e.request.params[0]).includes('/<0;1>/*'));
    expect(multipathCall).toBeDefined();
    const text = String(multipathCall!.request.params[0]);
    const info = multipathCall!.response.result as DescriptorInfo;
    expect(formatVaultDescriptor(vault)).toBe(`${text}#${info.checksum}`);
    expect(info.multipath_expansion).toEqual([t.receiveDescriptor, t.changeDescriptor]);
    expect(expandMultipath(parseDescriptor(text)).map((d) => descriptorToString(d))).toEqual(info.multipath_expansion);
  });

  it('gives the receive and change descriptors Core wrote, with its checksums', () => {
    const { receive, change } = singlePathDescriptors(vault);
    expect(receive).toBe(t.receiveDescriptor);
    expect(change).toBe(t.changeDescriptor);
    expect(infoFor(receive.split('#')[0]).descriptor).toBe(receive);
    expect(infoFor(change.split('#')[0]).descriptor).toBe(change);
  });

  it('parses its own canonical text back to the same vault, also with apostrophe markers', () => {
    const text = formatVaultDescriptor(vault);
    expect(parseVaultDescriptor(text, network)).toEqual(vault);
    const body = text.split('#')[0].replace(/h\//g, "'/").replace(/h\]/g, "']");
    expect(body).toContain("48'/1'/0'/2'");
    expect(parseVaultDescriptor(`${body}#${descriptorChecksum(body)}`, network)).toEqual(vault);
  });

  it.each(succeeded.map((e) => [e.note, e] as const))('%s: same checksum and addresses as Core', (_note, entry) => {
    const text = String(entry.request.params[0]);
    if (entry.request.method === 'getdescriptorinfo') {
      const info = entry.response.result as DescriptorInfo;
      expect(descriptorChecksum(text)).toBe(info.checksum);
      const d = parseDescriptor(text);
      if (!info.multipath_expansion) expect(descriptorToString(d)).toBe(info.descriptor);
      return;
    }
    // deriveaddresses: a vault chain (through the vault API) or any other descriptor (generic).
    const addresses = entry.response.result as string[];
    const [start] = (entry.request.params[1] as [number, number] | undefined) ?? [0, 0];
    const chain = text === t.receiveDescriptor ? 0 : text === t.changeDescriptor ? 1 : undefined;
    addresses.forEach((address, i) => {
      if (chain !== undefined) {
        expect(deriveVaultScript(vault, chain, start + i).address).toBe(address);
      } else {
        const script = descriptorOutputScript(parseDescriptor(text, { requireChecksum: true }), start + i);
        expect(segwitAddress(script, networkParams(network).bech32)).toBe(address);
      }
    });
  });

  it('derived vault scripts carry sorted keys with their full BIP32 paths', () => {
    const s = deriveVaultScript(vault, 1, 2);
    expect(s.keys.map((k) => Buffer.from(k.pubkey).toString('hex'))).toEqual(
      s.keys.map((k) => Buffer.from(k.pubkey).toString('hex')).sort(),
    );
    const H = 0x80000000;
    for (const k of s.keys) {
      expect(t.keyholders.map((h) => h.fingerprint)).toContain(k.fingerprint);
      expect(k.path).toEqual([48 + H, 1 + H, 0 + H, 2 + H, 1, 2]);
    }
  });

  it.each(failed.map((e) => [e.note, e] as const))('%s: refused by us too', (_note, entry) => {
    const text = String(entry.request.params[0]);
    // Core requires a checksum for deriveaddresses, not for getdescriptorinfo.
    const requireChecksum = entry.request.method === 'deriveaddresses';
    const expected = /checksum/i.test(entry.response.error?.message ?? '') ? 'DESCRIPTOR_CHECKSUM' : 'DESCRIPTOR_INVALID';
    expect(thrown(() => parseDescriptor(text, { requireChecksum })).code).toBe(expected);
    expect(() => parseVaultDescriptor(text, network)).toThrow(ConclaveError);
  });
});
