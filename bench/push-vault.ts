/**
 * The vault whose pushes `bench:push` measures, set up through the coordinator's REST API as
 * signers do it: its keyholders join, one proposes a 2-of-K `wsh-sortedmulti` vault, every
 * keyholder confirms it, and one deposit funds every withdrawal the benchmark will propose.
 * K is at most 15 (a vault's limit on keys, protocol/descriptor), so the benchmark's listeners
 * log in as these keyholders, several connections per keyholder, as one keyholder with several
 * devices would.
 */
import { randomUUID } from 'node:crypto';
import { MESSAGE_TYPES, type VaultView, type WithdrawalView } from '../protocol/api';
import { deriveVaultScript, formatVaultDescriptor, parseVaultDescriptor } from '../protocol/descriptor';
import { DEFAULT_POLICY } from '../protocol/policy';
import { fakeFundingTx } from '../test/support/funding-tx';
import { type TestKeyholder, testKeyholder } from '../test/support/test-keyholder';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

export interface PushVault { vault: VaultView; keyholders: TestKeyholder[]; propose(): Promise<WithdrawalView> }

async function post<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json() as T;
  if (res.status >= 300) throw new Error(`POST ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export async function setUpPushVault(base: string, keyholderCount: number, withdrawals: number): Promise<PushVault> {
  const keyholders = Array.from({ length: keyholderCount }, (_, i) => testKeyholder(`keyholder-${i + 1}`, `keyholder ${i + 1} conclave live push benchmark identity words one two three four`));
  for (const k of keyholders) await post(`${base}/api/v1/members`, k.sign(MESSAGE_TYPES.memberJoin, { name: k.name, network: 'regtest', accountKey: k.accountKey }));
  const proposer = keyholders[0]!;
  const descriptor = formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: keyholders.map((k) => k.accountKey) });
  let vault = await post<VaultView>(`${base}/api/v1/vaults`, proposer.sign(MESSAGE_TYPES.vaultCreate, {
    name: 'live push', network: 'regtest', threshold: 2, members: keyholders.map((k) => k.identityKey), descriptor, policy: DEFAULT_POLICY,
  }));
  const first = deriveVaultScript(parseVaultDescriptor(vault.descriptor, 'regtest'), 0, 0).address;
  for (const k of keyholders) {
    vault = await post<VaultView>(`${base}/api/v1/vaults/${vault.id}/confirmations`, k.sign(MESSAGE_TYPES.vaultConfirm, { vaultId: vault.id, descriptor: vault.descriptor, firstAddress: first, policyHash: vault.policyHash }));
  }
  const funding = fakeFundingTx(Array.from({ length: withdrawals }, () => ({ address: first, amount: 1_000_000n })), 'regtest');
  await post(`${base}/api/v1/vaults/${vault.id}/deposits`, proposer.sign(MESSAGE_TYPES.depositRegister, { vaultId: vault.id, rawTx: funding.hex }));
  const created = vault;
  return {
    vault, keyholders,
    propose: () => post<WithdrawalView>(`${base}/api/v1/vaults/${created.id}/withdrawals`, proposer.sign(MESSAGE_TYPES.withdrawalPropose, {
      vaultId: created.id, network: 'regtest', requestId: randomUUID(), outputs: [{ address: DESTINATION, amount: '250000' }],
      feeRate: '2', maxFee: '50000', memo: '', expiresAt: new Date(Date.now() + 3600_000).toISOString(), policyHash: created.policyHash,
    })),
  };
}
