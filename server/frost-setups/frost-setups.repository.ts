/** Database access for FROST setups and the DKG messages relayed for them. */
import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, In } from 'typeorm';
import { ConclaveError } from '../../protocol/errors';
import { MemberEntity } from '../members/member.entity';
import { type DkgRound, FrostDkgMessageEntity } from './frost-dkg-message.entity';
import { FrostSetupEntity } from './frost-setup.entity';

@Injectable()
export class FrostSetupsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * `forUpdate` takes the setup's row lock on PostgreSQL, which orders concurrent messages to
   * one setup (so the last two confirmations cannot both make a vault); SQLite runs one
   * transaction at a time.
   */
  async find(setupId: string, manager: EntityManager = this.dataSource.manager, forUpdate = false): Promise<FrostSetupEntity> {
    const lock = forUpdate && manager.connection.options.type === 'postgres' ? { lock: { mode: 'pessimistic_write' as const } } : {};
    const setup = await manager.getRepository(FrostSetupEntity).findOne({ where: { setupId }, ...lock });
    if (!setup) throw new ConclaveError('FROST_SETUP_NOT_FOUND', `FROST setup ${setupId}: not found`);
    return setup;
  }

  async exists(manager: EntityManager, setupId: string): Promise<boolean> {
    return (await manager.getRepository(FrostSetupEntity).count({ where: { setupId } })) > 0;
  }

  async insert(manager: EntityManager, setup: FrostSetupEntity): Promise<void> {
    await manager.getRepository(FrostSetupEntity).insert(setup);
  }

  async update(manager: EntityManager, setupId: string, change: Partial<Omit<FrostSetupEntity, 'setupId'>>): Promise<void> {
    await manager.getRepository(FrostSetupEntity).update({ setupId }, change);
  }

  /** Messages of one round (all rounds when omitted), oldest first, then in participant order. */
  async messages(setupId: string, round?: DkgRound, manager: EntityManager = this.dataSource.manager): Promise<FrostDkgMessageEntity[]> {
    return manager.getRepository(FrostDkgMessageEntity).find({
      where: round === undefined ? { setupId } : { setupId, round },
      order: { createdAt: 'ASC', senderIndex: 'ASC', recipient: 'ASC' },
    });
  }

  async messagesFrom(manager: EntityManager, setupId: string, round: DkgRound, sender: string): Promise<FrostDkgMessageEntity[]> {
    return manager.getRepository(FrostDkgMessageEntity).find({ where: { setupId, round, sender }, order: { recipient: 'ASC' } });
  }

  async messagesTo(setupId: string, recipient: string): Promise<FrostDkgMessageEntity[]> {
    return this.dataSource.getRepository(FrostDkgMessageEntity).find({
      where: { setupId, round: 'round2', recipient }, order: { createdAt: 'ASC', senderIndex: 'ASC' },
    });
  }

  /** How many distinct participants sent a message of this round. */
  async senders(manager: EntityManager, setupId: string, round: DkgRound): Promise<number> {
    const rows: Array<{ sender: string }> = await manager.getRepository(FrostDkgMessageEntity).createQueryBuilder('m')
      .select('DISTINCT m.sender', 'sender').where('m.setup_id = :setupId AND m.round = :round', { setupId, round }).getRawMany();
    return rows.length;
  }

  async insertMessages(manager: EntityManager, rows: FrostDkgMessageEntity[]): Promise<void> {
    await manager.getRepository(FrostDkgMessageEntity).insert(rows);
  }

  /** Registered members by identity key (those that exist). */
  async members(manager: EntityManager, identityKeys: string[]): Promise<Map<string, MemberEntity>> {
    const found = await manager.getRepository(MemberEntity).find({ where: { identityKey: In(identityKeys) } });
    return new Map(found.map((m) => [m.identityKey, m]));
  }
}
