/**
 * FROST vault keys end to end in one process: a real noble DKG (2-of-3 and 3-of-5), the base
 * key recovered from its tweaked output, the vault xpub, and per-address child keys whose
 * threshold signatures verify under the output key that @scure/btc-signer, the project's own
 * descriptor code and Bitcoin Core (regtest transcript) give for the same address.
 */
import { HDKey } from '@scure/bip32';
import { p2tr } from '@scure/btc-signer';
import { schnorr, schnorr_FROST, secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type * as noble from '@noble/curves/abstract/frost.js';
import { ConclaveError } from '../errors';
import { networkParams } from '../network';
import { descriptorOutputScript, expandMultipath, parseDescriptor, segwitAddress, trScript } from '../descriptor';
import { describeWithVectors, readVectorJson } from '../../test/vectors/locate';
import {
  aggregateSignature, assertBaseKey, baseKeyFromDkg, bip32PublicTweak, childPublicPackage, childSigningKey, commitNonces,
  groupKeyFromRound1Commitments, groupXpub, signShare, taprootTweakKey, verifyShare,
  type DkgRound3Output, type FrostBaseKey, type FrostBaseShare, type NonceCommitments,
} from './index';

const Point = secp256k1.Point;
const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };

interface Vault {
  readonly P: Uint8Array;
  readonly outputs: DkgRound3Output[];
  readonly key: FrostBaseKey;
  readonly shares: FrostBaseShare[];
}

/** A complete DKG among `max` participants, every round run as each participant would. */
function runDkg(min: number, max: number): Vault {
  const signers = { min, max };
  const ids = Array.from({ length: max }, (_, i) => schnorr_FROST.Identifier.fromNumber(i + 1));
  const r1 = ids.map((id) => schnorr_FROST.DKG.round1(id, signers));
  const others = <T>(list: T[], i: number): T[] => list.filter((_, j) => j !== i);
  const r2 = r1.map((p, i) => schnorr_FROST.DKG.round2(p.secret, others(r1, i).map((q) => q.public)));
  const outputs = r1.map((p, i) =>
    schnorr_FROST.DKG.round3(p.secret, others(r1, i).map((q) => q.public), others(r2, i).map((m) => m[ids[i]])));
  const P = groupKeyFromRound1Commitments(r1.map((p) => p.public.commitment[0]));
  const bases = outputs.map((o) => baseKeyFromDkg(o, P));
  return { P, outputs, key: bases[0].key, shares: bases.map((b) => b.share) };
}

/** DKGs until the untweaked group key has the wanted parity (each try is a coin flip). */
function dkgWithParity(min: number, max: number, odd: boolean): Vault {
  for (let i = 0; i < 64; i++) {
    const v = runDkg(min, max);
    if ((v.P[0] === 3) === odd) return v;
  }
  throw new Error('no DKG with the wanted parity in 64 tries');
}

function thrown(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConclaveError) return e;
    throw e;
  }
  throw new Error('expected a ConclaveError, but nothing was thrown');
}

function subsets<T>(list: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (list.length < k) return [];
  const [head, ...rest] = list;
  return [...subsets(rest, k - 1).map((s) => [head, ...s]), ...subsets(rest, k)];
}

/** One signing round for address (change, index) by `signers`, as the signer CLIs and the coordinator run it. */
function signAt(vault: Vault, chainCode: Uint8Array, change: 0 | 1, index: number, signers: readonly FrostBaseShare[], msg: Uint8Array): Uint8Array {
  const keys = signers.map((s) => childSigningKey(vault.key, s, chainCode, change, index));
  const rounds = keys.map((k) => commitNonces(k.secret, randomBytes));
  const commitments: NonceCommitments[] = rounds.map((r) => r.commitments);
  const shares = Object.fromEntries(keys.map((k, i) => [k.secret.identifier, signShare(k.secret, k.public, rounds[i].nonces, commitments, msg)]));
  const coordinator = childPublicPackage(vault.key, chainCode, change, index);
  for (const [id, share] of Object.entries(shares)) expect(verifyShare(coordinator.public, commitments, msg, id, share)).toBe(true);
  return aggregateSignature(coordinator.public, commitments, msg, shares, coordinator.outputKey);
}

/** The first index on a chain whose child has the wanted parity of internal key P_i or output key Q. */
function findIndex(vault: Vault, chainCode: Uint8Array, change: 0 | 1, which: 'internal' | 'output'): number {
  const xpub = HDKey.fromExtendedKey(groupXpub(vault.key, chainCode, 'regtest'), networkParams('regtest').bip32);
  for (let index = 0; index < 256; index++) {
    const odd = which === 'internal'
      ? xpub.deriveChild(change).deriveChild(index).publicKey![0] === 3
      : childPublicPackage(vault.key, chainCode, change, index).public.commitments[0][0] === 3;
    if (odd) return index;
  }
  throw new Error(`no odd ${which} key in 256 indexes`);
}

describe('FROST base key from a noble DKG', () => {
  for (const odd of [false, true]) {
    it(`undoes noble's round-3 TapTweak exactly (untweaked P with ${odd ? 'odd' : 'even'} Y)`, () => {
      const v = dkgWithParity(2, 3, odd);
      expect(v.key.groupKey[0]).toBe(2);
      expect(bytesToHex(v.key.groupKey.slice(1))).toBe(bytesToHex(v.P.slice(1)));
      // every participant recovers the same base key
      for (const o of v.outputs) expect(baseKeyFromDkg(o, v.P).key).toEqual(v.key);
      // re-applying the BIP341 tweak gives noble's round-3 package back, byte for byte
      v.outputs.forEach((o, i) => {
        const retweaked = taprootTweakKey({
          commitments: v.key.commitments.map((c) => Point.fromBytes(c)),
          verifyingShares: Object.fromEntries(Object.entries(v.key.verifyingShares).map(([id, p]) => [id, Point.fromBytes(p)])),
          signingShare: BigInt('0x' + bytesToHex(v.shares[i].signingShare)),
        }).key;
        expect(bytesToHex(retweaked.commitments[0].toBytes(true))).toBe(bytesToHex(o.public.commitments[0]));
        for (const [id, V] of Object.entries(o.public.verifyingShares)) expect(bytesToHex(retweaked.verifyingShares[id].toBytes(true))).toBe(bytesToHex(V));
        expect(retweaked.signingShare!.toString(16).padStart(64, '0')).toBe(bytesToHex(o.secret.signingShare));
      });
      // the base shares interpolate to the secret of even(P)
      const secret = schnorr_FROST.combineSecret(v.shares.slice(0, 2), { min: 2, max: 3 });
      expect(bytesToHex(Point.BASE.multiply(BigInt('0x' + bytesToHex(secret))).toBytes(true))).toBe(bytesToHex(v.key.groupKey));
    });
  }

  it('refuses a group key the output was not tweaked from, and altered packages', () => {
    const v = runDkg(2, 3);
    const other = runDkg(2, 3);
    expect(thrown(() => baseKeyFromDkg(v.outputs[0], other.P)).code).toBe('FROST_KEY_INVALID');
    const o = v.outputs[0];
    const badShare = { ...o, secret: { ...o.secret, signingShare: other.outputs[0].secret.signingShare } };
    expect(thrown(() => baseKeyFromDkg(badShare, v.P)).code).toBe('FROST_KEY_INVALID');
    const [firstId] = Object.keys(o.public.verifyingShares);
    const badVerifying = { ...o, public: { ...o.public, verifyingShares: { ...o.public.verifyingShares, [firstId]: Point.BASE.toBytes(true) } } };
    expect(thrown(() => baseKeyFromDkg(badVerifying, v.P)).code).toBe('FROST_KEY_INVALID');
    expect(thrown(() => baseKeyFromDkg({} as DkgRound3Output, v.P)).code).toBe('FROST_KEY_INVALID');
    expect(thrown(() => baseKeyFromDkg(o, new Uint8Array(33))).code).toBe('FROST_KEY_INVALID');
    expect(thrown(() => assertBaseKey({ ...v.key, groupKey: Point.fromBytes(v.key.groupKey).negate().toBytes(true) })).code).toBe('FROST_KEY_INVALID');
  });

  it('sums round-1 commitments strictly', () => {
    expect(thrown(() => groupKeyFromRound1Commitments([])).code).toBe('FROST_KEY_INVALID');
    expect(thrown(() => groupKeyFromRound1Commitments([Point.BASE.toBytes(true), new Uint8Array(33).fill(7)])).code).toBe('FROST_KEY_INVALID');
    const G = Point.BASE;
    expect(thrown(() => groupKeyFromRound1Commitments([G.toBytes(true), G.negate().toBytes(true)])).code).toBe('FROST_KEY_INVALID');
    expect(bytesToHex(groupKeyFromRound1Commitments([G.toBytes(true), G.toBytes(true)]))).toBe(bytesToHex(G.double().toBytes(true)));
  });

  it('builds a depth-0 xpub (mainnet) or tpub (test networks) on the even group key', () => {
    const v = runDkg(2, 3);
    const chainCode = randomBytes(32);
    for (const network of ['mainnet', 'testnet', 'regtest'] as const) {
      const text = groupXpub(v.key, chainCode, network);
      expect(text.slice(0, 4)).toBe(network === 'mainnet' ? 'xpub' : 'tpub');
      const hd = HDKey.fromExtendedKey(text, networkParams(network).bip32);
      expect(hd.depth).toBe(0);
      expect(bytesToHex(hd.publicKey!)).toBe(bytesToHex(v.key.groupKey));
      expect(bytesToHex(hd.chainCode!)).toBe(bytesToHex(chainCode));
    }
    expect(thrown(() => groupXpub(v.key, new Uint8Array(31), 'mainnet')).code).toBe('FROST_KEY_INVALID');
  });
});

describe.each([[2, 3], [3, 5]])('FROST %i-of-%i vault addresses tr(xpub/<0;1>/*)', (min, max) => {
  const vault = runDkg(min, max);
  const chainCode = randomBytes(32);
  const tpub = groupXpub(vault.key, chainCode, 'regtest');
  const [receiveDescriptor, changeDescriptor] = expandMultipath(parseDescriptor(`tr(${tpub}/<0;1>/*)`));
  const hd = HDKey.fromExtendedKey(tpub, networkParams('regtest').bip32);
  const addresses: Array<[0 | 1, number, string]> = [
    [0, 0, 'first receive'], [1, 0, 'first change'], [0, 7, 'receive'], [1, 1000, 'change'],
    [0, findIndex(vault, chainCode, 0, 'internal'), 'receive, odd-Y internal key'],
    [1, findIndex(vault, chainCode, 1, 'internal'), 'change, odd-Y internal key'],
    [0, findIndex(vault, chainCode, 0, 'output'), 'receive, odd-Y output key'],
    [1, findIndex(vault, chainCode, 1, 'output'), 'change, odd-Y output key'],
  ];

  it.each(addresses)('child %i/%i (%s): keys match BIP32, btc-signer p2tr and the descriptor', (change, index) => {
    const child = childPublicPackage(vault.key, chainCode, change, index);
    const bip32Child = hd.deriveChild(change).deriveChild(index).publicKey!;
    expect(bytesToHex(child.internalKey)).toBe(bytesToHex(bip32Child.slice(1)));
    const payment = p2tr(child.internalKey, undefined, REGTEST);
    expect(bytesToHex(child.outputKey)).toBe(bytesToHex(payment.tweakedPubkey));
    const script = descriptorOutputScript(change === 0 ? receiveDescriptor : changeDescriptor, index);
    expect(bytesToHex(script)).toBe(bytesToHex(payment.script));
    expect(segwitAddress(script, 'bcrt')).toBe(payment.address);
    expect(bytesToHex(child.public.commitments[0].slice(1))).toBe(bytesToHex(child.outputKey));
  });

  it.each(addresses)('child %i/%i (%s): every threshold subset signs, verifying under the p2tr output key', (change, index) => {
    const outputKey = p2tr(childPublicPackage(vault.key, chainCode, change, index).internalKey, undefined, REGTEST).tweakedPubkey;
    for (const signers of subsets(vault.shares, min)) {
      const msg = randomBytes(32);
      const sig = signAt(vault, chainCode, change, index, signers, msg);
      expect(sig.length).toBe(64);
      expect(schnorr.verify(sig, msg, outputKey)).toBe(true);
    }
  });

  it('covers odd-Y internal and output keys on both chains', () => {
    const parity = addresses.map(([change, index]) => ({
      change,
      internal: hd.deriveChild(change).deriveChild(index).publicKey![0],
      output: childPublicPackage(vault.key, chainCode, change, index).public.commitments[0][0],
    }));
    for (const change of [0, 1]) {
      expect(parity.some((p) => p.change === change && p.internal === 3)).toBe(true);
      expect(parity.some((p) => p.change === change && p.output === 3)).toBe(true);
    }
  });

  it('a subset below the threshold cannot sign', () => {
    const msg = randomBytes(32);
    const few = vault.shares.slice(0, min - 1);
    const keys = few.map((s) => childSigningKey(vault.key, s, chainCode, 0, 3));
    const rounds = keys.map((k) => commitNonces(k.secret, randomBytes));
    const commitments = rounds.map((r) => r.commitments);
    // Conclave refuses the short commitment list outright...
    expect(thrown(() => signShare(keys[0].secret, keys[0].public, rounds[0].nonces, commitments, msg)).code).toBe('FROST_COMMITMENT_INVALID');
    // ...and lying about the threshold does not help: the shares do not combine to a signature.
    // (noble itself refuses a threshold below 2, so this needs t - 1 >= 2.)
    if (min - 1 < 2) return;
    const lie = { ...keys[0].public, signers: { min: min - 1, max } };
    const shares = Object.fromEntries(keys.map((k, i) => [k.secret.identifier, schnorr_FROST.signShare(k.secret as noble.FrostSecret, lie as noble.FrostPublic, rounds[i].nonces as noble.Nonces, commitments as noble.NonceCommitments[], msg)]));
    const coordinator = childPublicPackage(vault.key, chainCode, 0, 3);
    expect(thrown(() => aggregateSignature({ ...coordinator.public, signers: { min: min - 1, max } }, commitments, msg, shares, coordinator.outputKey)).code)
      .toBe('FROST_SIGNATURE_INVALID');
  });

  it('a share of another address or another vault does not sign', () => {
    const msg = randomBytes(32);
    const signers = vault.shares.slice(0, min);
    const keys = signers.map((s) => childSigningKey(vault.key, s, chainCode, 0, 1));
    const rounds = keys.map((k) => commitNonces(k.secret, randomBytes));
    const commitments = rounds.map((r) => r.commitments);
    const wrong = childSigningKey(vault.key, signers[0], chainCode, 0, 2); // another index
    const shares = Object.fromEntries(keys.map((k, i) => [k.secret.identifier,
      signShare(i === 0 ? wrong.secret : k.secret, k.public, rounds[i].nonces, commitments, msg)]));
    const coordinator = childPublicPackage(vault.key, chainCode, 0, 1);
    const e = thrown(() => aggregateSignature(coordinator.public, commitments, msg, shares, coordinator.outputKey));
    expect(e.code).toBe('FROST_SHARE_INVALID');
    expect(e.details).toEqual({ identifiers: [signers[0].identifier] });
    const stranger = runDkg(min, max).shares[0];
    expect(thrown(() => childSigningKey(vault.key, stranger, chainCode, 0, 1)).code).toBe('FROST_KEY_INVALID');
  });

  it('refuses hardened, negative or out-of-range child numbers and chains other than 0 and 1', () => {
    expect(thrown(() => childPublicPackage(vault.key, chainCode, 2, 0)).code).toBe('VALIDATION_FAILED');
    expect(thrown(() => childPublicPackage(vault.key, chainCode, 0, -1)).code).toBe('VALIDATION_FAILED');
    expect(thrown(() => childPublicPackage(vault.key, chainCode, 0, 0x80000000)).code).toBe('VALIDATION_FAILED');
    expect(thrown(() => childPublicPackage(vault.key, chainCode, 0, 1.5)).code).toBe('VALIDATION_FAILED');
    expect(thrown(() => bip32PublicTweak(vault.key.groupKey, chainCode, [0x80000000])).code).toBe('FROST_KEY_INVALID');
    expect(thrown(() => childPublicPackage(vault.key, new Uint8Array(32).subarray(1), 0, 0)).code).toBe('FROST_KEY_INVALID');
  });
});

interface TranscriptEntry { note: string; request: { method: string; params: unknown[] }; response: { result: unknown } }

describeWithVectors('FROST key-path tweak against Bitcoin Core regtest deriveaddresses for tr(KEY)', (dir) => {
  const { entries } = readVectorJson<{ entries: TranscriptEntry[] }>(dir, 'bitcoin-core-regtest-rpc-transcript.json');
  const answers = entries.filter((e) => e.request.method === 'deriveaddresses' && /^tr\([0-9a-f]{64}\)/.test(String(e.request.params[0])));

  it('the transcript has a deriveaddresses answer for tr() of a bare x-only key', () => {
    expect(answers.length).toBeGreaterThan(0);
  });

  it.each(answers.map((e) => [String(e.request.params[0]), (e.response.result as string[])[0]]))('%s -> %s', (descriptor, address) => {
    const internal = hexToBytes(/^tr\(([0-9a-f]{64})\)/.exec(descriptor)![1]);
    const P = schnorr.utils.lift_x(BigInt('0x' + bytesToHex(internal)));
    const Q = taprootTweakKey({ commitments: [P], verifyingShares: {} }).key.commitments[0];
    const outputKey = Q.toBytes(true).slice(1);
    expect(segwitAddress(trScript(outputKey), 'bcrt')).toBe(address);
    expect(p2tr(internal, undefined, REGTEST).address).toBe(address);
    expect(segwitAddress(descriptorOutputScript(parseDescriptor(descriptor)), 'bcrt')).toBe(address);
  });
});
