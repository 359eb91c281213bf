/** Database access for FROST signing rounds: commitments, sessions and shares of withdrawals. */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { FrostCommitmentEntity } from './frost-commitment.entity';
import { FrostSessionEntity } from './frost-session.entity';
import { FrostShareEntity } from './frost-share.entity';

@Injectable()
export class FrostSigningRepository {
  commitments(manager: EntityManager, withdrawalId: string): Promise<FrostCommitmentEntity[]> {
    return manager.getRepository(FrostCommitmentEntity).find({ where: { withdrawalId }, order: { arrival: 'ASC' } });
  }

  async insertCommitment(manager: EntityManager, row: Omit<FrostCommitmentEntity, 'arrival'>): Promise<FrostCommitmentEntity> {
    const last = await manager.getRepository(FrostCommitmentEntity).findOne({ where: { withdrawalId: row.withdrawalId }, order: { arrival: 'DESC' } });
    const entity = { ...row, arrival: (last?.arrival ?? 0) + 1 };
    await manager.getRepository(FrostCommitmentEntity).insert(entity);
    return entity;
  }

  async markUsed(manager: EntityManager, commitments: readonly FrostCommitmentEntity[], sessionId: string): Promise<void> {
    for (const c of commitments) {
      await manager.getRepository(FrostCommitmentEntity).update(
        { withdrawalId: c.withdrawalId, identityKey: c.identityKey, commitmentId: c.commitmentId }, { sessionId },
      );
    }
  }

  /** Oldest first. */
  sessions(manager: EntityManager, withdrawalId: string): Promise<FrostSessionEntity[]> {
    return manager.getRepository(FrostSessionEntity).find({ where: { withdrawalId }, order: { number: 'ASC' } });
  }

  session(manager: EntityManager, id: string): Promise<FrostSessionEntity | null> {
    return manager.getRepository(FrostSessionEntity).findOne({ where: { id } });
  }

  /** Sessions of every withdrawal still waiting for shares, for the time-out sweep. */
  openSessions(manager: EntityManager): Promise<FrostSessionEntity[]> {
    return manager.getRepository(FrostSessionEntity).find({ where: { state: 'signing' }, order: { createdAt: 'ASC' } });
  }

  async insertSession(manager: EntityManager, row: FrostSessionEntity): Promise<void> {
    await manager.getRepository(FrostSessionEntity).insert(row);
  }

  async endSession(manager: EntityManager, id: string, end: Pick<FrostSessionEntity, 'state' | 'failureCode' | 'failureMessage' | 'failureIdentityKey' | 'updatedAt'>): Promise<void> {
    await manager.getRepository(FrostSessionEntity).update({ id, state: 'signing' }, end);
  }

  shares(manager: EntityManager, withdrawalId: string): Promise<FrostShareEntity[]> {
    return manager.getRepository(FrostShareEntity).find({ where: { withdrawalId }, order: { createdAt: 'ASC' } });
  }

  async insertShare(manager: EntityManager, row: FrostShareEntity): Promise<void> {
    await manager.getRepository(FrostShareEntity).insert(row);
  }
}
