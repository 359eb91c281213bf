/**
 * Property-based tests (fast-check) of the decoders that take untrusted bytes: the PSBT
 * decoder and the envelope verifier. Whatever the input, they answer with a ConclaveError and
 * a stable code, never another exception; a mutated valid envelope never verifies.
 */
import fc from 'fast-check';
import { signEnvelope, verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError, isErrorCode } from '../../protocol/errors';
import { decodePsbt } from '../../protocol/psbt';
import { NOW, alice, fixedRandom, honestIntent, psbt } from '../support/withdrawal-fixture';

const RUNS = 300;

function outcome(run: () => unknown): 'ok' | string {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof ConclaveError && isErrorCode(error.code)) return error.code;
    throw error;
  }
}

describe('PSBT decoder under random and mutated input', () => {
  const valid = Buffer.from(psbt(), 'base64');

  it('answers random bytes with a ConclaveError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      expect(outcome(() => decodePsbt(bytes))).not.toBe('ok');
    }), { numRuns: RUNS });
  });

  it('answers random bytes behind the PSBT magic with a ConclaveError, never a crash', () => {
    const magic = Uint8Array.from([0x70, 0x73, 0x62, 0x74, 0xff]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (tail) => {
      outcome(() => decodePsbt(Uint8Array.from([...magic, ...tail])));
    }), { numRuns: RUNS });
  });

  it('answers a valid PSBT with bytes flipped, cut or inserted with a result or a ConclaveError', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat({ max: valid.length - 1 }), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat({ max: valid.length - 1 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat({ max: valid.length - 1 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    );
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      let bytes = Uint8Array.from(valid);
      for (const m of mutations) {
        const at = Math.min(m.at, bytes.length - 1);
        if (m.kind === 'flip') bytes[at]! ^= m.mask;
        else if (m.kind === 'cut') bytes = bytes.slice(0, at);
        else bytes = Uint8Array.from([...bytes.slice(0, at), ...m.bytes, ...bytes.slice(at)]);
      }
      outcome(() => decodePsbt(bytes));
    }), { numRuns: RUNS });
  });
});

describe('envelope verifier under random and mutated input', () => {
  const envelope = signEnvelope('withdrawal.propose', honestIntent(), alice.identitySecret, { now: NOW, randomBytes: fixedRandom });

  it('answers any JSON value with a ConclaveError', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expect(outcome(() => verifyEnvelope(value, { now: NOW, expectedType: 'withdrawal.propose' }))).not.toBe('ok');
    }), { numRuns: RUNS });
  });

  it('never verifies an envelope with any field replaced', () => {
    const fields = Object.keys(envelope) as Array<keyof typeof envelope>;
    fc.assert(fc.property(fc.constantFrom(...fields), fc.jsonValue(), (field, value) => {
      fc.pre(JSON.stringify(value) !== JSON.stringify(envelope[field]));
      const mutated = { ...envelope, [field]: value };
      expect(outcome(() => verifyEnvelope(mutated, { now: NOW, expectedType: 'withdrawal.propose' }))).not.toBe('ok');
    }), { numRuns: RUNS });
  });

  it('never verifies an envelope whose intent has one value changed', () => {
    const paths = ['requestId', 'feeRate', 'maxFee', 'memo', 'expiresAt', 'policyHash', 'vaultId'] as const;
    fc.assert(fc.property(fc.constantFrom(...paths), fc.string({ maxLength: 40 }), (key, value) => {
      const body = envelope.body as Record<string, unknown>;
      fc.pre(body[key] !== value);
      const mutated = { ...envelope, body: { ...body, [key]: value } };
      expect(outcome(() => verifyEnvelope(mutated, { now: NOW, expectedType: 'withdrawal.propose' }))).toBe('ENVELOPE_BAD_SIGNATURE');
    }), { numRuns: RUNS });
  });
});
