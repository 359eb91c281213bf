/**
 * The keystore on disk (`keystore.json` in the signer's home) and the unlocked keystore in
 * memory. Only this module ever holds the seed or the identity secret; callers get signing
 * operations and public keys. Secrets are never printed or logged: `inspect` and `toJSON`
 * redact them, and `wipe()` zeroes what JavaScript lets us zero (the mnemonic string that
 * BIP39 seed derivation needs cannot be, which is why it lives only inside `deriveAccount`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { HDKey } from '@scure/bip32';
import { entropyToMnemonic, generateMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { identityPublicKey, signEnvelope, type Envelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import type { KeyOrigin } from '../../protocol/api';
import type { NetworkName } from '../../protocol/network';
import { ensurePrivateDir, writeFileAtomic } from '../files';
import { deriveAccount } from './account';
import {
  decryptKeystore, encryptKeystore, parseKeystoreFile,
  type KeystoreFile, type KeystorePublic, type ScryptParams,
} from './keystore-format';

export const KEYSTORE_FILE = 'keystore.json';
const MNEMONIC_STRENGTH_BITS = 256;

export function keystorePath(home: string): string {
  return join(home, KEYSTORE_FILE);
}

function readKeystoreFile(home: string): KeystoreFile {
  const path = keystorePath(home);
  if (!existsSync(path)) {
    throw new ConclaveError('KEYSTORE_MISSING', `${path}: no keystore; create one with "init" or pass --home`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new ConclaveError('KEYSTORE_CORRUPT', `${path}: not valid JSON`);
  }
  return parseKeystoreFile(raw, path);
}

/** The keystore's scrypt cost, which the files sealed beside it (sealed-file.ts) use too. */
export function readKeystoreKdf(home: string): ScryptParams {
  const { N, r, p } = readKeystoreFile(home).kdf;
  return { N, r, p };
}

/** The clear, public part; reading it needs no passphrase (and is authenticated only by `unlockKeystore`). */
export function readKeystorePublic(home: string): KeystorePublic {
  const { network, createdAt, identityKey, accountKey } = readKeystoreFile(home);
  return { network, createdAt, identityKey, accountKey };
}

export function normalizeMnemonic(text: string): string {
  const mnemonic = text.normalize('NFKD').trim().toLowerCase().split(/\s+/).join(' ');
  if (!validateMnemonic(mnemonic, wordlist)) {
    throw new ConclaveError('VALIDATION_FAILED', 'mnemonic: not a valid BIP39 English mnemonic (word or checksum error)');
  }
  return mnemonic;
}

export interface CreateKeystoreOptions {
  network: NetworkName;
  passphrase: string;
  kdf: ScryptParams;
  /** Restore from this mnemonic; otherwise a new 24-word one is generated. */
  mnemonic?: string;
  now: Date;
}

export interface CreatedKeystore {
  public: KeystorePublic;
  /** Returned once so `init --show-mnemonic` can show it for backup; the caller MUST NOT log it. */
  mnemonic: string;
}

export function createKeystore(home: string, options: CreateKeystoreOptions): CreatedKeystore {
  const path = keystorePath(home);
  if (existsSync(path)) {
    throw new ConclaveError('KEYSTORE_EXISTS', `${path}: a keystore already exists; use another --home or move it away first`);
  }
  const mnemonic = options.mnemonic === undefined ? generateMnemonic(wordlist, MNEMONIC_STRENGTH_BITS) : normalizeMnemonic(options.mnemonic);
  const entropy = mnemonicToEntropy(mnemonic, wordlist);
  const identitySecret = schnorr.utils.randomSecretKey();
  const { account, origin } = deriveAccount(mnemonic, options.network);
  account.wipePrivateData();
  const pub: KeystorePublic = {
    network: options.network,
    createdAt: options.now.toISOString(),
    identityKey: identityPublicKey(identitySecret),
    accountKey: origin,
  };
  try {
    const file = encryptKeystore(pub, { entropy, identitySecret }, options.passphrase, {
      kdf: options.kdf,
      randomBytes: (n) => new Uint8Array(randomBytes(n)),
    });
    ensurePrivateDir(home);
    writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
  } finally {
    entropy.fill(0);
    identitySecret.fill(0);
  }
  return { public: pub, mnemonic };
}

export function unlockKeystore(home: string, passphrase: string): UnlockedKeystore {
  const file = readKeystoreFile(home);
  const { entropy, identitySecret } = decryptKeystore(file, passphrase);
  let account: HDKey | undefined;
  try {
    const derived = deriveAccount(entropyToMnemonic(entropy, wordlist), file.network);
    account = derived.account;
    // The AEAD already authenticates the header; this catches a keystore written by a buggy tool.
    const consistent = identityPublicKey(identitySecret) === file.identityKey
      && derived.origin.xpub === file.accountKey.xpub
      && derived.origin.fingerprint === file.accountKey.fingerprint
      && derived.origin.path === file.accountKey.path;
    if (!consistent) throw new ConclaveError('KEYSTORE_CORRUPT', 'keystore: public keys do not match the encrypted secrets');
    const unlocked = new UnlockedKeystore(file.network, file.identityKey, file.accountKey, identitySecret.slice(), account);
    account = undefined;
    return unlocked;
  } finally {
    entropy.fill(0);
    identitySecret.fill(0);
    account?.wipePrivateData();
  }
}

export class UnlockedKeystore {
  constructor(
    readonly network: NetworkName,
    readonly identityKey: string,
    readonly accountKey: KeyOrigin,
    private readonly identitySecret: Uint8Array,
    private readonly account: HDKey,
  ) {}

  signEnvelope<T>(type: string, body: T, options: { now: Date; ttlSeconds?: number }): Envelope<T> {
    return signEnvelope(type, body, this.identitySecret, {
      now: options.now,
      ttlSeconds: options.ttlSeconds,
      randomBytes: (n) => new Uint8Array(randomBytes(n)),
    });
  }

  /**
   * What the FROST DKG steps need (protocol/frost/dkg.ts DkgContext): the identity secret signs
   * this keyholder's DKG messages and opens the shares sealed to its identity key. The caller
   * MUST NOT keep the context beyond the step it runs, nor serialize it.
   */
  dkgContext(now: Date): { identitySecret: Uint8Array; randomBytes: (length: number) => Uint8Array; now: Date } {
    return { identitySecret: this.identitySecret, randomBytes: (n) => new Uint8Array(randomBytes(n)), now };
  }

  /** The private BIP48 account key, for PSBT signing only; MUST NOT be serialized. */
  accountHDKey(): HDKey {
    return this.account;
  }

  wipe(): void {
    this.identitySecret.fill(0);
    this.account.wipePrivateData();
  }

  toJSON(): { identityKey: string; accountKey: KeyOrigin } {
    return { identityKey: this.identityKey, accountKey: this.accountKey };
  }

  [inspect.custom](): string {
    return `UnlockedKeystore { identityKey: '${this.identityKey}', secrets: <redacted> }`;
  }
}
