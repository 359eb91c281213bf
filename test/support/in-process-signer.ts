/**
 * A keyholder's signer run in the test process through signer-cli's own code (not its command
 * line): a home with state.json, the vault pinned as `vault pin` pins it (its formation policy),
 * the coordinator key pinned as `join` pins it, and a real CoordinatorClient over HTTP. It
 * moves its pinned policy on with `governance sync`'s code, signs with `listen`'s
 * processSigningRequest (verifyWithdrawalForSigning against what it pinned) and checks the
 * audit log with `audit verify`'s code. The keystore holds the TestKeyholder's keys in memory.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HDKey } from '@scure/bip32';
import { MESSAGE_TYPES, type VaultView } from '../../protocol/api';
import { descriptorHash, deriveVaultScript, formatVaultDescriptor, parseVaultDescriptor } from '../../protocol/descriptor';
import { identityFingerprint } from '../../protocol/identity';
import { networkParams } from '../../protocol/network';
import { type AuditLogReport, verifyCoordinatorAuditLog } from '../../signer-cli/audit/audit-log';
import { CoordinatorClient } from '../../signer-cli/coordinator/client';
import { type SyncReport, syncGovernance } from '../../signer-cli/governance/sync';
import { UnlockedKeystore } from '../../signer-cli/keystore/keystore';
import { type SigningOutcome, fetchWithdrawal, processSigningRequest } from '../../signer-cli/signing/sign-withdrawal';
import { StateStore } from '../../signer-cli/state/state-file';
import type { TestKeyholder } from './test-keyholder';

export interface InProcessSigner {
  state: StateStore;
  client: CoordinatorClient;
  sync(): Promise<SyncReport>;
  sign(withdrawalId: string): Promise<SigningOutcome>;
  verifyAudit(): Promise<AuditLogReport>;
}

/** `vault` as created (its formation policy is what the signer pins); `now` is the signer's clock. */
export async function inProcessSigner(url: string, vault: VaultView, k: TestKeyholder, now: () => Date): Promise<InProcessSigner> {
  const keystore = () => new UnlockedKeystore('regtest', k.identityKey, k.accountKey, k.identitySecret.slice(), HDKey.fromExtendedKey(k.account.privateExtendedKey, networkParams('regtest').bip32));
  const client = new CoordinatorClient(url, async (coordinatorKey) => keystore().signEnvelope(MESSAGE_TYPES.sessionOpen, { coordinatorKey }, { now: now() }));
  const info = await (await fetch(`${url}/api/v1/info`)).json() as { coordinatorKey: string };
  const state = new StateStore(mkdtempSync(join(tmpdir(), `conclave-signer-${k.name}-`)));
  const descriptor = parseVaultDescriptor(vault.descriptor, 'regtest');
  const ownIndex = vault.members.findIndex((m) => m.identityKey === k.identityKey);
  if (ownIndex < 0) throw new Error(`${k.name} is not a keyholder of vault ${vault.id}`);
  state.update((s) => {
    s.coordinator = url;
    s.coordinatorKey = info.coordinatorKey;
    s.vaults.push({
      vaultId: vault.id, name: vault.name, network: 'regtest', threshold: vault.threshold,
      descriptor: formatVaultDescriptor(descriptor), descriptorHash: descriptorHash(descriptor),
      members: vault.members.map((m) => ({ identityKey: m.identityKey, name: m.name, fingerprint: identityFingerprint(m.identityKey) })),
      ownIndex, firstAddress: deriveVaultScript(descriptor, 0, 0).address, policy: vault.policy, policyHash: vault.policyHash, pinnedAt: now().toISOString(),
    });
  });
  return {
    state, client,
    sync: () => syncGovernance({ client, state, now }, vault.id),
    sign: async (withdrawalId) => processSigningRequest(
      { client, state, keystore: keystore(), now, confirm: async () => true, show: () => undefined },
      await fetchWithdrawal(client, withdrawalId), { yes: true },
    ),
    verifyAudit: () => verifyCoordinatorAuditLog(client, state),
  };
}
