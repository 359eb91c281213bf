/**
 * Who answers for a vault's webhooks. A governed (version 2) vault names its administrators
 * (the admins group) and auditors in its member set; a simple (version 1) vault names no one but
 * its keyholders, who are then its administrators. Administrators register and disable
 * endpoints for a vault; administrators and auditors see its endpoints and delivery logs.
 */
import { type EntityManager } from 'typeorm';
import { GOVERNED_POLICY_VERSION, type VaultPolicy } from '../../protocol/policy';
import { GROUPS } from '../../protocol/policy-engine/members';
import { MemberEntity } from '../members/member.entity';
import { VaultMemberEntity } from '../vaults/vault-member.entity';
import { VaultEntity } from '../vaults/vault.entity';

export interface Stewardship {
  /** Vaults the member may register and disable endpoints for. */
  administers: Set<string>;
  /** Vaults whose endpoints and delivery logs the member may read (administered ones included). */
  oversees: Set<string>;
}

export async function stewardshipOf(manager: EntityManager, identityKey: string): Promise<Stewardship> {
  const administers = new Set<string>();
  const oversees = new Set<string>();
  const vaults = await manager.getRepository(VaultEntity).find({ select: { id: true, policy: true } });
  const member = await manager.getRepository(MemberEntity).findOne({ where: { identityKey } });
  const keyholderOf = new Set(member === null ? [] : (await manager.getRepository(VaultMemberEntity).find({ where: { memberId: member.id } })).map((l) => l.vaultId));
  for (const vault of vaults) {
    const policy = JSON.parse(vault.policy) as VaultPolicy;
    if (policy.version === GOVERNED_POLICY_VERSION) {
      const groups = policy.members.members.find((m) => m.identityKey === identityKey)?.groups ?? [];
      if (groups.includes(GROUPS.admins)) administers.add(vault.id);
      if (groups.includes(GROUPS.admins) || groups.includes(GROUPS.auditors)) oversees.add(vault.id);
    } else if (keyholderOf.has(vault.id)) {
      administers.add(vault.id);
      oversees.add(vault.id);
    }
  }
  return { administers, oversees };
}
