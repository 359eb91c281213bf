/**
 * Files sealed under the keystore passphrase (sealed-file.ts): the content never appears in
 * clear, the wrong passphrase or any altered byte fails to open, and a file moved into another
 * file's place (another purpose, setup or owner) is refused before decryption.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConclaveError } from '../../protocol/errors';
import { TEST_SCRYPT } from './keystore-format';
import { readSealedJson, SealingKey, writeSealedJson } from './sealed-file';

const random = (n: number) => new Uint8Array(randomBytes(n));
const OWNER = 'ab'.repeat(32);
const label = { purpose: 'frost-share', subject: '5e'.repeat(16), identityKey: OWNER };
const SECRET = 'c0ffee'.repeat(10) + 'beef';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  return 'opened';
}

describe('sealed files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conclave-sealed-'));
  const path = join(dir, 'a.share');

  test('round-trips, 0600, with nothing of the content in clear', () => {
    writeSealedJson(path, new SealingKey('right passphrase', TEST_SCRYPT, random), label, { signingShare: SECRET });
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('signingShare');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(text)).toMatchObject({ format: 'conclave-sealed', version: 1, ...label, kdf: { name: 'scrypt', N: TEST_SCRYPT.N } });
    expect(readSealedJson(path, new SealingKey('right passphrase', TEST_SCRYPT, random), label)).toEqual({ signingShare: SECRET });
  });

  test('one key per command: files written after an open reuse the key just proven right', () => {
    const sealing = new SealingKey('right passphrase', TEST_SCRYPT, random);
    readSealedJson(path, sealing, label);
    const other = join(dir, 'b.share');
    writeSealedJson(other, sealing, { ...label, subject: '6f'.repeat(16) }, { n: 1 });
    expect(JSON.parse(readFileSync(other, 'utf8')).kdf.salt).toBe(JSON.parse(readFileSync(path, 'utf8')).kdf.salt);
    expect(JSON.parse(readFileSync(other, 'utf8')).cipher.nonce).not.toBe(JSON.parse(readFileSync(path, 'utf8')).cipher.nonce);
  });

  test('the wrong passphrase, or any altered clear field or ciphertext, fails with KEYSTORE_PASSPHRASE', () => {
    expect(codeOf(() => readSealedJson(path, new SealingKey('wrong passphrase', TEST_SCRYPT, random), label))).toBe('KEYSTORE_PASSPHRASE');
    const original = readFileSync(path, 'utf8');
    const file = JSON.parse(original) as { kdf: { p: number }; ciphertext: string };
    const altered = join(dir, 'altered.share');
    writeFileSync(altered, JSON.stringify({ ...file, kdf: { ...file.kdf, p: 2 } }));
    expect(codeOf(() => readSealedJson(altered, new SealingKey('right passphrase', TEST_SCRYPT, random), label))).toBe('KEYSTORE_PASSPHRASE');
    const flipped = Buffer.from(file.ciphertext, 'base64');
    flipped[0] ^= 1;
    writeFileSync(altered, JSON.stringify({ ...file, ciphertext: flipped.toString('base64') }));
    expect(codeOf(() => readSealedJson(altered, new SealingKey('right passphrase', TEST_SCRYPT, random), label))).toBe('KEYSTORE_PASSPHRASE');
  });

  test('a file in another\u2019s place (purpose, subject or owner) is refused before decryption (KEYSTORE_CORRUPT)', () => {
    const sealing = new SealingKey('right passphrase', TEST_SCRYPT, random);
    expect(codeOf(() => readSealedJson(path, sealing, { ...label, purpose: 'frost-dkg-state' }))).toBe('KEYSTORE_CORRUPT');
    expect(codeOf(() => readSealedJson(path, sealing, { ...label, subject: '6f'.repeat(16) }))).toBe('KEYSTORE_CORRUPT');
    expect(codeOf(() => readSealedJson(path, sealing, { ...label, identityKey: 'cd'.repeat(32) }))).toBe('KEYSTORE_CORRUPT');
    writeFileSync(join(dir, 'junk.share'), 'not json');
    expect(codeOf(() => readSealedJson(join(dir, 'junk.share'), sealing, label))).toBe('KEYSTORE_CORRUPT');
    expect(readSealedJson(join(dir, 'absent.share'), sealing, label)).toBeNull();
  });

  test('the sealing key is redacted and unusable once wiped', () => {
    const sealing = new SealingKey('right passphrase', TEST_SCRYPT, random);
    expect(inspect(sealing)).not.toContain('right passphrase');
    expect(JSON.stringify({ sealing })).not.toContain('right passphrase');
    sealing.wipe();
    expect(codeOf(() => readSealedJson(path, sealing, label))).toBe('INTERNAL');
  });
});
