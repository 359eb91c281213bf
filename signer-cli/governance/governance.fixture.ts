/**
 * Test support, not product code: a signer home whose state.json pins a governed vault (the
 * policy engine's seven-member fixture on the withdrawal fixture's 2-of-3 descriptor), and
 * change views as a coordinator would relay them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveVaultScript, descriptorHash, formatVaultDescriptor } from '../../protocol/descriptor';
import type { Envelope } from '../../protocol/envelope';
import { governedPolicyOf, policyHash } from '../../protocol/policy';
import { type PinnedPolicyState, changeId } from '../../protocol/policy-engine';
import { NOW, pinned } from '../../protocol/policy-engine/test-fixture';
import { alice, bob, carol, vault } from '../../test/support/withdrawal-fixture';
import type { ChangeViewParsed } from '../coordinator/views';
import { type PinnedVault, StateStore, findPinned } from '../state/state-file';
import { governedState } from './pinned-policy';

export function pinnedVault(state: PinnedPolicyState = pinned()): PinnedVault {
  const policy = governedPolicyOf(state);
  return {
    vaultId: state.vaultId,
    name: 'treasury',
    network: 'regtest',
    threshold: 2,
    descriptor: formatVaultDescriptor(vault),
    descriptorHash: descriptorHash(vault),
    members: [alice, bob, carol].map((k, i) => ({ identityKey: k.identityKey, name: ['alice', 'bob', 'carol'][i]!, fingerprint: '' })),
    ownIndex: 0,
    firstAddress: deriveVaultScript(vault, 0, 0).address,
    policy,
    policyHash: policyHash(policy),
    pinnedAt: NOW.toISOString(),
  };
}

/** A fresh signer home pinning the governed vault. */
export function governedHome(state: PinnedPolicyState = pinned()): { home: string; store: StateStore } {
  const home = mkdtempSync(join(tmpdir(), 'conclave-governance-'));
  const store = new StateStore(home);
  store.update((s) => {
    s.vaults.push(pinnedVault(state));
  });
  return { home, store };
}

export function pinnedStateIn(store: StateStore, vaultId: string): PinnedPolicyState {
  return governedState(findPinned(store.read(), vaultId));
}

export function view(proposal: Envelope, approvals: Envelope[], overrides: Partial<ChangeViewParsed> = {}): ChangeViewParsed {
  return { changeId: changeId(proposal), op: (proposal.body as { op: string }).op, proposal, approvals, status: 'pending', ...overrides };
}
