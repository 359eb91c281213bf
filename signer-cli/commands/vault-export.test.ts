/**
 * `vault export`: from the pinned vault only (no coordinator, no keystore), to a 0600 file or
 * stdout, with --json; Caravan refuses a FROST vault; BIP329 labels the journal's withdrawals.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HDKey } from '@scure/bip32';
import { deriveVaultScript, descriptorHash, formatVaultDescriptor, type FrostVaultDescriptor, type VaultDescriptor } from '../../protocol/descriptor';
import { networkParams } from '../../protocol/network';
import { policyHash } from '../../protocol/policy';
import { alice, bob, carol, NOW, POLICY, VAULT_ID, vault, WITHDRAWAL_ID } from '../../test/support/withdrawal-fixture';
import { StateStore } from '../state/state-file';
import { runCliCaptured } from '../../test/support/cli-in-process';

const FROST_VAULT_ID = '1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b';
const TXID = 'ab'.repeat(32);
const frost: FrostVaultDescriptor = {
  kind: 'tr-frost', network: 'regtest', groupXpub: HDKey.fromMasterSeed(new Uint8Array(32).fill(9), networkParams('regtest').bip32).publicExtendedKey,
};

const run = runCliCaptured;

function pin(vaultId: string, name: string, d: VaultDescriptor) {
  return {
    vaultId, name, network: 'regtest' as const, threshold: 2,
    descriptor: formatVaultDescriptor(d), descriptorHash: descriptorHash(d),
    members: [alice, bob, carol].map((k, i) => ({ identityKey: k.identityKey, name: ['alice', 'bob', 'carol'][i], fingerprint: '' })),
    ownIndex: 0, firstAddress: deriveVaultScript(d, 0, 0).address, policy: POLICY, policyHash: policyHash(POLICY), pinnedAt: NOW.toISOString(),
  };
}

describe('vault export', () => {
  let home: string;

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'conclave-export-'));
    new StateStore(home).update((s) => {
      s.vaults.push(pin(VAULT_ID, 'treasury', vault));
      s.vaults.push({
        ...pin(FROST_VAULT_ID, 'frosty', frost), kind: 'tr-frost',
        frost: { setupId: '0'.repeat(32), paramsHash: '11'.repeat(32), transcriptHash: '22'.repeat(32), identifier: '33'.repeat(32), groupXpub: frost.groupXpub },
      });
      s.journal.push({
        withdrawalId: WITHDRAWAL_ID, vaultId: VAULT_ID, intentHash: '44'.repeat(32), unsignedTxid: TXID,
        inputs: [`${'cd'.repeat(32)}:1`], signedAt: NOW.toISOString(), submittedAt: null,
      });
    });
  });

  test('caravan --out writes the config to a 0600 file and --json names it', async () => {
    const file = join(home, 'treasury-caravan.json');
    const { code, stdout } = await run('--home', home, '--json', 'vault', 'export', VAULT_ID, '--format', 'caravan', '--out', file);
    expect(code).toBe(0);
    const result = JSON.parse(stdout.trim()) as { vaultId: string; format: string; file: string; content: string };
    expect(result).toMatchObject({ vaultId: VAULT_ID, format: 'caravan', file });
    expect(readFileSync(file, 'utf8')).toBe(result.content);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const config = JSON.parse(result.content);
    expect(config).toMatchObject({ name: 'treasury', uuid: VAULT_ID, quorum: { requiredSigners: 2, totalSigners: 3 } });
    expect(config.extendedPublicKeys.map((k: { name: string }) => k.name)).toEqual(['alice', 'bob', 'carol']);
  });

  test('core prints the importdescriptors request, timestamped at the pin', async () => {
    const { code, stdout } = await run('--home', home, 'vault', 'export', FROST_VAULT_ID, '--format', 'core', '--range', '10');
    expect(code).toBe(0);
    const request = JSON.parse(stdout);
    expect(request).toHaveLength(2);
    expect(request[0]).toMatchObject({ desc: expect.stringMatching(/^tr\(tpub.*\/0\/\*\)#/), internal: false, range: [0, 10], timestamp: NOW.getTime() / 1000 });
  });

  test('bip329 labels both chains and the withdrawal this signer signed', async () => {
    const file = join(home, 'labels.jsonl');
    const { code } = await run('--home', home, 'vault', 'export', VAULT_ID, '--format', 'bip329', '--range', '1', '--out', file);
    expect(code).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.label)).toEqual([
      'treasury receive 0', 'treasury receive 1', 'treasury change 0', 'treasury change 1',
      `treasury withdrawal ${WITHDRAWAL_ID}`, `treasury coin spent by withdrawal ${WITHDRAWAL_ID}`,
    ]);
    expect(lines[4]).toMatchObject({ type: 'tx', ref: TXID, origin: expect.stringMatching(/^wsh\(sortedmulti\(2,/) });
  });

  test('caravan refuses a FROST vault; an unpinned vault is NOT_PINNED', async () => {
    const refused = await run('--home', home, '--json', 'vault', 'export', FROST_VAULT_ID, '--format', 'caravan');
    expect(refused.code).not.toBe(0);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'VAULT_KIND_UNSUPPORTED' } });
    const unpinned = await run('--home', home, '--json', 'vault', 'export', '0b8e5a1c-0000-4e3a-8b9c-1d2e3f4a5b6c', '--format', 'sparrow');
    expect(JSON.parse(unpinned.stdout)).toMatchObject({ error: { code: 'NOT_PINNED' } });
  });
});
