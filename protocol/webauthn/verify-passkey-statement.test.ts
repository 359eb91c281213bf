import { p256 } from '@noble/curves/nist.js';
import { base64urlnopad } from '@scure/base';
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { ConclaveError } from '../errors';
import { SoftwarePasskey, TEST_ORIGIN, TEST_RP_ID } from '../../test/support/software-passkey';
import { type PinnedPasskey, verifyPasskeyStatement } from './verify-passkey-statement';

const SIGNER = 'aa'.repeat(32);
const OTHER = 'bb'.repeat(32);
const TYPE = 'withdrawal.approve';
const BODY = { withdrawalId: '6f1c1b0e-6d7a-4c43-9a5e-2f8b2b1d0c11', intentHash: 'cd'.repeat(32) };

const passkey = new SoftwarePasskey();
const pinned = (extra: PinnedPasskey[] = []) => (key: string): PinnedPasskey[] => (key === SIGNER ? [passkey.pinned, ...extra] : []);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  throw new Error('expected a ConclaveError');
}

describe('verifyPasskeyStatement', () => {
  it('accepts a statement signed by a pinned passkey and returns what it states', () => {
    const statement = passkey.statement(TYPE, BODY, SIGNER, new Date('2030-01-01T00:00:00.000Z'));
    const verified = verifyPasskeyStatement(statement, pinned(), TYPE, { rpId: TEST_RP_ID, origins: [TEST_ORIGIN] });
    expect(verified).toEqual({ signer: SIGNER, type: TYPE, body: BODY, created: '2030-01-01T00:00:00.000Z', credentialId: passkey.credentialId });
  });

  it('refuses a tampered body, signer or time (the challenge no longer matches)', () => {
    const statement = passkey.statement(TYPE, BODY, SIGNER);
    expect(codeOf(() => verifyPasskeyStatement({ ...statement, body: { ...BODY, intentHash: 'ce'.repeat(32) } }, pinned(), TYPE))).toBe('PASSKEY_CHALLENGE_MISMATCH');
    expect(codeOf(() => verifyPasskeyStatement({ ...statement, created: '2031-01-01T00:00:00.000Z' }, pinned(), TYPE))).toBe('PASSKEY_CHALLENGE_MISMATCH');
    // Another signer who pinned the same passkey still cannot claim the statement.
    expect(codeOf(() => verifyPasskeyStatement({ ...statement, signer: OTHER }, () => [passkey.pinned], TYPE))).toBe('PASSKEY_CHALLENGE_MISMATCH');
  });

  it('refuses a signature over other authenticator data', () => {
    const statement = passkey.statement(TYPE, BODY, SIGNER);
    const authData = base64urlnopad.decode(statement.authenticatorData);
    authData[36] = 7; // the sign counter
    expect(codeOf(() => verifyPasskeyStatement({ ...statement, authenticatorData: base64urlnopad.encode(authData) }, pinned(), TYPE))).toBe('PASSKEY_BAD_SIGNATURE');
  });

  it('refuses a credential that is not pinned for the signer, and a passkey pinned under another id', () => {
    const stranger = new SoftwarePasskey();
    const statement = stranger.statement(TYPE, BODY, SIGNER);
    expect(codeOf(() => verifyPasskeyStatement(statement, pinned(), TYPE))).toBe('PASSKEY_NOT_PINNED');
    expect(codeOf(() => verifyPasskeyStatement(passkey.statement(TYPE, BODY, OTHER), pinned(), TYPE))).toBe('PASSKEY_NOT_PINNED');
    // The stranger's assertion presented under the pinned credential id fails the pinned key.
    expect(codeOf(() => verifyPasskeyStatement({ ...statement, credentialId: passkey.credentialId }, pinned(), TYPE))).toBe('PASSKEY_BAD_SIGNATURE');
  });

  it('refuses an assertion without user verification or presence', () => {
    expect(codeOf(() => verifyPasskeyStatement(passkey.statement(TYPE, BODY, SIGNER, new Date(), { flags: 0x01 }), pinned(), TYPE))).toBe('PASSKEY_USER_NOT_VERIFIED');
    expect(codeOf(() => verifyPasskeyStatement(passkey.statement(TYPE, BODY, SIGNER, new Date(), { flags: 0x04 }), pinned(), TYPE))).toBe('PASSKEY_USER_NOT_VERIFIED');
  });

  it('refuses a statement of another type, and a registration response used as an assertion', () => {
    expect(codeOf(() => verifyPasskeyStatement(passkey.statement('withdrawal.cancel', BODY, SIGNER), pinned(), TYPE))).toBe('ENVELOPE_WRONG_TYPE');
    const created = passkey.statement(TYPE, BODY, SIGNER, new Date(), { clientDataType: 'webauthn.create' });
    expect(codeOf(() => verifyPasskeyStatement(created, pinned(), TYPE))).toBe('PASSKEY_CHALLENGE_MISMATCH');
  });

  it('refuses an assertion made for another challenge, relying party or origin', () => {
    const statement = passkey.statement(TYPE, BODY, SIGNER);
    const other = passkey.statement(TYPE, { ...BODY, intentHash: 'ef'.repeat(32) }, SIGNER);
    const swapped = { ...statement, clientDataJSON: other.clientDataJSON, signature: other.signature };
    expect(codeOf(() => verifyPasskeyStatement(swapped, pinned(), TYPE))).toBe('PASSKEY_CHALLENGE_MISMATCH');
    expect(codeOf(() => verifyPasskeyStatement(statement, pinned(), TYPE, { rpId: 'conclave.example' }))).toBe('PASSKEY_CHALLENGE_MISMATCH');
    expect(codeOf(() => verifyPasskeyStatement(statement, pinned(), TYPE, { origins: ['https://conclave.example'] }))).toBe('PASSKEY_CHALLENGE_MISMATCH');
  });

  it('refuses malformed statements with PASSKEY_INVALID', () => {
    const statement = passkey.statement(TYPE, BODY, SIGNER);
    expect(codeOf(() => verifyPasskeyStatement(null, pinned(), TYPE))).toBe('PASSKEY_INVALID');
    expect(codeOf(() => verifyPasskeyStatement({ ...statement, extra: 1 }, pinned(), TYPE))).toBe('PASSKEY_INVALID');
    expect(codeOf(() => verifyPasskeyStatement({ ...statement, authenticatorData: 'AAAA' }, pinned(), TYPE))).toBe('PASSKEY_INVALID');
    expect(codeOf(() => verifyPasskeyStatement({ ...statement, clientDataJSON: base64urlnopad.encode(new Uint8Array([0xff, 0xfe])) }, pinned(), TYPE))).toBe('PASSKEY_INVALID');
    const badKey = { credentialId: passkey.credentialId, publicKey: base64urlnopad.encode(new Uint8Array(40)) };
    expect(codeOf(() => verifyPasskeyStatement(statement, () => [badKey], TYPE))).toBe('PASSKEY_INVALID');
  });

  it('refuses a pinned key of another algorithm with a clear error', () => {
    const statement = passkey.statement(TYPE, BODY, SIGNER);
    const ed25519 = isoCBOR.encode(new Map<number, number | Uint8Array>([[1, 1], [3, -8], [-1, 6], [-2, new Uint8Array(32)]]));
    const rs256 = isoCBOR.encode(new Map<number, number | Uint8Array>([[1, 3], [3, -257], [-1, new Uint8Array(256)], [-2, Uint8Array.of(1, 0, 1)]]));
    for (const key of [ed25519, rs256]) {
      const pin = { credentialId: passkey.credentialId, publicKey: base64urlnopad.encode(key) };
      expect(codeOf(() => verifyPasskeyStatement(statement, () => [pin], TYPE))).toBe('PASSKEY_ALGORITHM_UNSUPPORTED');
    }
  });

  it('accepts a high-S signature, as authenticators do not normalize S', () => {
    // Re-sign until a high-S signature comes out, then check both the statement and the flip.
    let statement = passkey.statement(TYPE, BODY, SIGNER);
    for (let i = 0; i < 64; i++) {
      const sig = p256.Signature.fromBytes(base64urlnopad.decode(statement.signature), 'der');
      if (sig.hasHighS()) break;
      statement = passkey.statement(TYPE, BODY, SIGNER);
    }
    const sig = p256.Signature.fromBytes(base64urlnopad.decode(statement.signature), 'der');
    const high = sig.hasHighS() ? sig : new p256.Signature(sig.r, p256.Point.CURVE().n - sig.s);
    const highStatement = { ...statement, signature: base64urlnopad.encode(high.toBytes('der')) };
    expect(verifyPasskeyStatement(highStatement, pinned(), TYPE).signer).toBe(SIGNER);
  });
});

describe('SoftwarePasskey against @simplewebauthn/server', () => {
  it('registers with attestation "none" and signs in', async () => {
    const key = new SoftwarePasskey();
    const registration = await verifyRegistrationResponse({
      response: key.register('Y2hhbGxlbmdlLXJlZ2lzdHJhdGlvbg'),
      expectedChallenge: 'Y2hhbGxlbmdlLXJlZ2lzdHJhdGlvbg',
      expectedOrigin: TEST_ORIGIN,
      expectedRPID: TEST_RP_ID,
      requireUserVerification: true,
    });
    expect(registration.verified).toBe(true);
    expect(registration.registrationInfo?.credential.id).toBe(key.credentialId);
    expect(base64urlnopad.encode(registration.registrationInfo!.credential.publicKey)).toBe(key.pinned.publicKey);

    const authentication = await verifyAuthenticationResponse({
      response: key.assert('Y2hhbGxlbmdlLXNpZ24taW4'),
      expectedChallenge: 'Y2hhbGxlbmdlLXNpZ24taW4',
      expectedOrigin: TEST_ORIGIN,
      expectedRPID: TEST_RP_ID,
      credential: { id: key.credentialId, publicKey: key.cosePublicKey, counter: 0 },
      requireUserVerification: true,
    });
    expect(authentication.verified).toBe(true);
  });
});
