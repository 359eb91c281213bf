/**
 * The coordinator identity key file: created 0600 on first start, then reused; a damaged file
 * stops start-up naming the variable; the secret never shows in logs, JSON or inspection.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { verifyAuditHeadSignature } from '../../protocol/audit';
import { ConfigError } from '../config/config';
import { CoordinatorIdentity } from './coordinator-identity';

const quiet = { log: () => undefined, warn: () => undefined } as unknown as Parameters<typeof CoordinatorIdentity.open>[1];

describe('CoordinatorIdentity', () => {
  test('creates the key file 0600 in a new directory on first start and reuses it afterwards', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'conclave-id-')), 'nested', 'coordinator-identity.key');
    const first = CoordinatorIdentity.open(file, quiet);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(CoordinatorIdentity.open(file, quiet).publicKey).toBe(first.publicKey);
    const head = { seq: 1, hash: 'ab'.repeat(32) };
    expect(verifyAuditHeadSignature(head, first.signHead(head), first.publicKey)).toBe(true);
  });

  test('a file that holds no valid secret stops start-up, naming the variable and not the content', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'conclave-id-')), 'bad.key');
    writeFileSync(file, 'not a key, but a secret-looking text\n', { mode: 0o600 });
    expect(() => CoordinatorIdentity.open(file, quiet)).toThrow(ConfigError);
    expect(() => CoordinatorIdentity.open(file, quiet)).toThrow(/^CONCLAVE_SERVER_KEY_FILE: .* does not hold a valid 32-byte secp256k1 secret in hex$/);
    writeFileSync(file, `${'0'.repeat(64)}\n`);
    expect(() => CoordinatorIdentity.open(file, quiet)).toThrow(/^CONCLAVE_SERVER_KEY_FILE: /);
  });

  test('the secret never appears in JSON or inspection', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'conclave-id-')), 'coordinator-identity.key');
    const identity = CoordinatorIdentity.open(file, quiet);
    const secret = readFileSync(file, 'utf8').trim();
    for (const shown of [JSON.stringify(identity), inspect(identity, { showHidden: true, depth: 5 }), String(Object.values(identity))]) {
      expect(shown).not.toContain(secret);
    }
    expect(JSON.stringify(identity)).toBe(JSON.stringify({ publicKey: identity.publicKey }));
  });
});
