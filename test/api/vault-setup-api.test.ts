/**
 * Members, vaults and deposits through the REST API against a real database: what a
 * keyholder and an operator see, and each bad input answered with its stable code and no
 * partial state (audit log, members, vaults and coins unchanged).
 */
import { MESSAGE_TYPES, type MemberView, type UtxoView, type VaultView } from '../../protocol/api';
import { formatVaultDescriptor } from '../../protocol/descriptor';
import { DEFAULT_POLICY } from '../../protocol/policy';
import { RawTransactionEntity } from '../../server/deposits/raw-transaction.entity';
import { fakeFundingTx } from '../support/funding-tx';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';
import { DESTINATION, confirmVault, setupVault, threeKeyholders } from '../support/vault-scenario';

type ErrorBody = { error: { code: string; message: string } };

async function counts(coord: RunningCoordinator) {
  const n = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  return { audit: await n('audit_events'), members: await n('members'), vaults: await n('vaults'), utxos: await n('utxos'), nonces: await n('used_nonces') };
}

describe('coordinator basics', () => {
  let coord: RunningCoordinator;
  beforeAll(async () => {
    coord = await startInProcessCoordinator();
    // Reads need a member's session (server/auth): one member joins and reads.
    const [alice] = threeKeyholders();
    await coord.call('POST', '/api/v1/members', alice!.sign(MESSAGE_TYPES.memberJoin, { name: alice!.name, network: 'regtest', accountKey: alice!.accountKey }));
    coord.actAs(alice!);
  });
  afterAll(async () => coord.close());

  it('answers /health with the database state and /api/v1/info with the network', async () => {
    const health = await coord.call<{ status: string; database: string; dialect: string }>('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', database: 'ok', dialect: process.env.DATABASE_URL ? 'postgres' : 'sqlite' });
    expect((await coord.call<{ network: string }>('GET', '/api/v1/info')).body.network).toBe('regtest');
  });

  it('serves an OpenAPI document that describes the signed request bodies', async () => {
    const doc = await coord.call<{ openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> }>('GET', '/api/docs/openapi.json');
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/members', '/api/v1/vaults', '/api/v1/vaults/{id}/withdrawals', '/api/v1/withdrawals/{id}/signatures', '/health']));
    expect(JSON.stringify(doc.body.paths['/api/v1/vaults/{id}/withdrawals']!.post!.requestBody)).toContain('withdrawal.propose');
    const page = await fetch(`${coord.url}/api/docs`);
    expect(page.status).toBe(200);
  });

  it('answers an unknown route and a bad id with stable codes', async () => {
    expect((await coord.call<ErrorBody>('GET', '/api/v1/nothing')).body.error.code).toBe('NOT_FOUND');
    const bad = await coord.call<ErrorBody>('GET', '/api/v1/vaults/not-a-uuid');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const missing = await coord.call<ErrorBody>('GET', '/api/v1/withdrawals/00000000-0000-4000-8000-000000000000');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'WITHDRAWAL_NOT_FOUND']);
  });
});

describe('members and vaults', () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    keyholders = threeKeyholders();
  });
  afterEach(async () => coord.close());

  const join = (k: TestKeyholder, overrides: Record<string, unknown> = {}) =>
    coord.call<MemberView & ErrorBody>('POST', '/api/v1/members', k.sign(MESSAGE_TYPES.memberJoin, { name: k.name, network: 'regtest', accountKey: k.accountKey, ...overrides }));

  it('lists members with the fingerprints keyholders compare out of band', async () => {
    await join(keyholders[0]!);
    const members = await coord.call<MemberView[]>('GET', '/api/v1/members', undefined, { as: keyholders[0]! });
    expect(members.body).toEqual([expect.objectContaining({ name: 'alice', identityKey: keyholders[0]!.identityKey, fingerprint: expect.stringMatching(/^([0-9A-F]{4} ){9}[0-9A-F]{4}$/) })]);
  });

  it('refuses bad joins: another network, a key of another network, a mainnet path, a second join', async () => {
    const k = keyholders[0]!;
    await join(k);
    const before = await counts(coord);
    const cases: Array<[Record<string, unknown>, string, TestKeyholder]> = [
      [{ network: 'mainnet' }, 'ADDRESS_WRONG_NETWORK', keyholders[1]!],
      [{ accountKey: testKeyholder('m', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong', 'mainnet').accountKey }, 'KEY_INVALID', keyholders[1]!],
      [{ accountKey: { ...keyholders[1]!.accountKey, path: '48h/0h/0h/2h' } }, 'KEY_INVALID', keyholders[1]!],
      [{}, 'MEMBER_EXISTS', k],
    ];
    for (const [overrides, code, who] of cases) {
      const res = await join(who, overrides);
      expect([res.status >= 400 && res.status < 500, res.body.error?.code]).toEqual([true, code]);
    }
    expect(await counts(coord)).toEqual(before);
  });

  it('refuses vaults whose descriptor is not made of the listed members\u2019 keys, or proposed by an outsider', async () => {
    for (const k of keyholders) await join(k);
    const before = await counts(coord);
    const outsider = testKeyholder('mallory', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
    await join(outsider);
    const afterOutsider = await counts(coord);
    const members = keyholders.map((k) => k.identityKey);
    const descriptor = (keys: TestKeyholder[]) => formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: keys.map((k) => k.accountKey) });
    const attempts: Array<[TestKeyholder, Record<string, unknown>, string]> = [
      [keyholders[0]!, { members, descriptor: descriptor([keyholders[0]!, keyholders[1]!, outsider]) }, 'DESCRIPTOR_INVALID'],
      [keyholders[0]!, { members, descriptor: descriptor(keyholders).replace(/#.*/, '#qqqqqqqq') }, 'DESCRIPTOR_CHECKSUM'],
      [keyholders[0]!, { members, threshold: 3, descriptor: descriptor(keyholders) }, 'DESCRIPTOR_INVALID'],
      [outsider, { members, descriptor: descriptor(keyholders) }, 'FORBIDDEN'],
    ];
    for (const [by, overrides, code] of attempts) {
      const res = await coord.call<ErrorBody>('POST', '/api/v1/vaults', by.sign(MESSAGE_TYPES.vaultCreate, { name: 'treasury', network: 'regtest', threshold: 2, policy: DEFAULT_POLICY, ...overrides }));
      expect(res.body.error?.code).toBe(code);
    }
    expect(await counts(coord)).toEqual(afterOutsider);
    expect(afterOutsider.members).toBe(before.members + 1);
  });

  it('refuses the same vault twice, even with its keys listed in another order', async () => {
    const vault = await setupVault(coord, keyholders);
    const reordered = [keyholders[2]!, keyholders[0]!, keyholders[1]!];
    const res = await coord.call<ErrorBody>('POST', '/api/v1/vaults', keyholders[0]!.sign(MESSAGE_TYPES.vaultCreate, {
      name: 'again', network: 'regtest', threshold: 2, members: reordered.map((k) => k.identityKey),
      descriptor: formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: reordered.map((k) => k.accountKey) }), policy: DEFAULT_POLICY,
    }));
    expect([res.status, res.body.error.code]).toEqual([409, 'VAULT_EXISTS']);
    expect((await coord.call<VaultView[]>('GET', '/api/v1/vaults')).body.map((v) => v.id)).toEqual([vault.id]);
  });

  it('records a keyholder\u2019s confirmation only for the real descriptor and first address, and activates the vault with the last', async () => {
    const vault = await setupVault(coord, keyholders, 2, DEFAULT_POLICY, false);
    expect(vault.status).toBe('pending_confirmation');
    const [first] = (await coord.call<Array<{ address: string }>>('GET', `/api/v1/vaults/${vault.id}/addresses?count=1`)).body;
    const confirm = (k: TestKeyholder, body: Record<string, unknown>) => coord.call<VaultView & ErrorBody>('POST', `/api/v1/vaults/${vault.id}/confirmations`, k.sign(MESSAGE_TYPES.vaultConfirm, { vaultId: vault.id, descriptor: vault.descriptor, firstAddress: first!.address, policyHash: vault.policyHash, ...body }));
    expect((await confirm(keyholders[1]!, { firstAddress: DESTINATION })).body.error.code).toBe('PIN_MISMATCH');
    expect((await confirm(keyholders[1]!, { policyHash: 'ab'.repeat(32) })).body.error.code).toBe('POLICY_MISMATCH');
    const ok = await confirm(keyholders[1]!, {});
    expect(ok.body.confirmations).toEqual([expect.objectContaining({ identityKey: keyholders[1]!.identityKey, firstAddress: first!.address })]);
    expect(ok.body.status).toBe('pending_confirmation');
    const active = await confirmVault(coord, vault, keyholders);
    expect(active.status).toBe('active');
    expect(active.confirmations).toHaveLength(3);
    const change = (await coord.call<Array<{ change: number; index: number }>>('GET', `/api/v1/vaults/${vault.id}/addresses?change=1&from=5&count=2`)).body;
    expect(change.map((a) => [a.change, a.index])).toEqual([[1, 5], [1, 6]]);
  });
});

describe('deposits in offline chain mode', () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  let vault: VaultView;
  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    keyholders = threeKeyholders();
    vault = await setupVault(coord, keyholders);
  });
  afterEach(async () => coord.close());

  const register = (rawTx: string, by = keyholders[0]!) =>
    coord.call<{ txid: string; utxos: UtxoView[] } & ErrorBody>('POST', `/api/v1/vaults/${vault.id}/deposits`, by.sign(MESSAGE_TYPES.depositRegister, { vaultId: vault.id, rawTx }));

  it('records only the outputs that pay the vault, keeps the whole transaction, and is idempotent', async () => {
    const [a0, a3] = [0, 3].map(async (i) => (await coord.call<Array<{ address: string }>>('GET', `/api/v1/vaults/${vault.id}/addresses?from=${i}&count=1`)).body[0]!.address);
    const funding = fakeFundingTx([{ address: await a0, amount: 50_000n }, { address: DESTINATION, amount: 70_000n }, { address: await a3, amount: 90_000n }], 'regtest');
    const first = await register(funding.hex);
    expect(first.status).toBe(201);
    expect(first.body.utxos.map((u) => [u.vout, u.amount, u.index, u.status])).toEqual([[0, '50000', 0, 'available'], [2, '90000', 3, 'available']]);
    const before = await counts(coord);
    const again = await register(funding.hex, keyholders[1]!);
    expect(again.body.utxos).toHaveLength(2);
    expect({ ...(await counts(coord)), nonces: 0 }).toEqual({ ...before, nonces: 0 });
    const stored = await coord.dataSource.getRepository(RawTransactionEntity).findOneByOrFail({ txid: funding.txid });
    expect(stored.hex).toBe(funding.hex);
    expect((await coord.call<VaultView>('GET', `/api/v1/vaults/${vault.id}`)).body.balance).toEqual({ confirmed: '140000', reserved: '0' });
  });

  it('refuses deposits to a vault that not every keyholder has confirmed', async () => {
    const pending = await coord.call<VaultView>('POST', '/api/v1/vaults', keyholders[0]!.sign(MESSAGE_TYPES.vaultCreate, {
      name: 'two of two', network: 'regtest', threshold: 2, members: keyholders.slice(0, 2).map((k) => k.identityKey), policy: DEFAULT_POLICY,
      descriptor: formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: keyholders.slice(0, 2).map((k) => k.accountKey) }),
    }));
    expect(pending.body.status).toBe('pending_confirmation');
    const address = (await coord.call<Array<{ address: string }>>('GET', `/api/v1/vaults/${pending.body.id}/addresses?count=1`)).body[0]!.address;
    const res = await coord.call<ErrorBody>('POST', `/api/v1/vaults/${pending.body.id}/deposits`, keyholders[0]!.sign(MESSAGE_TYPES.depositRegister, {
      vaultId: pending.body.id, rawTx: fakeFundingTx([{ address, amount: 70_000n }], 'regtest').hex,
    }));
    expect([res.status, res.body.error.code]).toEqual([409, 'VAULT_NOT_ACTIVE']);
  });

  it('refuses a malformed transaction, one that pays no vault address, and one from a non-member', async () => {
    const before = await counts(coord);
    expect((await register('00')).body.error.code).toBe('TX_MALFORMED');
    expect((await register('0200000001')).body.error.code).toBe('TX_MALFORMED');
    expect((await register(fakeFundingTx([{ address: DESTINATION, amount: 70_000n }], 'regtest').hex)).body.error.code).toBe('TX_PAYS_NO_VAULT_ADDRESS');
    const outsider = testKeyholder('mallory', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
    const address = (await coord.call<Array<{ address: string }>>('GET', `/api/v1/vaults/${vault.id}/addresses?count=1`)).body[0]!.address;
    expect((await register(fakeFundingTx([{ address, amount: 70_000n }], 'regtest').hex, outsider)).body.error.code).toBe('NOT_A_MEMBER');
    expect(await counts(coord)).toEqual(before);
  });
});
