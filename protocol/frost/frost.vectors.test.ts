/**
 * Upstream vectors, read unchanged from the shared folder, through the FROST code Conclave uses:
 * - Zcash Foundation FROST-secp256k1-SHA256-TR-v1 signing and DKG (`zf-frost-secp256k1-tr-*`)
 *   through Conclave's signing.ts wrappers over `schnorr_FROST`, and the DKG output through
 *   baseKeyFromDkg and the BIP341 tweak arithmetic of child-key.ts;
 * - RFC 9591 / CFRG and Zcash Foundation FROST(secp256k1, SHA-256) (`cfrg-*`, `zf-frost-secp256k1-*`)
 *   through `secp256k1_FROST`, checking the primitives underneath;
 * - BIP340 sign/verify rows, and the BIP341 key-path-only tweaks (scriptPubKey and keyPathSpending
 *   rows without a script tree) through taprootTweakKey.
 * Every expected value comes from a vector file.
 */
import { schnorr, schnorr_FROST, secp256k1, secp256k1_FROST } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type * as noble from '@noble/curves/abstract/frost.js';
import { segwitAddress, trScript } from '../descriptor';
import { describeWithVectors, readVector, readVectorJson } from '../../test/vectors/locate';
import {
  aggregateSignature, baseKeyFromDkg, commitNonces, groupKeyFromRound1Commitments, signShare,
  taprootTweakKey, tapTweakScalar, verifyShare, type FrostBaseShare,
} from './index';

const Point = secp256k1.Point;
const scalar = (hex: string): bigint => BigInt('0x' + hex);
const mulG = (hex: string): Uint8Array<ArrayBuffer> => Uint8Array.from(Point.BASE.multiply(scalar(hex)).toBytes(true));
/** noble's types want ArrayBuffer-backed bytes. */
const bytes = (hex: string): Uint8Array<ArrayBuffer> => Uint8Array.from(hexToBytes(hex));

interface SigningVector {
  config: { MAX_PARTICIPANTS: string; MIN_PARTICIPANTS: string; NUM_PARTICIPANTS: string };
  inputs: {
    participant_list: number[];
    group_secret_key: string;
    verifying_key_key?: string;
    group_public_key?: string;
    message: string;
    share_polynomial_coefficients: string[];
    participant_shares: Array<{ identifier: number; participant_share: string }>;
  };
  round_one_outputs: { outputs: Array<{
    identifier: number; hiding_nonce_randomness: string; binding_nonce_randomness: string; hiding_nonce: string; binding_nonce: string;
    hiding_nonce_commitment: string; binding_nonce_commitment: string;
  }> };
  round_two_outputs: { outputs: Array<{ identifier: number; sig_share: string }> };
  final_output: { sig: string };
}

type Suite = typeof schnorr_FROST;

/** The dealer's public package and shares as the vector states them. */
function packageOf(suite: Suite, v: SigningVector): { pub: noble.FrostPublic; secrets: Map<number, noble.FrostSecret> } {
  const groupKey = v.inputs.verifying_key_key ?? v.inputs.group_public_key!;
  const pub: noble.FrostPublic = {
    signers: { min: Number(v.config.MIN_PARTICIPANTS), max: Number(v.config.MAX_PARTICIPANTS) },
    commitments: [bytes(groupKey), ...v.inputs.share_polynomial_coefficients.map(mulG)],
    verifyingShares: Object.fromEntries(v.inputs.participant_shares.map((s) => [suite.Identifier.fromNumber(s.identifier), mulG(s.participant_share)])),
  };
  const secrets = new Map(v.inputs.participant_shares.map((s) =>
    [s.identifier, { identifier: suite.Identifier.fromNumber(s.identifier), signingShare: bytes(s.participant_share) }]));
  return { pub, secrets };
}

/** An rng that hands out the vector's nonce randomness, in the order commit() asks for it. */
function replay(...chunks: string[]): (n?: number) => Uint8Array<ArrayBuffer> {
  const queue = chunks.map(bytes);
  return (n = 32) => {
    const next = queue.shift();
    if (!next || next.length !== n) throw new Error('vector randomness exhausted or of the wrong length');
    return next;
  };
}

function signingVectorSuite(file: string, conclave: boolean, dir: string): void {
  const v = readVectorJson<SigningVector>(dir, file);
  const suite: Suite = conclave ? schnorr_FROST : secp256k1_FROST;
  const { pub, secrets } = packageOf(suite, v);
  const msg = hexToBytes(v.inputs.message);
  const groupKey = pub.commitments[0];

  it('the group key is the group secret times G, and every share is consistent with the commitments', () => {
    expect(bytesToHex(mulG(v.inputs.group_secret_key))).toBe(bytesToHex(groupKey));
    for (const s of secrets.values()) expect(() => suite.validateSecret(s, pub)).not.toThrow();
    expect(v.round_one_outputs.outputs.map((o) => o.identifier)).toEqual(v.inputs.participant_list);
  });

  // Round 1: nonces from the vector's randomness; round 2 and aggregation from those nonces.
  const rounds = v.round_one_outputs.outputs.map((o) => {
    const secret = secrets.get(o.identifier)!;
    const rng = replay(o.hiding_nonce_randomness, o.binding_nonce_randomness);
    return { o, secret, gen: conclave ? commitNonces(secret, rng) : suite.commit(secret, rng) };
  });
  const commitments = rounds.map((r) => r.gen.commitments) as noble.NonceCommitments[];

  it.each(rounds.map((r) => [r.o.identifier, r]))('participant %i: nonces and commitments from the vector randomness', (_id, r) => {
    expect(bytesToHex(r.gen.nonces.hiding)).toBe(r.o.hiding_nonce);
    expect(bytesToHex(r.gen.nonces.binding)).toBe(r.o.binding_nonce);
    expect(bytesToHex(r.gen.commitments.hiding)).toBe(r.o.hiding_nonce_commitment);
    expect(bytesToHex(r.gen.commitments.binding)).toBe(r.o.binding_nonce_commitment);
  });

  it('signature shares, their verification and the aggregate signature match the vector', () => {
    const shares: Record<string, Uint8Array> = {};
    for (const r of rounds) {
      const expected = v.round_two_outputs.outputs.find((x) => x.identifier === r.o.identifier)!.sig_share;
      const nonces = { hiding: r.gen.nonces.hiding.slice(), binding: r.gen.nonces.binding.slice() };
      const share = conclave ? signShare(r.secret, pub, nonces, commitments, msg) : suite.signShare(r.secret, pub, nonces, commitments, msg);
      expect(bytesToHex(share)).toBe(expected);
      const ok = conclave ? verifyShare(pub, commitments, msg, r.secret.identifier, share) : suite.verifyShare(pub, commitments, msg, r.secret.identifier, share);
      expect(ok).toBe(true);
      shares[r.secret.identifier] = share;
    }
    const sig = conclave
      ? aggregateSignature(pub, commitments, msg, shares, groupKey.slice(1))
      : suite.aggregate(pub, commitments, msg, shares);
    expect(bytesToHex(sig)).toBe(v.final_output.sig);
    if (conclave) expect(schnorr.verify(sig, msg, groupKey.slice(1))).toBe(true);
    expect(suite.verify(sig, msg, groupKey)).toBe(true);
  });
}

interface DkgVector {
  config: { MAX_PARTICIPANTS: number; MIN_PARTICIPANTS: number };
  inputs: Record<string, unknown> & { verifying_key: string };
}
interface DkgParticipant {
  identifier: number; signing_key: string; coefficient: string; vss_commitments: string[]; proof_of_knowledge: string;
  signing_shares: Record<string, string>; verifying_share: string; signing_share: string;
}

function dkgVectorSuite(file: string, tr: boolean, dir: string): void {
  const v = readVectorJson<DkgVector>(dir, file);
  const suite: Suite = tr ? schnorr_FROST : secp256k1_FROST;
  const signers = { min: v.config.MIN_PARTICIPANTS, max: v.config.MAX_PARTICIPANTS };
  const parts = Object.keys(v.inputs).filter((k) => /^[0-9]+$/.test(k)).map((k) => v.inputs[k] as DkgParticipant);
  const id = (n: number | string): string => suite.Identifier.fromNumber(Number(n));
  const round1 = parts.map((p) => ({ identifier: id(p.identifier), commitment: p.vss_commitments.map(bytes), proofOfKnowledge: bytes(p.proof_of_knowledge) }));
  // Each participant's round-1 state, rebuilt from its polynomial in the vector.
  const state = (p: DkgParticipant): noble.DKG_Secret => ({
    identifier: BigInt(p.identifier), coefficients: [scalar(p.signing_key), scalar(p.coefficient)],
    commitment: p.vss_commitments.map(bytes), signers, step: 1,
  });
  const others = <T>(list: T[], i: number): T[] => list.filter((_, j) => j !== i);

  it('each polynomial commits to the vector VSS commitments', () => {
    for (const p of parts) {
      const poly = suite.utils.generateSecretPolynomial(signers, hexToBytes(p.signing_key), [scalar(p.coefficient)]);
      expect(poly.commitment.map(bytesToHex)).toEqual(p.vss_commitments);
    }
  });

  const states = parts.map(state);
  const round2 = states.map((s, i) => suite.DKG.round2(s, others(round1, i)));
  const round3 = states.map((s, i) => suite.DKG.round3(s, others(round1, i), others(round2, i).map((m) => m[id(parts[i].identifier)])));

  it('round 2 (proofs of knowledge checked) sends the vector shares', () => {
    parts.forEach((p, i) => {
      for (const [from, share] of Object.entries(p.signing_shares)) {
        const j = parts.findIndex((q) => q.identifier === Number(from));
        expect(bytesToHex(round2[j][id(p.identifier)].signingShare)).toBe(share);
        expect(i).not.toBe(j);
      }
    });
  });

  it(`round 3 gives the vector ${tr ? '(BIP341-tweaked) ' : ''}group key, signing and verifying shares`, () => {
    parts.forEach((p, i) => {
      expect(bytesToHex(round3[i].public.commitments[0])).toBe(v.inputs.verifying_key);
      expect(bytesToHex(round3[i].secret.signingShare)).toBe(p.signing_share);
      expect(bytesToHex(round3[i].public.verifyingShares[id(p.identifier)])).toBe(p.verifying_share);
    });
  });

  if (!tr) return;

  it('baseKeyFromDkg undoes the tweak, and taprootTweakKey redoes it to the vector values', () => {
    const P = groupKeyFromRound1Commitments(parts.map((p) => hexToBytes(p.vss_commitments[0])));
    const bases = round3.map((o) => baseKeyFromDkg(o, P));
    const key = bases[0].key;
    expect(bytesToHex(key.groupKey.slice(1))).toBe(bytesToHex(P.slice(1)));
    expect(key.groupKey[0]).toBe(2);
    parts.forEach((p, i) => {
      expect(bases[i].key).toEqual(key);
      const share: FrostBaseShare = bases[i].share;
      const retweaked = taprootTweakKey({
        commitments: key.commitments.map((c) => Point.fromBytes(c)),
        verifyingShares: Object.fromEntries(Object.entries(key.verifyingShares).map(([k, x]) => [k, Point.fromBytes(x)])),
        signingShare: scalar(bytesToHex(share.signingShare)),
      });
      expect(retweaked.tweak).toBe(tapTweakScalar(P.slice(1)));
      expect(bytesToHex(retweaked.key.commitments[0].toBytes(true))).toBe(v.inputs.verifying_key);
      expect(retweaked.key.signingShare!.toString(16).padStart(64, '0')).toBe(p.signing_share);
      expect(bytesToHex(retweaked.key.verifyingShares[id(p.identifier)].toBytes(true))).toBe(p.verifying_share);
    });
  });
}

describeWithVectors('FROST-secp256k1-SHA256-TR-v1 (Zcash Foundation) through Conclave signing', (dir) => {
  describe('zf-frost-secp256k1-tr-vectors.json', () => signingVectorSuite('zf-frost-secp256k1-tr-vectors.json', true, dir));
  describe('zf-frost-secp256k1-tr-vectors-big-identifier.json', () => signingVectorSuite('zf-frost-secp256k1-tr-vectors-big-identifier.json', true, dir));
  describe('zf-frost-secp256k1-tr-vectors_dkg.json', () => dkgVectorSuite('zf-frost-secp256k1-tr-vectors_dkg.json', true, dir));
});

describeWithVectors('FROST(secp256k1, SHA-256) primitives through secp256k1_FROST', (dir) => {
  describe('cfrg-frost-secp256k1-sha256.json (RFC 9591 E.5)', () => signingVectorSuite('cfrg-frost-secp256k1-sha256.json', false, dir));
  describe('zf-frost-secp256k1-vectors.json', () => signingVectorSuite('zf-frost-secp256k1-vectors.json', false, dir));
  describe('zf-frost-secp256k1-vectors-big-identifier.json', () => signingVectorSuite('zf-frost-secp256k1-vectors-big-identifier.json', false, dir));
  describe('zf-frost-secp256k1-vectors_dkg.json', () => dkgVectorSuite('zf-frost-secp256k1-vectors_dkg.json', false, dir));
});

describeWithVectors('BIP340 test vectors (the verifier aggregateSignature relies on)', (dir) => {
  const lines = readVector(dir, 'bip0340-test-vectors.csv').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const col = (name: string): number => header.indexOf(name);
  const rows = lines.slice(1).map((line) => line.split(','));

  it.each(rows.filter((r) => r[col('secret key')] !== '').map((r) => [r[col('index')], r]))('row %s: signs to the vector signature', (_i, r) => {
    const sk = hexToBytes(r[col('secret key')].toLowerCase());
    expect(bytesToHex(schnorr.getPublicKey(sk))).toBe(r[col('public key')].toLowerCase());
    const sig = schnorr.sign(hexToBytes(r[col('message')].toLowerCase()), sk, hexToBytes(r[col('aux_rand')].toLowerCase()));
    expect(bytesToHex(sig)).toBe(r[col('signature')].toLowerCase());
  });

  it.each(rows.map((r) => [r[col('index')], r[col('verification result')], r[col('comment')] ?? '', r]))('row %s: verify is %s %s', (_i, expected, _c, r) => {
    const ok = schnorr.verify(hexToBytes(r[col('signature')].toLowerCase()), hexToBytes(r[col('message')].toLowerCase()), hexToBytes(r[col('public key')].toLowerCase()));
    expect(ok).toBe(expected === 'TRUE');
  });
});

interface Bip341 {
  scriptPubKey: Array<{
    given: { internalPubkey: string; scriptTree: unknown };
    intermediary: { tweak: string; tweakedPubkey: string };
    expected: { scriptPubKey: string; bip350Address: string };
  }>;
  keyPathSpending: Array<{ inputSpending: Array<{
    given: { internalPrivkey: string; merkleRoot: string | null; hashType: number };
    intermediary: { internalPubkey: string; tweak: string; tweakedPrivkey: string; sigHash: string };
    expected: { witness: string[] };
  }> }>;
}

describeWithVectors('BIP341 key-path tweaks through the FROST tweak arithmetic', (dir) => {
  const v = readVectorJson<Bip341>(dir, 'bip0341-wallet-test-vectors.json');
  // Conclave vaults are key-path only (no script tree): the rows without a merkle root apply.
  const outputs = v.scriptPubKey.filter((s) => s.given.scriptTree === null);
  const spends = v.keyPathSpending.flatMap((k) => k.inputSpending).filter((s) => s.given.merkleRoot === null);

  it('the vector file has key-path-only rows', () => {
    expect(outputs.length).toBeGreaterThan(0);
    expect(spends.length).toBeGreaterThan(0);
  });

  it.each(outputs.map((s) => [s.given.internalPubkey, s]))('scriptPubKey of internal key %s', (_k, s) => {
    const P = schnorr.utils.lift_x(scalar(s.given.internalPubkey));
    const { key, tweak } = taprootTweakKey({ commitments: [P], verifyingShares: {} });
    expect(tweak.toString(16).padStart(64, '0')).toBe(s.intermediary.tweak);
    const outputKey = key.commitments[0].toBytes(true).slice(1);
    expect(bytesToHex(outputKey)).toBe(s.intermediary.tweakedPubkey);
    expect(bytesToHex(trScript(outputKey))).toBe(s.expected.scriptPubKey);
    expect(segwitAddress(trScript(outputKey), 'bc')).toBe(s.expected.bip350Address);
  });

  it.each(spends.map((s) => [s.intermediary.internalPubkey, s]))('key-path spend by internal key %s: tweaked secret and signature', (_k, s) => {
    const d = scalar(s.given.internalPrivkey);
    const { key, tweak } = taprootTweakKey({ commitments: [Point.BASE.multiply(d)], verifyingShares: {}, signingShare: d });
    expect(bytesToHex(Point.BASE.multiply(d).toBytes(true).slice(1))).toBe(s.intermediary.internalPubkey);
    expect(tweak.toString(16).padStart(64, '0')).toBe(s.intermediary.tweak);
    expect(key.signingShare!.toString(16).padStart(64, '0')).toBe(s.intermediary.tweakedPrivkey);
    const sig = hexToBytes(s.expected.witness[0]).slice(0, 64);
    expect(schnorr.verify(sig, hexToBytes(s.intermediary.sigHash), key.commitments[0].toBytes(true).slice(1))).toBe(true);
  });

  it.each(spends.map((s) => [s.intermediary.internalPubkey, s]))('a 2-of-3 FROST key whose group secret is internal key %s signs the vector sighash for its output key', (_k, s) => {
    // Split the BIP341 internal secret among three keyholders; the vault's tweak arithmetic on
    // the whole package must land on the vector's output key, and a threshold signature on it.
    const d = scalar(s.given.internalPrivkey);
    const even = Point.BASE.multiply(d).y % 2n === 0n ? d : Point.Fn.neg(d); // the base key is even-Y
    const deal = schnorr_FROST.trustedDealer({ min: 2, max: 3 }, undefined, Point.Fn.toBytes(even));
    const tweaked = taprootTweakKey({
      commitments: deal.public.commitments.map((c) => Point.fromBytes(c)),
      verifyingShares: Object.fromEntries(Object.entries(deal.public.verifyingShares).map(([k, x]) => [k, Point.fromBytes(x)])),
    }).key;
    const outputKey = tweaked.commitments[0].toBytes(true).slice(1);
    const expectedOutput = Point.BASE.multiply(scalar(s.intermediary.tweakedPrivkey)).toBytes(true).slice(1);
    expect(bytesToHex(outputKey)).toBe(bytesToHex(expectedOutput));
    const pub = {
      signers: deal.public.signers,
      commitments: tweaked.commitments.map((c) => c.toBytes(true)),
      verifyingShares: Object.fromEntries(Object.entries(tweaked.verifyingShares).map(([k, x]) => [k, x.toBytes(true)])),
    };
    const t = tapTweakScalar(Point.BASE.multiply(even).toBytes(true).slice(1));
    const signers = Object.values(deal.secretShares).slice(0, 2).map((sec) => ({
      identifier: sec.identifier, signingShare: Point.Fn.toBytes(Point.Fn.add(scalar(bytesToHex(sec.signingShare)), t)),
    }));
    const msg = hexToBytes(s.intermediary.sigHash);
    const gens = signers.map((sec) => commitNonces(sec, randomBytes));
    const list = gens.map((g) => g.commitments);
    const shares = Object.fromEntries(signers.map((sec, i) => [sec.identifier, signShare(sec, pub, gens[i].nonces, list, msg)]));
    expect(schnorr.verify(aggregateSignature(pub, list, msg, shares, expectedOutput), msg, expectedOutput)).toBe(true);
  });
});
