/** Database access for BSMS setups and their sealed key records. */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ConclaveError } from '../../protocol/errors';
import { MemberEntity } from '../members/member.entity';
import { SetupKeyRecordEntity } from './setup-key-record.entity';
import { SetupEntity } from './setup.entity';

@Injectable()
export class SetupsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * `forUpdate` takes the setup's row lock on PostgreSQL, which orders concurrent submissions
   * to one setup (the count of key records and the next position); SQLite runs one at a time.
   */
  async find(id: string, manager: EntityManager = this.dataSource.manager, forUpdate = false): Promise<SetupEntity> {
    const lock = forUpdate && manager.connection.options.type === 'postgres' ? { lock: { mode: 'pessimistic_write' as const } } : {};
    const setup = await manager.getRepository(SetupEntity).findOne({ where: { id }, ...lock });
    if (!setup) throw new ConclaveError('SETUP_NOT_FOUND', `setup ${id}: not found`);
    return setup;
  }

  async insert(manager: EntityManager, setup: SetupEntity): Promise<void> {
    await manager.getRepository(SetupEntity).insert(setup);
  }

  async complete(manager: EntityManager, id: string, descriptorEnvelope: string, completedAt: string): Promise<void> {
    await manager.getRepository(SetupEntity).update({ id }, { descriptorEnvelope, completedAt });
  }

  async keyRecords(setupId: string, manager: EntityManager = this.dataSource.manager): Promise<SetupKeyRecordEntity[]> {
    return manager.getRepository(SetupKeyRecordEntity).find({ where: { setupId }, order: { position: 'ASC' } });
  }

  async insertKeyRecord(manager: EntityManager, row: SetupKeyRecordEntity): Promise<void> {
    await manager.getRepository(SetupKeyRecordEntity).insert(row);
  }

  async member(manager: EntityManager, identityKey: string): Promise<MemberEntity | null> {
    return manager.getRepository(MemberEntity).findOne({ where: { identityKey } });
  }
}
