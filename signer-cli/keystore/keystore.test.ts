import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { bytesToHex } from '@noble/hashes/utils.js';
import { mnemonicToEntropy } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { verifyEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import { createKeystore, keystorePath, readKeystorePublic, unlockKeystore } from './keystore';
import { DEFAULT_SCRYPT, TEST_SCRYPT, decryptKeystore, parseKeystoreFile } from './keystore-format';

const PASSPHRASE = 'correct horse battery staple';
const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const NOW = new Date('2026-03-01T12:00:00Z');

function home(): string {
  return mkdtempSync(join(tmpdir(), 'conclave-keystore-'));
}

function created(options: { mnemonic?: string } = {}) {
  const dir = home();
  const result = createKeystore(dir, { network: 'regtest', passphrase: PASSPHRASE, kdf: TEST_SCRYPT, now: NOW, ...options });
  return { dir, ...result };
}

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  throw new Error('expected a ConclaveError');
}

function editFile(dir: string, edit: (file: Record<string, unknown>) => void): void {
  const file = JSON.parse(readFileSync(keystorePath(dir), 'utf8'));
  edit(file);
  writeFileSync(keystorePath(dir), JSON.stringify(file));
}

describe('keystore', () => {
  test('round trip: unlocking gives the identity and account keys of the clear header', () => {
    const { dir, public: pub } = created();
    const unlocked = unlockKeystore(dir, PASSPHRASE);
    expect(unlocked.identityKey).toBe(pub.identityKey);
    expect(unlocked.accountHDKey().publicExtendedKey).toBe(pub.accountKey.xpub);
    const envelope = unlocked.signEnvelope('member.join', { hello: 'world' }, { now: NOW });
    expect(verifyEnvelope(envelope, { now: NOW, expectedType: 'member.join' }).signer).toBe(pub.identityKey);
    expect(readKeystorePublic(dir)).toEqual(pub);
  });

  test('a new keystore gets a 24-word mnemonic and a BIP48 test-network account key', () => {
    const { mnemonic, public: pub } = created();
    expect(mnemonic.split(' ')).toHaveLength(24);
    expect(pub.accountKey.path).toBe('48h/1h/0h/2h');
    expect(pub.accountKey.xpub).toMatch(/^tpub/);
  });

  test('restoring from a mnemonic gives the same account key as any BIP48 wallet', () => {
    const { public: pub } = created({ mnemonic: `  ${ABANDON.toUpperCase()}\n` });
    // Master fingerprint of the BIP39 "abandon ... about" seed, as every wallet reports it.
    expect(pub.accountKey.fingerprint).toBe('73c5da0a');
  });

  test('an invalid mnemonic is refused', async () => {
    expect(await codeOf(() => created({ mnemonic: ABANDON.replace('about', 'abandon') }))).toBe('VALIDATION_FAILED');
  });

  test('wrong passphrase is KEYSTORE_PASSPHRASE', async () => {
    const { dir } = created();
    expect(await codeOf(() => unlockKeystore(dir, `${PASSPHRASE}!`))).toBe('KEYSTORE_PASSPHRASE');
  });

  test.each([
    ['a clear account xpub swapped', (f: Record<string, unknown>) => {
      (f.accountKey as { xpub: string }).xpub = 'tpubDFH9dgzveyD8zTbPUFuLrGmCydNvxehyNdUXKJAQN8x4aZ4j6UZqGfnqFrD4NqyaTVGKbvEW54tsvPTK2UoSbCC1PJY8iCNiwTL3RWZEheQ';
    }],
    ['the network changed', (f: Record<string, unknown>) => { f.network = 'testnet'; }],
    ['the KDF cost lowered', (f: Record<string, unknown>) => { (f.kdf as { N: number }).N = 2048; }],
    ['a ciphertext byte flipped', (f: Record<string, unknown>) => {
      const bytes = Buffer.from(f.ciphertext as string, 'base64');
      bytes[5] ^= 1;
      f.ciphertext = bytes.toString('base64');
    }],
    ['the identity key replaced', (f: Record<string, unknown>) => { f.identityKey = 'ab'.repeat(32); }],
  ])('tampering is detected: %s', async (_name, edit) => {
    const { dir } = created();
    editFile(dir, edit);
    expect(await codeOf(() => unlockKeystore(dir, PASSPHRASE))).toBe('KEYSTORE_PASSPHRASE');
  });

  test('a file that is not a keystore, or asks for an absurd KDF cost, is KEYSTORE_CORRUPT', async () => {
    const { dir } = created();
    editFile(dir, (f) => { (f.kdf as { N: number }).N = 2 ** 24; });
    expect(await codeOf(() => unlockKeystore(dir, PASSPHRASE))).toBe('KEYSTORE_CORRUPT');
    writeFileSync(keystorePath(dir), '{"format":"something else"}');
    expect(await codeOf(() => readKeystorePublic(dir))).toBe('KEYSTORE_CORRUPT');
  });

  test('missing and existing keystores have their own codes', async () => {
    const { dir } = created();
    expect(await codeOf(() => createKeystore(dir, { network: 'regtest', passphrase: PASSPHRASE, kdf: TEST_SCRYPT, now: NOW }))).toBe('KEYSTORE_EXISTS');
    expect(await codeOf(() => unlockKeystore(home(), PASSPHRASE))).toBe('KEYSTORE_MISSING');
  });

  test('the file is 0600 whatever the umask, and written without leftovers', () => {
    const previous = process.umask(0o000);
    try {
      const { dir } = created();
      expect(statSync(keystorePath(dir)).mode & 0o777).toBe(0o600);
      expect(statSync(dir).mode & 0o077).toBe(0);
      expect(readdirSync(dir)).toEqual(['keystore.json']);
    } finally {
      process.umask(previous);
    }
  });

  test('no secret appears in the clear: not the words, entropy, identity secret or a private key', () => {
    const { dir, mnemonic } = created();
    const text = readFileSync(keystorePath(dir), 'utf8');
    const secrets = decryptKeystore(parseKeystoreFile(JSON.parse(text), 'test'), PASSPHRASE);
    const unlocked = unlockKeystore(dir, PASSPHRASE);
    const forbidden = [
      mnemonic, ...mnemonic.split(' ').slice(0, 3).map((w, i, a) => a.slice(i).join(' ')),
      bytesToHex(mnemonicToEntropy(mnemonic, wordlist)), bytesToHex(secrets.identitySecret),
      Buffer.from(secrets.identitySecret).toString('base64'), unlocked.accountHDKey().privateExtendedKey, 'tprv', 'xprv',
    ];
    for (const secret of forbidden) expect(text).not.toContain(secret);
    for (const shown of [inspect(unlocked), JSON.stringify(unlocked)]) {
      expect(shown).not.toContain(bytesToHex(secrets.identitySecret));
      expect(shown).not.toContain('tprv');
    }
  });

  test('wipe() removes the private keys from memory', () => {
    const { dir } = created();
    const unlocked = unlockKeystore(dir, PASSPHRASE);
    unlocked.wipe();
    expect(unlocked.accountHDKey().privateKey).toBeNull();
  });

  test('the file records the KDF it used; production cost is scrypt N=2^17, r=8, p=1', () => {
    const { dir } = created();
    expect(JSON.parse(readFileSync(keystorePath(dir), 'utf8')).kdf).toMatchObject({ name: 'scrypt', ...TEST_SCRYPT });
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
  });
});
