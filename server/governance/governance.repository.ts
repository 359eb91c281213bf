/** Database access for governance changes and their approvals. */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ConclaveError } from '../../protocol/errors';
import type { ChangeStatus } from '../../protocol/governance-api';
import { GovernanceApprovalEntity } from './governance-approval.entity';
import { GovernanceChangeEntity } from './governance-change.entity';

@Injectable()
export class GovernanceRepository {
  constructor(private readonly dataSource: DataSource) {}

  async find(vaultId: string, changeId: string, manager: EntityManager = this.dataSource.manager): Promise<GovernanceChangeEntity> {
    const change = await manager.getRepository(GovernanceChangeEntity).findOne({ where: { changeId, vaultId } });
    if (!change) throw new ConclaveError('CHANGE_NOT_FOUND', `change ${changeId}: not found for vault ${vaultId}`);
    return change;
  }

  exists(manager: EntityManager, changeId: string): Promise<GovernanceChangeEntity | null> {
    return manager.getRepository(GovernanceChangeEntity).findOne({ where: { changeId } });
  }

  list(vaultId: string, status?: ChangeStatus, manager: EntityManager = this.dataSource.manager): Promise<GovernanceChangeEntity[]> {
    return manager.getRepository(GovernanceChangeEntity).find({ where: { vaultId, ...(status ? { status } : {}) }, order: { createdAt: 'ASC', changeId: 'ASC' } });
  }

  /** Vaults with a change still pending, for the sweep. */
  async vaultsWithPending(): Promise<string[]> {
    const rows: Array<{ vaultId: string }> = await this.dataSource.getRepository(GovernanceChangeEntity).createQueryBuilder('c')
      .select('c.vault_id', 'vaultId').where('c.status = :status', { status: 'pending' }).distinct(true).getRawMany();
    return rows.map((r) => r.vaultId);
  }

  insert(manager: EntityManager, change: GovernanceChangeEntity): Promise<unknown> {
    return manager.getRepository(GovernanceChangeEntity).insert(change);
  }

  async update(manager: EntityManager, changeId: string, fields: Partial<GovernanceChangeEntity>): Promise<void> {
    await manager.getRepository(GovernanceChangeEntity).update({ changeId }, fields);
  }

  approvals(changeId: string, manager: EntityManager = this.dataSource.manager): Promise<GovernanceApprovalEntity[]> {
    return manager.getRepository(GovernanceApprovalEntity).find({ where: { changeId }, order: { createdAt: 'ASC', identityKey: 'ASC' } });
  }

  approval(manager: EntityManager, changeId: string, identityKey: string): Promise<GovernanceApprovalEntity | null> {
    return manager.getRepository(GovernanceApprovalEntity).findOne({ where: { changeId, identityKey } });
  }

  insertApproval(manager: EntityManager, approval: GovernanceApprovalEntity): Promise<unknown> {
    return manager.getRepository(GovernanceApprovalEntity).insert(approval);
  }
}
