/** Database access for vaults, their members, confirmations and derived addresses. */
import { Injectable } from '@nestjs/common';
import { bytesToHex } from '@noble/hashes/utils.js';
import { DataSource, type EntityManager, In } from 'typeorm';
import { ConclaveError } from '../../protocol/errors';
import { MemberEntity } from '../members/member.entity';
import { AddressEntity } from './address.entity';
import { VaultScripts } from './vault-scripts';
import { VaultConfirmationEntity } from './vault-confirmation.entity';
import { VaultMemberEntity } from './vault-member.entity';
import { VaultEntity } from './vault.entity';

export interface VaultRecord {
  vault: VaultEntity;
  members: Array<{ position: number; member: MemberEntity }>;
  confirmations: VaultConfirmationEntity[];
}

@Injectable()
export class VaultsRepository {
  constructor(private readonly dataSource: DataSource, private readonly scripts: VaultScripts) {}

  /**
   * `forUpdate` takes the vault's row lock on PostgreSQL, which orders concurrent proposals on
   * one vault (coin selection and the next change index); SQLite already runs one at a time.
   */
  async find(id: string, manager: EntityManager = this.dataSource.manager, forUpdate = false): Promise<VaultEntity> {
    const lock = forUpdate && manager.connection.options.type === 'postgres' ? { lock: { mode: 'pessimistic_write' as const } } : {};
    const vault = await manager.getRepository(VaultEntity).findOne({ where: { id }, ...lock });
    if (!vault) throw new ConclaveError('VAULT_NOT_FOUND', `vault ${id}: not found`);
    return vault;
  }

  async record(id: string, manager: EntityManager = this.dataSource.manager): Promise<VaultRecord> {
    const vault = await this.find(id, manager);
    const links = await manager.getRepository(VaultMemberEntity).find({ where: { vaultId: id }, order: { position: 'ASC' } });
    const members = await manager.getRepository(MemberEntity).find({ where: { id: In(links.map((l) => l.memberId)) } });
    const byId = new Map(members.map((m) => [m.id, m]));
    const confirmations = await manager.getRepository(VaultConfirmationEntity).find({ where: { vaultId: id }, order: { createdAt: 'ASC' } });
    return { vault, members: links.map((l) => ({ position: l.position, member: byId.get(l.memberId)! })), confirmations };
  }

  async listIds(): Promise<string[]> {
    return (await this.dataSource.getRepository(VaultEntity).find({ select: { id: true }, order: { createdAt: 'ASC' } })).map((v) => v.id);
  }

  /**
   * A vault holds and moves money only once every keyholder has checked it and confirmed it
   * with a signature (root of trust): until then nobody can be sure it is the vault they agreed.
   */
  async requireActive(manager: EntityManager, vault: VaultEntity): Promise<void> {
    const members = await manager.getRepository(VaultMemberEntity).count({ where: { vaultId: vault.id } });
    const confirmed = await manager.getRepository(VaultConfirmationEntity).count({ where: { vaultId: vault.id } });
    if (confirmed < members) {
      throw new ConclaveError('VAULT_NOT_ACTIVE', `vault ${vault.id}: ${confirmed} of ${members} keyholders have confirmed it; each runs "vault pin ${vault.id}"`);
    }
  }

  async isMember(manager: EntityManager, vaultId: string, identityKey: string): Promise<boolean> {
    const member = await manager.getRepository(MemberEntity).findOne({ where: { identityKey } });
    if (!member) return false;
    return (await manager.getRepository(VaultMemberEntity).count({ where: { vaultId, memberId: member.id } })) > 0;
  }

  /** Stores addresses up to `untilIndex` (exclusive) on one chain; existing rows are kept. */
  async ensureAddresses(manager: EntityManager, vault: VaultEntity, change: 0 | 1, untilIndex: number): Promise<void> {
    const repo = manager.getRepository(AddressEntity);
    const have = await repo.count({ where: { vaultId: vault.id, change } });
    const rows: AddressEntity[] = [];
    for (let index = have; index < untilIndex; index++) {
      const script = this.scripts.address(vault, change, index);
      rows.push(repo.create({ vaultId: vault.id, change, index, address: script.address, scriptPubKey: bytesToHex(script.scriptPubKey) }));
    }
    if (rows.length > 0) await repo.insert(rows);
  }

  async addressesByScript(manager: EntityManager, vaultId: string, scriptPubKeys: string[]): Promise<AddressEntity[]> {
    if (scriptPubKeys.length === 0) return [];
    return manager.getRepository(AddressEntity).find({ where: { vaultId, scriptPubKey: In(scriptPubKeys) } });
  }
}
