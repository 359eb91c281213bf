/**
 * The FROST signing wrappers and wire forms under bad input: every decoder answers garbage with
 * a ConclaveError of its own code, verifyShare answers false and never throws, and a bad share
 * is named by identifier.
 */
import fc from 'fast-check';
import { schnorr, schnorr_FROST, secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { ConclaveError } from '../errors';
import {
  aggregateSignature, commitNonces, decodeCommitmentList, decodeCommitments, decodeNonces, decodeSignatureShare,
  encodeCommitments, encodeNonces, encodeSignatureShare, invalidShares, signShare, verifyShare,
  type FrostPublic, type FrostSecret, type NonceCommitments, type Nonces,
} from './index';

const N = secp256k1.Point.Fn.ORDER;
const hex32 = (n: bigint): string => n.toString(16).padStart(64, '0');

function thrown(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConclaveError) return e;
    throw e;
  }
  throw new Error('expected a ConclaveError, but nothing was thrown');
}

/** A 2-of-3 dealer key: the wrappers work on any noble package, tweaked or not. */
const deal = schnorr_FROST.trustedDealer({ min: 2, max: 3 });
const pub: FrostPublic = deal.public;
const secrets: FrostSecret[] = Object.values(deal.secretShares);
const outputKey = pub.commitments[0].slice(1);

interface Round { msg: Uint8Array; commitments: NonceCommitments[]; nonces: Nonces[]; shares: Record<string, Uint8Array> }

function round(signers: FrostSecret[] = secrets.slice(0, 2)): Round {
  const msg = randomBytes(32);
  const gen = signers.map((s) => commitNonces(s, randomBytes));
  const commitments = gen.map((g) => g.commitments);
  const nonces = gen.map((g) => ({ hiding: g.nonces.hiding.slice(), binding: g.nonces.binding.slice() }));
  const shares = Object.fromEntries(signers.map((s, i) => [s.identifier, signShare(s, pub, gen[i].nonces, commitments, msg)]));
  return { msg, commitments, nonces, shares };
}

describe('FROST signing round', () => {
  it('signs, verifies each share and aggregates to a BIP340 signature under the output key', () => {
    const r = round();
    for (const [id, share] of Object.entries(r.shares)) expect(verifyShare(pub, r.commitments, r.msg, id, share)).toBe(true);
    expect(invalidShares(pub, r.commitments, r.msg, r.shares)).toEqual([]);
    const sig = aggregateSignature(pub, r.commitments, r.msg, r.shares, outputKey);
    expect(schnorr.verify(sig, r.msg, outputKey)).toBe(true);
  });

  it('names the signer whose share is invalid', () => {
    const r = round();
    const [good, bad] = Object.keys(r.shares);
    const forged = { ...r.shares, [bad]: hexToScalarBytes(BigInt('0x' + bytesToHex(r.shares[bad])) ^ 1n) };
    expect(verifyShare(pub, r.commitments, r.msg, bad, forged[bad])).toBe(false);
    expect(verifyShare(pub, r.commitments, r.msg, good, forged[good])).toBe(true);
    expect(invalidShares(pub, r.commitments, r.msg, forged)).toEqual([bad]);
    const e = thrown(() => aggregateSignature(pub, r.commitments, r.msg, forged, outputKey));
    expect(e.code).toBe('FROST_SHARE_INVALID');
    expect(e.details).toEqual({ identifiers: [bad] });
  });

  it('names missing, malformed and unasked-for shares', () => {
    const r = round();
    const [a, b] = Object.keys(r.shares);
    const outsider = secrets[2].identifier;
    expect(invalidShares(pub, r.commitments, r.msg, { [a]: r.shares[a] })).toEqual([b]);
    expect(invalidShares(pub, r.commitments, r.msg, { ...r.shares, [outsider]: r.shares[a] })).toEqual([outsider]);
    expect(thrown(() => aggregateSignature(pub, r.commitments, r.msg, { [a]: r.shares[a] }, outputKey)).details).toEqual({ identifiers: [b] });
    expect(thrown(() => aggregateSignature(pub, r.commitments, r.msg, { ...r.shares, [b]: new Uint8Array(31) }, outputKey)).details)
      .toEqual({ identifiers: [b] });
    expect(thrown(() => aggregateSignature(pub, r.commitments, r.msg, { ...r.shares, [outsider]: r.shares[a] }, outputKey)).details)
      .toEqual({ identifiers: [outsider] });
  });

  it('refuses to return a signature that does not verify under the expected output key', () => {
    const r = round();
    const otherKey = schnorr.getPublicKey(schnorr.utils.randomSecretKey());
    expect(thrown(() => aggregateSignature(pub, r.commitments, r.msg, r.shares, otherKey)).code).toBe('FROST_SIGNATURE_INVALID');
    expect(thrown(() => aggregateSignature(pub, r.commitments, r.msg, r.shares, outputKey.slice(1))).code).toBe('FROST_KEY_INVALID');
  });

  it('signShare refuses used nonces, nonces of another commitment, and lists without this signer', () => {
    const [alice, bob, carol] = secrets;
    const ga = commitNonces(alice, randomBytes);
    const gb = commitNonces(bob, randomBytes);
    const msg = randomBytes(32);
    const list = [ga.commitments, gb.commitments];
    signShare(alice, pub, ga.nonces, list, msg);
    expect(thrown(() => signShare(alice, pub, ga.nonces, list, msg)).code).toBe('FROST_NONCE_INVALID'); // zeroed by the first use
    expect(thrown(() => signShare(bob, pub, commitNonces(bob, randomBytes).nonces, list, msg)).code).toBe('FROST_NONCE_INVALID');
    const gc = commitNonces(carol, randomBytes);
    expect(thrown(() => signShare(carol, pub, gc.nonces, list, msg)).code).toBe('FROST_COMMITMENT_INVALID');
    expect(thrown(() => signShare(bob, pub, gb.nonces, [gb.commitments], msg)).code).toBe('FROST_COMMITMENT_INVALID');
    expect(thrown(() => signShare(bob, pub, gb.nonces, [gb.commitments, gb.commitments], msg)).code).toBe('FROST_COMMITMENT_INVALID');
    expect(thrown(() => signShare(bob, pub, { hiding: new Uint8Array(32), binding: new Uint8Array(32) }, list, msg)).code).toBe('FROST_NONCE_INVALID');
  });

  it('a reloaded byte copy of used nonces is NOT refused here: the signer journal must refuse it (invariant 4)', () => {
    const [alice, bob] = secrets;
    const ga = commitNonces(alice, randomBytes);
    const gb = commitNonces(bob, randomBytes);
    const stored = encodeNonces(ga.nonces);
    const list = [ga.commitments, gb.commitments];
    signShare(alice, pub, ga.nonces, list, randomBytes(32));
    expect(() => signShare(alice, pub, decodeNonces(stored), list, randomBytes(32))).not.toThrow();
  });

  it('commitNonces takes its randomness from the injected function only', () => {
    expect(thrown(() => commitNonces(secrets[0], () => new Uint8Array(16))).code).toBe('VALIDATION_FAILED');
    const fixed = (n: number): Uint8Array => new Uint8Array(n).fill(9);
    expect(commitNonces(secrets[0], fixed)).toEqual(commitNonces(secrets[0], fixed));
    expect(thrown(() => commitNonces({ identifier: 'zz', signingShare: new Uint8Array(32) }, randomBytes)).code).toBe('FROST_KEY_INVALID');
  });
});

describe('verifyShare never throws', () => {
  const r = round();
  const [id] = Object.keys(r.shares);
  const share = r.shares[id];
  const cases: Array<[string, () => boolean]> = [
    ['null package', () => verifyShare(null as unknown as FrostPublic, r.commitments, r.msg, id, share)],
    ['package without verifying shares', () => verifyShare({ ...pub, verifyingShares: {} }, r.commitments, r.msg, id, share)],
    ['commitments not a list', () => verifyShare(pub, 'x' as unknown as NonceCommitments[], r.msg, id, share)],
    ['commitment with a bad point', () => verifyShare(pub, [{ ...r.commitments[0], hiding: new Uint8Array(33) }, r.commitments[1]], r.msg, id, share)],
    ['unknown identifier', () => verifyShare(pub, r.commitments, r.msg, 'ab', share)],
    ['identifier of a non-signer', () => verifyShare(pub, r.commitments, r.msg, secrets[2].identifier, share)],
    ['share of 31 bytes', () => verifyShare(pub, r.commitments, r.msg, id, share.slice(1))],
    ['share >= n', () => verifyShare(pub, r.commitments, r.msg, id, hexToScalarBytes(N))],
    ['share not bytes', () => verifyShare(pub, r.commitments, r.msg, id, 'share' as unknown as Uint8Array)],
    ['message not bytes', () => verifyShare(pub, r.commitments, 7 as unknown as Uint8Array, id, share)],
    ['another message', () => verifyShare(pub, r.commitments, randomBytes(32), id, share)],
    ['another signer\'s share', () => verifyShare(pub, r.commitments, r.msg, Object.keys(r.shares)[1], share)],
  ];
  it.each(cases)('%s: false', (_name, call) => {
    expect(call()).toBe(false);
  });

  it('random bytes as share, commitments and package: false, never a throw', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.uint8Array({ minLength: 33, maxLength: 33 }), (bytes, point) => {
      expect(verifyShare(pub, r.commitments, r.msg, id, bytes)).toBe(false);
      expect(verifyShare(pub, [{ ...r.commitments[0], binding: point }, r.commitments[1]], r.msg, id, share)).toBe(false);
      expect(verifyShare({ ...pub, verifyingShares: { ...pub.verifyingShares, [id]: point } }, r.commitments, r.msg, id, share)).toBe(false);
    }), { numRuns: 50 });
  });
});

describe('wire forms', () => {
  const g = commitNonces(secrets[0], randomBytes);
  const wire = encodeCommitments(g.commitments);

  it('round-trip commitments, shares and nonces byte for byte', () => {
    expect(decodeCommitments(JSON.parse(JSON.stringify(wire)))).toEqual(g.commitments);
    expect(decodeCommitmentList([wire])).toEqual([g.commitments]);
    const r = round();
    for (const s of Object.values(r.shares)) expect(decodeSignatureShare(encodeSignatureShare(s))).toEqual(s);
    const stored = encodeNonces(g.nonces);
    expect(stored.length).toBe(65);
    expect(decodeNonces(stored)).toEqual(g.nonces);
  });

  const notOnCurve = '02' + 'f'.repeat(64);
  const badCommitments: Array<[string, unknown]> = [
    ['null', null], ['a string', 'abc'], ['an array', [wire]], ['missing binding', { identifier: wire.identifier, hiding: wire.hiding }],
    ['an extra field', { ...wire, extra: 1 }], ['uppercase hex', { ...wire, hiding: wire.hiding.toUpperCase() }],
    ['short point', { ...wire, hiding: wire.hiding.slice(2) }], ['uncompressed prefix', { ...wire, binding: '04' + wire.binding.slice(2) }],
    ['x not on the curve', { ...wire, hiding: notOnCurve }], ['non-hex', { ...wire, binding: 'zz' + wire.binding.slice(2) }],
    ['identifier zero', { ...wire, identifier: '0'.repeat(64) }], ['identifier n', { ...wire, identifier: hex32(N) }],
    ['identifier not 64 hex', { ...wire, identifier: '1' }], ['identifier a number', { ...wire, identifier: 1 }],
    ['point a number', { ...wire, hiding: 5 }],
  ];
  it.each(badCommitments)('commitments: %s -> FROST_COMMITMENT_INVALID', (_name, value) => {
    expect(thrown(() => decodeCommitments(value)).code).toBe('FROST_COMMITMENT_INVALID');
  });

  it('commitment lists: empty, not a list, or a participant twice -> FROST_COMMITMENT_INVALID', () => {
    for (const value of [[], {}, 'x', [wire, wire]]) expect(thrown(() => decodeCommitmentList(value)).code).toBe('FROST_COMMITMENT_INVALID');
  });

  const badShares: Array<[string, unknown]> = [
    ['n', hex32(N)], ['2^256 - 1', 'f'.repeat(64)], ['31 bytes', '00'.repeat(31)], ['33 bytes', '00'.repeat(33)],
    ['uppercase', 'A'.repeat(64)], ['bytes, not hex', new Uint8Array(32)], ['undefined', undefined], ['a number', 7],
  ];
  it.each(badShares)('signature share: %s -> FROST_SHARE_INVALID', (_name, value) => {
    expect(thrown(() => decodeSignatureShare(value)).code).toBe('FROST_SHARE_INVALID');
  });

  const stored = encodeNonces(commitNonces(secrets[1], randomBytes).nonces);
  const badNonces: Array<[string, unknown]> = [
    ['64 bytes (no version)', stored.slice(1)], ['66 bytes', new Uint8Array([...stored, 0])], ['version 2', Uint8Array.of(2, ...stored.slice(1))],
    ['zero hiding nonce', Uint8Array.of(1, ...new Uint8Array(32), ...stored.slice(33))],
    ['binding nonce n', Uint8Array.of(1, ...stored.slice(1, 33), ...hexToScalarBytes(N))], ['hex text', bytesToHex(stored)], ['null', null],
  ];
  it.each(badNonces)('nonces: %s -> FROST_NONCE_INVALID', (_name, value) => {
    expect(thrown(() => decodeNonces(value)).code).toBe('FROST_NONCE_INVALID');
  });

  it('does not store used (zeroed) nonces', () => {
    expect(thrown(() => encodeNonces({ hiding: new Uint8Array(32), binding: new Uint8Array(32) })).code).toBe('FROST_NONCE_INVALID');
  });

  it('decoders answer arbitrary input with a ConclaveError or a value, never another exception', () => {
    const onlyConclave = (fn: () => unknown): void => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ConclaveError);
      }
    };
    fc.assert(fc.property(fc.anything(), (value) => {
      onlyConclave(() => decodeCommitments(value));
      onlyConclave(() => decodeCommitmentList(value));
      onlyConclave(() => decodeSignatureShare(value));
      onlyConclave(() => decodeNonces(value));
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.uint8Array({ minLength: 65, maxLength: 65 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 66, maxLength: 66 }), (bytes, text) => {
      onlyConclave(() => decodeNonces(bytes));
      onlyConclave(() => decodeCommitments({ ...wire, hiding: text }));
    }), { numRuns: 300 });
  });
});

function hexToScalarBytes(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
