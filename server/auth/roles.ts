/**
 * Who holds which role (issue 5), read from the coordinator's copy of the pinned vaults: the
 * groups of every version-2 vault's member set (admins, initiators, approvers, auditors,
 * keyholders), and for every vault, keyholder for each key in its descriptor (a version-1
 * vault knows no other role). Roles are the union over all vaults; which vault a member may
 * act on is for the services to decide, from that vault's own policy.
 */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { GOVERNED_POLICY_VERSION, type VaultPolicy } from '../../protocol/policy';
import { GROUPS } from '../../protocol/policy-engine/members';
import type { PinnedPasskey } from '../../protocol/webauthn/verify-passkey-statement';
import { MemberEntity } from '../members/member.entity';
import { VaultMemberEntity } from '../vaults/vault-member.entity';
import { VaultEntity } from '../vaults/vault.entity';

export const ROLES = ['admin', 'initiator', 'approver', 'auditor', 'keyholder'] as const;
export type Role = (typeof ROLES)[number];

const ROLE_OF_GROUP: Record<string, Role> = {
  [GROUPS.admins]: 'admin', [GROUPS.initiators]: 'initiator', [GROUPS.approvers]: 'approver',
  [GROUPS.auditors]: 'auditor', [GROUPS.keyholders]: 'keyholder',
};

export interface MemberStanding {
  identityKey: string;
  /** Joined this coordinator (member.join) or named in a vault's member set. */
  known: boolean;
  name: string | null;
  roles: Role[];
  /** Every passkey pinned for the member in any version-2 vault's member set. */
  passkeys: PinnedPasskey[];
}

@Injectable()
export class RoleDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async standing(identityKey: string, manager: EntityManager = this.dataSource.manager): Promise<MemberStanding> {
    const joined = await manager.getRepository(MemberEntity).findOne({ where: { identityKey } });
    const roles = new Set<Role>();
    const passkeys = new Map<string, PinnedPasskey>();
    let name = joined?.name ?? null;
    let inMemberSet = false;
    if (joined) {
      const links = await manager.getRepository(VaultMemberEntity).count({ where: { memberId: joined.id } });
      if (links > 0) roles.add('keyholder');
    }
    for (const policy of await this.governedPolicies(manager)) {
      const member = policy.members.members.find((m) => m.identityKey === identityKey);
      if (!member) continue;
      inMemberSet = true;
      name ??= member.name;
      for (const group of member.groups) if (ROLE_OF_GROUP[group]) roles.add(ROLE_OF_GROUP[group]);
      for (const passkey of member.passkeys ?? []) passkeys.set(passkey.credentialId, passkey);
    }
    return { identityKey, known: joined !== null || inMemberSet, name, roles: ROLES.filter((r) => roles.has(r)), passkeys: [...passkeys.values()] };
  }

  /** The member whose pinned passkeys include `credentialId`, if any. */
  async passkeyOwner(credentialId: string, manager: EntityManager = this.dataSource.manager): Promise<{ identityKey: string; passkey: PinnedPasskey } | null> {
    for (const policy of await this.governedPolicies(manager)) {
      for (const member of policy.members.members) {
        const passkey = member.passkeys?.find((p) => p.credentialId === credentialId);
        if (passkey) return { identityKey: member.identityKey, passkey };
      }
    }
    return null;
  }

  private async governedPolicies(manager: EntityManager): Promise<Array<Extract<VaultPolicy, { version: 2 }>>> {
    const vaults = await manager.getRepository(VaultEntity).find({ select: { id: true, policy: true } });
    return vaults
      .map((v) => JSON.parse(v.policy) as VaultPolicy)
      .filter((p): p is Extract<VaultPolicy, { version: 2 }> => p.version === GOVERNED_POLICY_VERSION);
  }
}
