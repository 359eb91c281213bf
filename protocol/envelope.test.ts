/**
 * Signed envelopes (BIP340 Schnorr over a per-type tagged hash of the RFC 8785 form) and
 * identity fingerprints. Clock and randomness are injected, so every envelope here is
 * reproducible; each attack asserts the exact error code a verifier reports.
 */
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalBytes } from './canonical-json';
import {
  envelopeDigest, envelopeTag, identityPublicKey, MAX_ENVELOPE_TTL_SECONDS, signEnvelope, verifyEnvelope,
  type Envelope, type SignOptions,
} from './envelope';
import { ConclaveError, type ErrorCode } from './errors';
import { identityFingerprint } from './identity';

const NOW = new Date('2026-03-02T12:00:00.000Z');
const TYPE = 'withdrawal.approve';
const BODY = { withdrawalId: 'w-1', intentHash: 'ab'.repeat(32), outputs: [{ amount: '400000' }] };
const ALICE = new Uint8Array(32).fill(7);
const MALLORY = new Uint8Array(32).fill(9);

/** Deterministic randomness: successive calls return successive counter bytes. */
function counterBytes(): (length: number) => Uint8Array {
  let counter = 0;
  return (length) => Uint8Array.from({ length }, () => counter++ & 0xff);
}

function sign(overrides: Partial<SignOptions> = {}, secretKey = ALICE, type = TYPE): Envelope<typeof BODY> {
  return signEnvelope(type, BODY, secretKey, { now: NOW, randomBytes: counterBytes(), ...overrides });
}

function at(offsetSeconds: number): Date {
  return new Date(NOW.getTime() + offsetSeconds * 1000);
}

function refusal(fn: () => unknown): ConclaveError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConclaveError);
    return error as ConclaveError;
  }
  throw new Error('expected a ConclaveError');
}

function expectRefused(input: unknown, code: ErrorCode, options: { now?: Date; expectedType?: string } = {}): ConclaveError {
  const error = refusal(() => verifyEnvelope(input, { now: options.now ?? NOW, expectedType: options.expectedType ?? TYPE }));
  expect(error.code).toBe(code);
  return error;
}

/** Signs arbitrary created/expires values by hand, as a forger holding the key could. */
function signWindow(created: Date, expires: Date): Envelope {
  const unsigned = {
    v: 1 as const, type: TYPE, body: BODY, signer: identityPublicKey(ALICE),
    nonce: '00'.repeat(16), created: created.toISOString(), expires: expires.toISOString(),
  };
  return { ...unsigned, sig: bytesToHex(schnorr.sign(envelopeDigest(unsigned), ALICE, new Uint8Array(32))) };
}

describe('signEnvelope / verifyEnvelope round trip', () => {
  test('a signed envelope verifies and carries the injected clock, randomness and signer key', () => {
    const envelope = sign();
    expect(verifyEnvelope(envelope, { now: NOW, expectedType: TYPE })).toEqual(envelope);
    expect(envelope).toMatchObject({
      v: 1, type: TYPE, body: BODY, signer: bytesToHex(schnorr.getPublicKey(ALICE)),
      nonce: '000102030405060708090a0b0c0d0e0f',
      created: '2026-03-02T12:00:00.000Z', expires: '2026-03-02T12:10:00.000Z',
    });
    expect(envelope.sig).toMatch(/^[0-9a-f]{128}$/);
  });

  test('is reproducible with the same clock and randomness', () => {
    expect(sign()).toEqual(sign());
  });

  test('survives a JSON round trip with reordered keys (verifier re-canonicalizes)', () => {
    const envelope = sign();
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(envelope).reverse()))) as unknown;
    expect(verifyEnvelope(reordered, { now: NOW, expectedType: TYPE }).body).toEqual(BODY);
  });

  test('the same body signed twice gets different nonces, and both verify', () => {
    const randomBytes = counterBytes();
    const first = signEnvelope(TYPE, BODY, ALICE, { now: NOW, randomBytes });
    const second = signEnvelope(TYPE, BODY, ALICE, { now: NOW, randomBytes });
    expect(second.nonce).not.toBe(first.nonce);
    expect(second.sig).not.toBe(first.sig);
    for (const envelope of [first, second]) expect(verifyEnvelope(envelope, { now: NOW, expectedType: TYPE }).nonce).toBe(envelope.nonce);
  });

  test('the digest is a tagged hash whose tag names the message type', () => {
    const { sig: _sig, ...unsigned } = sign();
    expect(envelopeTag(TYPE)).toBe('Conclave/envelope/withdrawal.approve');
    const tagHash = sha256(utf8ToBytes(envelopeTag(TYPE)));
    expect(bytesToHex(envelopeDigest(unsigned))).toBe(bytesToHex(sha256(concatBytes(tagHash, tagHash, canonicalBytes(unsigned)))));
  });
});

describe('attacks on the signature', () => {
  test('a tampered body is refused with ENVELOPE_BAD_SIGNATURE', () => {
    const envelope = sign();
    expectRefused({ ...envelope, body: { ...BODY, withdrawalId: 'w-2' } }, 'ENVELOPE_BAD_SIGNATURE');
  });

  test('swapping in another signer key is refused with ENVELOPE_BAD_SIGNATURE', () => {
    const envelope = sign();
    const error = expectRefused({ ...envelope, signer: identityPublicKey(MALLORY) }, 'ENVELOPE_BAD_SIGNATURE');
    expect(error.message).toContain(identityPublicKey(MALLORY));
  });

  test('an envelope Mallory signed but labelled with Alice as signer is refused with ENVELOPE_BAD_SIGNATURE', () => {
    const mallory = sign({}, MALLORY);
    expectRefused({ ...mallory, signer: identityPublicKey(ALICE) }, 'ENVELOPE_BAD_SIGNATURE');
  });

  test('an envelope of another type is refused with ENVELOPE_WRONG_TYPE', () => {
    const error = expectRefused(sign(), 'ENVELOPE_WRONG_TYPE', { expectedType: 'withdrawal.reject' });
    expect(error.message).toContain('"withdrawal.reject"');
  });

  test('domain separation: a signature for type A does not verify after the type field is rewritten to B', () => {
    const approve = sign();
    // The verifier asks for B and the type field says B, so the type check passes; the digest
    // (tag Conclave/envelope/B) no longer matches what was signed, giving ENVELOPE_BAD_SIGNATURE.
    expectRefused({ ...approve, type: 'withdrawal.reject' }, 'ENVELOPE_BAD_SIGNATURE', { expectedType: 'withdrawal.reject' });
  });
});

describe('validity window', () => {
  test('accepted until the expiry instant, refused with ENVELOPE_EXPIRED one millisecond later', () => {
    const envelope = sign();
    expect(verifyEnvelope(envelope, { now: at(600), expectedType: TYPE })).toEqual(envelope);
    expectRefused(envelope, 'ENVELOPE_EXPIRED', { now: new Date(at(600).getTime() + 1) });
  });

  test('created far in the future is refused with ENVELOPE_EXPIRED; within the clock skew it is accepted', () => {
    expect(refusal(() => verifyEnvelope(sign({ now: at(3600) }), { now: NOW, expectedType: TYPE })).code).toBe('ENVELOPE_EXPIRED');
    expect(verifyEnvelope(sign({ now: at(240) }), { now: NOW, expectedType: TYPE }).created).toBe(at(240).toISOString());
  });

  test('a window longer than 24 hours is refused with ENVELOPE_EXPIRED even when validly signed', () => {
    const tooLong = signWindow(NOW, at(MAX_ENVELOPE_TTL_SECONDS + 1));
    expect(expectRefused(tooLong, 'ENVELOPE_EXPIRED').message).toContain('too long');
    expect(verifyEnvelope(signWindow(NOW, at(MAX_ENVELOPE_TTL_SECONDS)), { now: NOW, expectedType: TYPE }).type).toBe(TYPE);
  });

  test('an empty window (expires not after created) is refused with ENVELOPE_EXPIRED', () => {
    expectRefused(signWindow(NOW, NOW), 'ENVELOPE_EXPIRED');
  });

  test('signEnvelope refuses a ttl beyond 24 hours or not positive with VALIDATION_FAILED', () => {
    expect(refusal(() => sign({ ttlSeconds: MAX_ENVELOPE_TTL_SECONDS + 1 })).code).toBe('VALIDATION_FAILED');
    expect(refusal(() => sign({ ttlSeconds: 0 })).code).toBe('VALIDATION_FAILED');
  });

  test('checkTime: false accepts a year-old envelope when re-verifying stored evidence, but still checks the signature', () => {
    const envelope = sign();
    const later = at(365 * 24 * 3600);
    expectRefused(envelope, 'ENVELOPE_EXPIRED', { now: later });
    expect(verifyEnvelope(envelope, { now: later, expectedType: TYPE, checkTime: false })).toEqual(envelope);
    const tampered = { ...envelope, body: { ...BODY, withdrawalId: 'w-2' } };
    expect(refusal(() => verifyEnvelope(tampered, { now: later, expectedType: TYPE, checkTime: false })).code)
      .toBe('ENVELOPE_BAD_SIGNATURE');
  });
});

describe('malformed envelopes are refused with ENVELOPE_INVALID', () => {
  const envelope = sign();
  const without = (field: keyof Envelope): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...envelope };
    delete copy[field];
    return copy;
  };

  test.each([
    ['an extra field', { ...envelope, extra: 1 }],
    ['a missing nonce', without('nonce')],
    ['a missing body', without('body')],
    ['a missing sig', without('sig')],
    ['an uppercase sig', { ...envelope, sig: envelope.sig.toUpperCase() }],
    ['an uppercase signer', { ...envelope, signer: envelope.signer.toUpperCase() }],
    ['an uppercase nonce', { ...envelope, nonce: envelope.nonce.toUpperCase() }],
    ['a short sig', { ...envelope, sig: envelope.sig.slice(2) }],
    ['another version', { ...envelope, v: 2 }],
    ['a created that is not an ISO timestamp', { ...envelope, created: 'yesterday' }],
    ['a string instead of an object', JSON.stringify(envelope)],
    ['null', null],
  ])('%s', (_name, input) => {
    expectRefused(input, 'ENVELOPE_INVALID');
  });
});

describe('identityFingerprint', () => {
  const alice = identityPublicKey(ALICE);
  const mallory = identityPublicKey(MALLORY);

  test('is ten groups of four uppercase hex digits: the first 20 bytes of the tagged hash', () => {
    const fingerprint = identityFingerprint(alice);
    expect(fingerprint).toMatch(/^[0-9A-F]{4}( [0-9A-F]{4}){9}$/);
    const tagHash = sha256(utf8ToBytes('Conclave/identity-fingerprint'));
    const digest = sha256(concatBytes(tagHash, tagHash, hexToBytes(alice)));
    expect(fingerprint.replace(/ /g, '')).toBe(bytesToHex(digest.slice(0, 20)).toUpperCase());
  });

  test('is deterministic and differs for different keys', () => {
    expect(identityFingerprint(alice)).toBe(identityFingerprint(alice));
    expect(identityFingerprint(mallory)).not.toBe(identityFingerprint(alice));
  });

  test.each([
    ['a non-hex key', 'zz'.repeat(32)],
    ['an uppercase key', alice.toUpperCase()],
    ['a 31-byte key', alice.slice(2)],
    ['a 33-byte compressed key', `02${alice}`],
  ])('rejects %s with KEY_INVALID', (_name, key) => {
    expect(refusal(() => identityFingerprint(key)).code).toBe('KEY_INVALID');
  });
});
