/** Database access for withdrawals and the partial signatures collected for them. */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { WithdrawalState, WithdrawalView } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { PartialSignatureEntity } from '../signing/partial-signature.entity';
import { ApprovalEntity } from './approval.entity';
import { toWithdrawalView } from './withdrawal-view';
import { WithdrawalEntity } from './withdrawal.entity';

@Injectable()
export class WithdrawalsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * `forUpdate` takes the row lock on PostgreSQL: two signatures arriving at once must see each
   * other, or neither would count the threshold reached. SQLite runs one transaction at a time.
   */
  async find(id: string, manager: EntityManager = this.dataSource.manager, forUpdate = false): Promise<WithdrawalEntity> {
    const lock = forUpdate && manager.connection.options.type === 'postgres' ? { lock: { mode: 'pessimistic_write' as const } } : {};
    const w = await manager.getRepository(WithdrawalEntity).findOne({ where: { id }, ...lock });
    if (!w) throw new ConclaveError('WITHDRAWAL_NOT_FOUND', `withdrawal ${id}: not found`);
    return w;
  }

  findByRequest(manager: EntityManager, vaultId: string, requestId: string): Promise<WithdrawalEntity | null> {
    return manager.getRepository(WithdrawalEntity).findOne({ where: { vaultId, requestId } });
  }

  signatures(withdrawalId: string, manager: EntityManager = this.dataSource.manager): Promise<PartialSignatureEntity[]> {
    return manager.getRepository(PartialSignatureEntity).find({ where: { withdrawalId }, order: { createdAt: 'ASC' } });
  }

  approvals(withdrawalId: string, manager: EntityManager = this.dataSource.manager): Promise<ApprovalEntity[]> {
    return manager.getRepository(ApprovalEntity).find({ where: { withdrawalId }, order: { createdAt: 'ASC', identityKey: 'ASC' } });
  }

  async view(id: string, manager: EntityManager = this.dataSource.manager): Promise<WithdrawalView> {
    return toWithdrawalView(await this.find(id, manager), await this.signatures(id, manager), await this.approvals(id, manager));
  }

  async listForVault(vaultId: string, state?: WithdrawalState): Promise<WithdrawalView[]> {
    const rows = await this.dataSource.getRepository(WithdrawalEntity).find({ where: { vaultId, ...(state ? { state } : {}) }, order: { createdAt: 'ASC' } });
    return Promise.all(rows.map(async (w) => toWithdrawalView(w, await this.signatures(w.id), await this.approvals(w.id))));
  }

  /** Moves a withdrawal from one state to the next only if it is still in the expected one. */
  async transition(manager: EntityManager, id: string, from: WithdrawalState, to: WithdrawalState, now: string, extra: Partial<WithdrawalEntity> = {}): Promise<void> {
    const result = await manager.createQueryBuilder().update(WithdrawalEntity)
      .set({ ...extra, state: to, updatedAt: now })
      .where('id = :id AND state = :from', { id, from })
      .execute();
    if (result.affected !== 1) throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${id}: no longer ${from}`);
  }
}
