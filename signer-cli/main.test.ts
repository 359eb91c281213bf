/**
 * The CLI as scripts drive it: --json prints exactly one JSON object, errors carry a stable
 * code, and the exit code tells the error class (exit-codes.ts).
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main';

const PASSPHRASE = 'correct horse battery staple';
const VAULT = '6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f';

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    const code = await main(['node', 'conclave-signer', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

function json(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

describe('conclave-signer', () => {
  const saved = { ...process.env };
  let home: string;
  let coordinator: Server;
  let url: string;

  beforeAll(async () => {
    process.env.CONCLAVE_TEST_FAST_KDF = '1';
    process.env.CONCLAVE_PASSPHRASE = PASSPHRASE;
    home = mkdtempSync(join(tmpdir(), 'conclave-cli-'));
    coordinator = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/info') res.end(JSON.stringify({ network: 'regtest', version: 'test', coordinatorKey: 'ab'.repeat(32) }));
      else res.writeHead(404).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no such route' } }));
    });
    await new Promise<void>((resolve) => coordinator.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(coordinator.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    process.env = saved;
    await new Promise((resolve) => coordinator.close(resolve));
  });

  test('init --json prints one object with the public keys and never the mnemonic unless asked', async () => {
    const { code, stdout } = await run('--home', home, '--json', 'init', '--network', 'regtest');
    expect(code).toBe(0);
    const result = json(stdout);
    expect(result).toMatchObject({ network: 'regtest', identityKey: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(result).not.toHaveProperty('mnemonic');

    const shown = await run('--home', mkdtempSync(join(tmpdir(), 'conclave-cli-')), '--json', 'init', '--show-mnemonic');
    expect((json(shown.stdout).mnemonic as string).split(' ')).toHaveLength(24);
  });

  test('a second init is KEYSTORE_EXISTS, exit 4', async () => {
    const { code, stdout } = await run('--home', home, '--json', 'init');
    expect(code).toBe(4);
    expect(json(stdout)).toMatchObject({ error: { code: 'KEYSTORE_EXISTS', hint: expect.any(String) } });
  });

  test('whoami needs no passphrase and prints the fingerprint for people', async () => {
    delete process.env.CONCLAVE_PASSPHRASE;
    try {
      const { code, stdout } = await run('--home', home, 'whoami');
      expect(code).toBe(0);
      expect(stdout).toMatch(/Identity fingerprint: ([0-9A-F]{4} ){9}[0-9A-F]{4}/);
    } finally {
      process.env.CONCLAVE_PASSPHRASE = PASSPHRASE;
    }
  });

  test('usage errors exit 2 with a JSON error', async () => {
    const { code, stdout } = await run('--home', home, '--json', 'propose', VAULT, '--bogus');
    expect(code).toBe(2);
    expect(json(stdout)).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect((await run('--home', home, 'join', '--name', 'alice')).stderr).toMatch(/^error VALIDATION_FAILED: coordinator: none known/);
  });

  test('a vault that is not pinned is refused, exit 3', async () => {
    const { code, stdout } = await run('--home', home, '--json', 'addresses', VAULT);
    expect(code).toBe(3);
    expect(json(stdout)).toMatchObject({ error: { code: 'NOT_PINNED' } });
  });

  test('a wrong passphrase is KEYSTORE_PASSPHRASE, exit 4; the passphrase file is read', async () => {
    const file = join(home, 'wrong-passphrase');
    writeFileSync(file, 'not the passphrase\n');
    const { code, stdout } = await run('--home', home, '--json', '--passphrase-file', file, '--coordinator', url, 'join', '--name', 'alice');
    expect(code).toBe(4);
    expect(json(stdout)).toMatchObject({ error: { code: 'KEYSTORE_PASSPHRASE' } });
  });

  test('an unreachable coordinator is COORDINATOR_UNREACHABLE, exit 5', async () => {
    const { code, stderr } = await run('--home', home, '--coordinator', 'http://127.0.0.1:1', 'members');
    expect(code).toBe(5);
    expect(stderr).toMatch(/^error COORDINATOR_UNREACHABLE: /);
    expect(stderr).toMatch(/next: /);
  });

  test('vault list --json is one object even when empty', async () => {
    const { code, stdout } = await run('--home', home, '--json', 'vault', 'list');
    expect(code).toBe(0);
    expect(json(stdout)).toEqual({ vaults: [] });
  });
});
