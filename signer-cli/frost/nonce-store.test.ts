/**
 * The FROST nonce store (nonce-store.ts, DESIGN.md invariant 4): a nonce pair comes out of the
 * store at most once, also across reloads by another process with its own sealing key; the
 * record on disk is spent before the nonces are handed out; spent, discarded and unknown
 * commitments refuse with FROST_NONCE_USED; nothing secret is on disk in clear, and a file
 * moved into another commitment's place does not open.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { commitmentHex, commitNonces, encodeNonces, type Nonces } from '../../protocol/frost';
import { ConclaveError } from '../../protocol/errors';
import { TEST_SCRYPT } from '../keystore/keystore-format';
import { readSealedJson, SealingKey } from '../keystore/sealed-file';
import { type NewCommitment, nonceDir, noncePath, NonceStore } from './nonce-store';

const PASSPHRASE = 'nonce store passphrase';
const random = (n: number) => new Uint8Array(randomBytes(n));
const NOW = new Date('2026-03-01T12:00:00Z');
const SESSION = '7d7c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f';
const SECRET = { identifier: `${'00'.repeat(31)}01`, signingShare: random(32) };

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  return 'ok';
}

describe('FROST nonce store', () => {
  let home: string;
  const identityKey = bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey()));
  const open = () => new NonceStore(home, identityKey, new SealingKey(PASSPHRASE, TEST_SCRYPT, random));

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'conclave-nonces-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  function fresh(inputs = 2): { input: NewCommitment; copies: string[] } {
    const made = Array.from({ length: inputs }, () => commitNonces(SECRET, random));
    const input: NewCommitment = {
      withdrawalId: '0b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c', vaultId: '6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f', intentHash: 'aa'.repeat(32), unsignedTxid: 'bb'.repeat(32),
      commitmentId: bytesToHex(random(16)), commitments: made.map((m) => commitmentHex(m.commitments)), nonces: made.map((m) => m.nonces),
    };
    return { input, copies: made.map((m) => bytesToHex(encodeNonces(m.nonces))) };
  }
  const hexOf = (nonces: Nonces[]) => nonces.map((n) => bytesToHex(encodeNonces(n)));

  test('a stored pair comes out once: the file is spent before take returns, and no reload gives it again', () => {
    const { input, copies } = fresh();
    const stored = open().create(input, NOW);
    expect(stored).toMatchObject({ state: 'fresh', commitmentId: input.commitmentId, commitments: input.commitments, spent: null });
    expect(JSON.stringify(stored)).not.toContain(copies[0]!.slice(2, 66));
    expect(open().list()).toEqual([stored]);

    const taken = open().take(input.commitmentId, SESSION, NOW);
    expect(hexOf(taken)).toEqual(copies);
    // On disk: spent, with why, and no secret left in the decrypted record.
    const reader = open();
    expect(reader.get(input.commitmentId)).toMatchObject({ state: 'spent', spent: { reason: 'signed', sessionId: SESSION, at: NOW.toISOString() } });
    const raw = readSealedJson(noncePath(home, input.commitmentId), new SealingKey(PASSPHRASE, TEST_SCRYPT, random), { purpose: 'frost-nonces', subject: input.commitmentId, identityKey });
    expect(raw).toMatchObject({ state: 'spent', nonces: null });
    for (const c of copies) expect(JSON.stringify(raw)).not.toContain(c.slice(2, 66));

    // Another process, another sealing key, the same home: never again.
    for (let i = 0; i < 3; i++) expect(codeOf(() => open().take(input.commitmentId, SESSION, NOW))).toBe('FROST_NONCE_USED');
    expect(codeOf(() => open().take(input.commitmentId, '11111111-2222-4333-8444-555555555555', NOW))).toBe('FROST_NONCE_USED');
  });

  test('unknown and discarded commitments refuse; discard is durable and idempotent', () => {
    expect(codeOf(() => open().take(bytesToHex(random(16)), SESSION, NOW))).toBe('FROST_NONCE_USED');
    const { input } = fresh(1);
    open().create(input, NOW);
    open().discard(input.commitmentId, NOW);
    open().discard(input.commitmentId, NOW);
    expect(open().get(input.commitmentId)).toMatchObject({ state: 'spent', spent: { reason: 'discarded', sessionId: null } });
    expect(codeOf(() => open().take(input.commitmentId, SESSION, NOW))).toBe('FROST_NONCE_USED');
    // An id is never reused, even after it is spent.
    expect(codeOf(() => open().create(input, NOW))).toBe('VALIDATION_FAILED');
  });

  test('nothing secret on disk in clear; a file moved into another commitment\u2019s place does not open', () => {
    const a = fresh();
    const b = fresh();
    open().create(a.input, NOW);
    open().create(b.input, NOW);
    expect(readdirSync(nonceDir(home)).sort()).toEqual([`${a.input.commitmentId}.nonce`, `${b.input.commitmentId}.nonce`].sort());
    for (const name of readdirSync(nonceDir(home))) {
      const text = readFileSync(join(nonceDir(home), name), 'utf8');
      for (const c of [...a.copies, ...b.copies]) {
        expect(text).not.toContain(c.slice(2, 66));
        expect(text).not.toContain(c.slice(66));
      }
    }
    // b's sealed file copied over a's: its header names b, so it is refused rather than read as a's.
    copyFileSync(noncePath(home, b.input.commitmentId), noncePath(home, a.input.commitmentId));
    expect(codeOf(() => open().take(a.input.commitmentId, SESSION, NOW))).toBe('KEYSTORE_CORRUPT');
    // The wrong passphrase opens nothing.
    const wrong = new NonceStore(home, identityKey, new SealingKey('not the passphrase', TEST_SCRYPT, random));
    expect(codeOf(() => wrong.take(b.input.commitmentId, SESSION, NOW))).toBe('KEYSTORE_PASSPHRASE');
    expect(hexOf(open().take(b.input.commitmentId, SESSION, NOW))).toEqual(b.copies);
  });

  test('lists by withdrawal, oldest first; refuses a record with a nonce pair missing', () => {
    const a = fresh();
    const b = { ...fresh(), input: { ...fresh().input, withdrawalId: '1b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c' } };
    open().create(a.input, NOW);
    open().create(b.input, new Date(NOW.getTime() + 1000));
    expect(open().list().map((r) => r.commitmentId)).toEqual([a.input.commitmentId, b.input.commitmentId]);
    expect(open().list(b.input.withdrawalId).map((r) => r.commitmentId)).toEqual([b.input.commitmentId]);
    const short = fresh();
    expect(codeOf(() => open().create({ ...short.input, nonces: short.input.nonces.slice(1) }, NOW))).toBe('VALIDATION_FAILED');
  });
});
