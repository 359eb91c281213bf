/**
 * End-to-end encryption of DKG round-2 shares to identity keys: round trips (also for keys
 * whose full point has odd Y), and every binding a hostile relay could try to break.
 */
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { keyholders, refusal, seededRandom } from './dkg.fixture';
import { openShare, sealShare, type SealedShare, type ShareContext } from './share-encryption';

const [alice, bob, carol] = keyholders(3, 'share-encryption');
const SHARE = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

function context(recipientKey = bob.key): ShareContext {
  return { setupId: '11'.repeat(16), paramsHash: '22'.repeat(32), sender: `${'00'.repeat(31)}01`, recipient: `${'00'.repeat(31)}02`, recipientKey };
}

function flip(hex: string, at = 0): string {
  const bytes = hex.match(/../g)!;
  bytes[at] = (parseInt(bytes[at], 16) ^ 1).toString(16).padStart(2, '0');
  return bytes.join('');
}

function expectDecryptRefused(ctx: ShareContext, sealed: SealedShare, secret = bob.secret): void {
  const error = refusal(() => openShare(ctx, sealed, secret, 'participant 1'));
  expect(error.code).toBe('FROST_DKG_DECRYPT');
  expect(error.message).toContain('participant 1');
}

describe('share encryption to identity keys', () => {
  it('round-trips, and two seals of one share differ (fresh ephemeral key and nonce)', () => {
    const rng = seededRandom('seal');
    const a = sealShare(context(), SHARE, rng);
    const b = sealShare(context(), SHARE, rng);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.ephemeralKey).not.toBe(b.ephemeralKey);
    expect(bytesToHex(openShare(context(), a, bob.secret, 'participant 1'))).toBe(bytesToHex(SHARE));
    expect(a.ciphertext).not.toContain(bytesToHex(SHARE));
  });

  it('works whether the recipient key has even or odd Y (x-only keys are lifted to even Y)', () => {
    const parities = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const secret = secp256k1.utils.randomSecretKey(seededRandom(`parity/${i}`)(48));
      parities.add(secp256k1.getPublicKey(secret, true)[0]);
      const ctx = context(bytesToHex(schnorr.getPublicKey(secret)));
      expect(bytesToHex(openShare(ctx, sealShare(ctx, SHARE, seededRandom(`p${i}`)), secret, 'x'))).toBe(bytesToHex(SHARE));
    }
    expect(parities).toEqual(new Set([2, 3]));
  });

  it("a share sealed to one participant does not open with another's key", () => {
    const sealed = sealShare(context(carol.key), SHARE, seededRandom('carol'));
    expectDecryptRefused(context(bob.key), sealed);
    expectDecryptRefused(context(carol.key), sealed, alice.secret);
  });

  it('altered ciphertext, nonce or ephemeral key does not open', () => {
    const sealed = sealShare(context(), SHARE, seededRandom('alter'));
    expectDecryptRefused(context(), { ...sealed, ciphertext: flip(sealed.ciphertext, 5) });
    expectDecryptRefused(context(), { ...sealed, ciphertext: flip(sealed.ciphertext, 40) });
    expectDecryptRefused(context(), { ...sealed, nonce: flip(sealed.nonce) });
    expectDecryptRefused(context(), { ...sealed, ephemeralKey: flip(sealed.ephemeralKey, 20) });
    expectDecryptRefused(context(), { ...sealed, ephemeralKey: `04${sealed.ephemeralKey.slice(2)}` });
    expectDecryptRefused(context(), { ...sealed, ciphertext: sealed.ciphertext.slice(0, 64) });
  });

  it.each([
    ['setup id', { setupId: '33'.repeat(16) }],
    ['params hash', { paramsHash: '44'.repeat(32) }],
    ['sender', { sender: `${'00'.repeat(31)}03` }],
    ['recipient', { recipient: `${'00'.repeat(31)}03` }],
  ])('a share moved to another %s does not open', (_, change) => {
    const sealed = sealShare(context(), SHARE, seededRandom('bind'));
    expectDecryptRefused({ ...context(), ...change }, sealed);
  });
});
