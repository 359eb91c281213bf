/**
 * What the pages read, and what a member may do in a vault, worked out from the vault's
 * pinned policy as the coordinator serves it. The buttons this enables are a convenience:
 * the coordinator's access gate and every signer decide again (an auditor's crafted request is
 * refused there too).
 */
import type { VaultView, WithdrawalView } from '../../protocol/api';
import type { ChangeView } from '../../protocol/governance-api';
import type { GovernedPolicy } from '../../protocol/policy';
import { tierFor } from '../../protocol/policy-engine/rules';
import { api } from './api';
import type { Session } from './session';

export interface VaultAccess {
  governed: GovernedPolicy | null;
  groups: string[];
  /** Pinned passkeys of the member in this vault (what they sign statements with). */
  passkeys: string[];
  mayPropose: boolean;
  /** Read-only: an auditor, or someone in no group that acts. */
  readOnly: boolean;
}

export function governedOf(vault: VaultView): GovernedPolicy | null {
  return vault.policy.version === 2 ? vault.policy as GovernedPolicy : null;
}

export function accessIn(vault: VaultView, session: Session): VaultAccess {
  const governed = governedOf(vault);
  const me = session.member.identityKey;
  const member = governed?.members.members.find((m) => m.identityKey === me);
  const groups = [...(member?.groups ?? [])];
  if (groups.length === 0 && vault.members.some((m) => m.identityKey === me)) groups.push('keyholders');
  const acting = groups.filter((g) => g !== 'auditors');
  return {
    governed, groups,
    passkeys: (member?.passkeys ?? []).map((p) => p.credentialId),
    mayPropose: governed !== null && groups.some((g) => governed.rules.withdrawals.proposerGroups.includes(g)) && (member?.passkeys?.length ?? 0) > 0,
    readOnly: acting.length === 0,
  };
}

export function paidOut(w: WithdrawalView): bigint {
  return w.intent.outputs.reduce((sum, o) => sum + BigInt(o.amount), 0n);
}

/** Signer of an approval statement or envelope. */
export function signerOf(statement: unknown): string | null {
  const signer = (statement as { signer?: unknown } | null)?.signer;
  return typeof signer === 'string' ? signer : null;
}

/** May the member approve this withdrawal now, with a passkey? */
export function mayApprove(w: WithdrawalView, vault: VaultView, access: VaultAccess, session: Session): boolean {
  const me = session.member.identityKey;
  if (w.state !== 'awaiting_approval' || access.governed === null || access.readOnly || access.passkeys.length === 0) return false;
  if (w.proposedBy === me || w.approvals.some((a) => signerOf(a) === me)) return false;
  const tier = tierFor(access.governed.rules, paidOut(w));
  return tier !== null && tier.tier.approvals.some((seat) => access.groups.includes(seat.group)) && vault.policyHash === w.intent.policyHash;
}

/** May the member approve this pending change with a passkey? */
export function mayApproveChange(change: ChangeView, access: VaultAccess, session: Session): boolean {
  const me = session.member.identityKey;
  if (change.status !== 'pending' || access.readOnly || access.passkeys.length === 0 || change.proposer === me) return false;
  if (change.approvers.some((a) => a.identityKey === me)) return false;
  return change.quorum.byGroup.some((seat) => seat.filled < seat.needed && access.groups.includes(seat.group));
}

export function names(vaults: VaultView[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const vault of vaults) {
    for (const k of vault.members) map.set(k.identityKey, k.name);
    for (const m of governedOf(vault)?.members.members ?? []) map.set(m.identityKey, m.name);
  }
  return map;
}

export const loadVaults = () => api<VaultView[]>('GET', '/api/v1/vaults');
export const loadVault = (id: string) => api<VaultView>('GET', `/api/v1/vaults/${id}`);
export const loadWithdrawals = (vaultId: string) => api<WithdrawalView[]>('GET', `/api/v1/vaults/${vaultId}/withdrawals`);
export const loadChanges = (vaultId: string) => api<ChangeView[]>('GET', `/api/v1/vaults/${vaultId}/changes`);

/** The vaults the member belongs to (any group, or as a keyholder). */
export async function myVaults(session: Session): Promise<VaultView[]> {
  return (await loadVaults()).filter((v) => accessIn(v, session).groups.length > 0);
}
