/**
 * Steps shared by API tests: three keyholders join, one proposes a 2-of-3 vault, deposits are
 * registered, a withdrawal is proposed. Each step goes through the public REST API with
 * signed envelopes, as the signer CLI does.
 */
import { randomUUID } from 'node:crypto';
import { MESSAGE_TYPES, type VaultView, type WithdrawalIntent, type WithdrawalView } from '../../protocol/api';
import { deriveVaultScript, formatVaultDescriptor, parseVaultDescriptor } from '../../protocol/descriptor';
import { DEFAULT_POLICY, type VaultPolicy } from '../../protocol/policy';
import { fakeFundingTx } from './funding-tx';
import type { RunningCoordinator } from './in-process-coordinator';
import { TRANSCRIPT_MNEMONICS, type TestKeyholder, testKeyholder } from './test-keyholder';

export const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

export function threeKeyholders(): TestKeyholder[] {
  return ['alice', 'bob', 'carol'].map((name, i) => testKeyholder(name, TRANSCRIPT_MNEMONICS[i]!));
}

export async function setupVault(coord: RunningCoordinator, keyholders: TestKeyholder[], threshold = 2, policy: VaultPolicy = DEFAULT_POLICY, confirmed = true): Promise<VaultView> {
  for (const k of keyholders) {
    const joined = await coord.call('POST', '/api/v1/members', k.sign(MESSAGE_TYPES.memberJoin, { name: k.name, network: 'regtest', accountKey: k.accountKey }));
    if (joined.status !== 201) throw new Error(`join failed: ${JSON.stringify(joined.body)}`);
  }
  // Reads need a member's session: the first keyholder reads unless the test chose someone.
  if (coord.actor === null) {
    coord.actAs(keyholders[0]!);
    await coord.sessionFor(keyholders[0]!); // now, so that no later step of the test opens it
  }
  const descriptor = formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: 'regtest', threshold, keys: keyholders.map((k) => k.accountKey) });
  const created = await coord.call<VaultView>('POST', '/api/v1/vaults', keyholders[0]!.sign(MESSAGE_TYPES.vaultCreate, {
    name: 'treasury', network: 'regtest', threshold, members: keyholders.map((k) => k.identityKey), descriptor, policy,
  }));
  if (created.status !== 201) throw new Error(`vault create failed: ${JSON.stringify(created.body)}`);
  return confirmed ? confirmVault(coord, created.body, keyholders) : created.body;
}

/** Every keyholder confirms the vault, as `vault pin` does; the vault becomes active. */
export async function confirmVault(coord: RunningCoordinator, vault: VaultView, keyholders: TestKeyholder[]): Promise<VaultView> {
  const first = deriveVaultScript(parseVaultDescriptor(vault.descriptor, 'regtest'), 0, 0).address;
  let view = vault;
  for (const k of keyholders) {
    const res = await coord.call<VaultView>('POST', `/api/v1/vaults/${vault.id}/confirmations`, k.sign(MESSAGE_TYPES.vaultConfirm, {
      vaultId: vault.id, descriptor: vault.descriptor, firstAddress: first, policyHash: vault.policyHash,
    }));
    if (res.status !== 200 && res.status !== 201) throw new Error(`confirm failed: ${JSON.stringify(res.body)}`);
    view = res.body;
  }
  return view;
}

export async function deposit(coord: RunningCoordinator, vault: VaultView, by: TestKeyholder, amounts: bigint[], index = 0): Promise<string> {
  const addresses = await coord.call<Array<{ address: string }>>('GET', `/api/v1/vaults/${vault.id}/addresses?change=0&from=${index}&count=${amounts.length}`);
  const funding = fakeFundingTx(amounts.map((amount, i) => ({ address: addresses.body[i]!.address, amount })), 'regtest');
  const res = await coord.call('POST', `/api/v1/vaults/${vault.id}/deposits`, by.sign(MESSAGE_TYPES.depositRegister, { vaultId: vault.id, rawTx: funding.hex }));
  if (res.status !== 201) throw new Error(`deposit failed: ${JSON.stringify(res.body)}`);
  return funding.txid;
}

export function intent(vault: VaultView, overrides: Partial<WithdrawalIntent> = {}): WithdrawalIntent {
  return {
    vaultId: vault.id, network: 'regtest', requestId: randomUUID(), outputs: [{ address: DESTINATION, amount: '250000' }],
    feeRate: '2', maxFee: '50000', memo: '', expiresAt: new Date(Date.now() + 3600_000).toISOString(), policyHash: vault.policyHash, ...overrides,
  };
}

export async function propose(coord: RunningCoordinator, vault: VaultView, by: TestKeyholder, body: WithdrawalIntent) {
  return coord.call<WithdrawalView & { error?: { code: string } }>('POST', `/api/v1/vaults/${vault.id}/withdrawals`, by.sign(MESSAGE_TYPES.withdrawalPropose, body));
}
