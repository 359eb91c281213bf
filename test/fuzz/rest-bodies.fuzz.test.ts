/**
 * Every REST body, fuzzed against a real coordinator (real HTTP, real database): random JSON
 * and mutated valid envelopes are answered with a 4xx and a stable error code, never a 5xx,
 * and the coordinator keeps serving.
 */
import fc from 'fast-check';
import { MESSAGE_TYPES, type VaultView, type WithdrawalView } from '../../protocol/api';
import type { Envelope } from '../../protocol/envelope';
import { isErrorCode } from '../../protocol/errors';
import { signVaultInputs } from '../../protocol/psbt';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import type { TestKeyholder } from '../support/test-keyholder';
import { deposit, intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';

const RUNS = 60;

describe('REST bodies under random and mutated input', () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  let vault: VaultView;
  let withdrawal: WithdrawalView;
  let valid: Array<{ path: string; body: Envelope }>;
  let setupId: string;

  beforeAll(async () => {
    coord = await startInProcessCoordinator();
    keyholders = threeKeyholders();
    vault = await setupVault(coord, keyholders);
    await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
    withdrawal = (await propose(coord, vault, keyholders[0]!, intent(vault))).body;
    const [alice, bob] = keyholders as [TestKeyholder, TestKeyholder];
    const sigs = signVaultInputs(withdrawal.psbt, bob.account, { fingerprint: bob.accountKey.fingerprint, path: bob.accountPath }, [0]).partialSigs;
    const setupOpen = { name: 's', network: 'regtest', threshold: 2, keyholders: 3, mode: 'STANDARD', expiresAt: new Date(Date.now() + 3600_000).toISOString() };
    setupId = (await coord.call<{ id: string }>('POST', '/api/v1/setups', alice.sign(MESSAGE_TYPES.setupOpen, setupOpen))).body.id;
    valid = [
      { path: '/api/v1/members', body: alice.sign(MESSAGE_TYPES.memberJoin, { name: 'alice', network: 'regtest', accountKey: alice.accountKey }) },
      { path: '/api/v1/vaults', body: alice.sign(MESSAGE_TYPES.vaultCreate, { name: 'v', network: 'regtest', threshold: 2, members: [alice.identityKey], descriptor: vault.descriptor, policy: vault.policy }) },
      { path: `/api/v1/vaults/${vault.id}/confirmations`, body: bob.sign(MESSAGE_TYPES.vaultConfirm, { vaultId: vault.id, descriptor: vault.descriptor, firstAddress: 'x', policyHash: vault.policyHash }) },
      { path: `/api/v1/vaults/${vault.id}/deposits`, body: alice.sign(MESSAGE_TYPES.depositRegister, { vaultId: vault.id, rawTx: '0200' }) },
      { path: `/api/v1/vaults/${vault.id}/withdrawals`, body: alice.sign(MESSAGE_TYPES.withdrawalPropose, intent(vault)) },
      { path: `/api/v1/withdrawals/${withdrawal.id}/approvals`, body: bob.sign(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: withdrawal.id, vaultId: vault.id, intentHash: withdrawal.intentHash }) },
      { path: `/api/v1/withdrawals/${withdrawal.id}/signatures`, body: bob.sign(MESSAGE_TYPES.withdrawalSignature, { withdrawalId: withdrawal.id, intentHash: withdrawal.intentHash, unsignedTxid: withdrawal.unsignedTxid, partialSigs: sigs }) },
      { path: '/api/v1/setups', body: alice.sign(MESSAGE_TYPES.setupOpen, setupOpen) },
      { path: `/api/v1/setups/${setupId}/key-records`, body: bob.sign(MESSAGE_TYPES.setupKeyRecord, { setupId, record: 'ab'.repeat(40) }) },
      { path: `/api/v1/setups/${setupId}/descriptor-record`, body: alice.sign(MESSAGE_TYPES.setupDescriptorRecord, { setupId, record: 'cd'.repeat(40) }) },
    ];
  });
  afterAll(async () => coord.close());

  async function expectClientError(path: string, body: unknown): Promise<void> {
    const res = await coord.call<{ error?: { code: string } }>('POST', path, body);
    if (res.status >= 500 || res.status < 400) throw new Error(`${path}: ${res.status} for ${JSON.stringify(body).slice(0, 300)}: ${JSON.stringify(res.body)}`);
    expect(isErrorCode(res.body.error?.code)).toBe(true);
  }

  it('answers random JSON on every route with a 4xx and a stable code', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: valid.length - 1 }), fc.jsonValue({ maxDepth: 4 }), async (route, value) => {
      await expectClientError(valid[route]!.path, value === null ? 'null' : value);
    }), { numRuns: RUNS * 3 });
  });

  it('answers a valid envelope with its body mutated with a 4xx (the signature no longer verifies)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: valid.length - 1 }), fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }), async (route, key, value) => {
      const { path, body } = valid[route]!;
      const inner = body.body as Record<string, unknown>;
      fc.pre(JSON.stringify(inner[key]) !== JSON.stringify(value));
      await expectClientError(path, { ...body, body: { ...inner, [key]: value } });
    }), { numRuns: RUNS * 2 });
  });

  it('answers malformed JSON text with MALFORMED_JSON', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: valid.length - 1 }), fc.string({ minLength: 1, maxLength: 40 }), async (route, text) => {
      fc.pre(!isJson(text));
      const res = await coord.call<{ error: { code: string } }>('POST', valid[route]!.path, text);
      expect([res.status, res.body.error.code]).toEqual([400, 'MALFORMED_JSON']);
    }), { numRuns: RUNS });
  });

  it('still serves, and none of it changed the withdrawal or the setup', async () => {
    expect((await coord.call('GET', '/health')).status).toBe(200);
    const now = await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${withdrawal.id}`);
    expect(now.body).toMatchObject({ state: 'signing', signatures: [], approvals: [] });
    expect((await coord.call<{ keyRecords: unknown[]; descriptorRecord: unknown }>('GET', `/api/v1/setups/${setupId}`)).body).toMatchObject({ keyRecords: [], descriptorRecord: null });
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
