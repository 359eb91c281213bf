/** Members join by a signed statement of their identity key and BIP48 account key. */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MESSAGE_TYPES, type MemberJoin, type MemberView, memberJoinSchema } from '../../protocol/api';
import { canonicalJson } from '../../protocol/canonical-json';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import { validateAccountKey } from '../../protocol/descriptor';
import { AuditService } from '../audit/audit.service';
import { Clock, Random } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { MemberEntity } from './member.entity';

@Injectable()
export class MembersService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async join(input: unknown): Promise<MemberView> {
    return this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<MemberJoin>(manager, input, MESSAGE_TYPES.memberJoin);
      const body = parseWith(memberJoinSchema, envelope.body, 'envelope.body');
      if (body.network !== this.config.network) {
        throw new ConclaveError('ADDRESS_WRONG_NETWORK', `envelope.body.network: this coordinator runs on ${this.config.network}, not ${body.network}`);
      }
      // The account key must be a BIP48 P2WSH account key of this network; checked here so a
      // vault can never be proposed from a key that no signer could have produced.
      validateAccountKey(body.accountKey, this.config.network);
      const repo = manager.getRepository(MemberEntity);
      if (await repo.findOne({ where: [{ identityKey: envelope.signer }, { accountXpub: body.accountKey.xpub }] })) {
        throw new ConclaveError('MEMBER_EXISTS', 'a member with this identity key or account key already exists');
      }
      const member = repo.create({
        id: this.random.uuid(), name: body.name, identityKey: envelope.signer, network: body.network,
        accountFingerprint: body.accountKey.fingerprint, accountPath: body.accountKey.path, accountXpub: body.accountKey.xpub,
        joinEnvelope: canonicalJson(envelope), createdAt: this.clock.now().toISOString(),
      });
      await repo.insert(member);
      await this.audit.append(manager, { kind: 'member.joined', actor: envelope.signer, subject: member.id, payload: { name: body.name, accountKey: body.accountKey }, evidence: envelope });
      return toMemberView(member);
    });
  }

  async list(): Promise<MemberView[]> {
    return (await this.dataSource.getRepository(MemberEntity).find({ order: { createdAt: 'ASC' } })).map(toMemberView);
  }

  async get(id: string): Promise<MemberView> {
    const member = await this.dataSource.getRepository(MemberEntity).findOne({ where: { id } });
    if (!member) throw new ConclaveError('MEMBER_NOT_FOUND', `member ${id}: not found`);
    return toMemberView(member);
  }
}

export function toMemberView(m: MemberEntity): MemberView {
  return {
    id: m.id, name: m.name, identityKey: m.identityKey, fingerprint: identityFingerprint(m.identityKey), network: m.network,
    accountKey: { fingerprint: m.accountFingerprint, path: m.accountPath, xpub: m.accountXpub }, createdAt: m.createdAt,
  };
}
