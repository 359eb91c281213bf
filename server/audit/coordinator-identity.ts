/**
 * The coordinator's own identity key (DESIGN.md, trust model: the one secret it may hold). It
 * signs every audit event's {seq, hash} (protocol/audit/coordinator-signature.ts), signers pin
 * its public key at join, and so a signer can tell the coordinator's history from a forgery
 * by anyone who only has the database.
 *
 * The secret lives in a file (CONCLAVE_SERVER_KEY_FILE, default <data dir>/coordinator-identity.key):
 * 32 bytes as hex, created 0600 on first start. It is created by writing a private temporary
 * file and hard-linking it into place, which fails if the file appeared meanwhile, so two
 * instances starting at once on a shared directory end up with the same key. The secret is
 * never logged: `inspect` and `toJSON` show only the public key.
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { Logger } from '@nestjs/common';
import { schnorr, secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { type AuditHead, signAuditHead } from '../../protocol/audit';
import { type Envelope, signEnvelope } from '../../protocol/envelope';
import { identityFingerprint } from '../../protocol/identity';
import { ConfigError } from '../config/config';

export class CoordinatorIdentity {
  readonly #secret: Uint8Array;
  readonly publicKey: string;

  private constructor(secret: Uint8Array, private readonly auxRandom: (length: number) => Uint8Array) {
    this.#secret = secret;
    this.publicKey = bytesToHex(schnorr.getPublicKey(secret));
  }

  /** For tests and tools that hold the secret already; the coordinator uses `open`. */
  static fromSecret(secret: Uint8Array, auxRandom: (length: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): CoordinatorIdentity {
    if (!secp256k1.utils.isValidSecretKey(secret)) throw new ConfigError('coordinator identity: not a valid secp256k1 secret key');
    return new CoordinatorIdentity(Uint8Array.from(secret), auxRandom);
  }

  /** Reads the key file, creating it first if it does not exist. Problems name the variable, never the secret. */
  static open(path: string, logger = new Logger('CoordinatorIdentity')): CoordinatorIdentity {
    const file = resolve(path);
    if (createKeyFileIfMissing(file)) logger.log({ msg: 'created a new coordinator identity key', file });
    let text: string;
    try {
      text = readFileSync(file, 'utf8').trim();
      if ((statSync(file).mode & 0o077) !== 0) logger.warn({ msg: 'the coordinator identity key file is readable by other users; chmod 600 it', file });
    } catch (error) {
      throw new ConfigError(`CONCLAVE_SERVER_KEY_FILE: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const secret = /^[0-9a-f]{64}$/i.test(text) ? hexToBytes(text.toLowerCase()) : null;
    if (secret === null || !secp256k1.utils.isValidSecretKey(secret)) {
      throw new ConfigError(`CONCLAVE_SERVER_KEY_FILE: ${file} does not hold a valid 32-byte secp256k1 secret in hex`);
    }
    return CoordinatorIdentity.fromSecret(secret);
  }

  get fingerprint(): string {
    return identityFingerprint(this.publicKey);
  }

  /** BIP340 signature on an audit event's {seq, hash}. */
  signHead(head: AuditHead): string {
    return signAuditHead(head, this.#secret, this.auxRandom(32));
  }

  /**
   * A statement the coordinator itself makes, as a signed envelope (e.g. a withdrawal proposed
   * through an API token, server/auth/token-proposals.service.ts): its key stands behind it.
   */
  signStatement<T>(type: string, body: T, now: Date): Envelope<T> {
    return signEnvelope(type, body, this.#secret, { now, randomBytes: this.auxRandom });
  }

  /**
   * A 32-byte key for one purpose (HKDF-SHA256 of the identity secret, `info` naming the
   * purpose), e.g. sealing webhook secrets at rest: the database alone does not open them, and
   * every instance sharing the key file derives the same key.
   */
  derivedKey(purpose: string): Uint8Array {
    return hkdf(sha256, this.#secret, undefined, utf8ToBytes(`conclave/${purpose}`), 32);
  }

  toJSON(): { publicKey: string } {
    return { publicKey: this.publicKey };
  }

  [inspect.custom](): string {
    return `CoordinatorIdentity(${this.publicKey})`;
  }
}

/** Returns true when it created the file. */
function createKeyFileIfMissing(file: string): boolean {
  try {
    statSync(file);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`CONCLAVE_SERVER_KEY_FILE: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let secret = new Uint8Array(randomBytes(32));
  while (!secp256k1.utils.isValidSecretKey(secret)) secret = new Uint8Array(randomBytes(32));
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${bytesToHex(randomBytes(6))}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${bytesToHex(secret)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
    secret.fill(0);
  }
  try {
    linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false; // another instance won the race: use its key
    throw new ConfigError(`CONCLAVE_SERVER_KEY_FILE: cannot create ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    unlinkSync(tmp);
  }
}
