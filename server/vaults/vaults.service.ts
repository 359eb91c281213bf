/**
 * Vault creation and confirmation. The coordinator checks that the proposed descriptor is
 * built from exactly the listed members' registered account keys; each keyholder's signer
 * then checks it again for itself and confirms with a signed statement (root of trust).
 */
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type AddressView, MESSAGE_TYPES, type VaultConfirm, type VaultCreate, type VaultView, vaultConfirmSchema, vaultCreateSchema,
} from '../../protocol/api';
import { canonicalJson } from '../../protocol/canonical-json';
import { descriptorHash, deriveVaultScript, formatVaultDescriptor, parseVaultDescriptor, sameKeyOrigin } from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import { type VaultPolicy, policyHash } from '../../protocol/policy';
import { AuditService } from '../audit/audit.service';
import { Clock, Random } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { UtxoEntity } from '../deposits/utxo.entity';
import { MemberEntity } from '../members/member.entity';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { AddressEntity } from './address.entity';
import { checkVaultPolicy } from './vault-policy-check';
import { VaultScripts } from './vault-scripts';
import { VaultConfirmationEntity } from './vault-confirmation.entity';
import { VaultMemberEntity } from './vault-member.entity';
import { VaultEntity } from './vault.entity';
import { type VaultRecord, VaultsRepository } from './vaults.repository';

@Injectable()
export class VaultsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly repo: VaultsRepository,
    private readonly scripts: VaultScripts,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async create(input: unknown): Promise<VaultView> {
    const id = await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<VaultCreate>(manager, input, MESSAGE_TYPES.vaultCreate);
      const body = parseWith(vaultCreateSchema, envelope.body, 'envelope.body');
      if (body.network !== this.config.network) {
        throw new ConclaveError('ADDRESS_WRONG_NETWORK', `envelope.body.network: this coordinator runs on ${this.config.network}`);
      }
      if (!body.members.includes(envelope.signer)) throw new ConclaveError('FORBIDDEN', 'only a keyholder of the new vault may propose it');
      if (new Set(body.members).size !== body.members.length) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.members: listed twice');
      const descriptor = parseVaultDescriptor(body.descriptor, this.config.network);
      if (descriptor.threshold !== body.threshold) throw new ConclaveError('DESCRIPTOR_INVALID', 'descriptor: threshold differs from envelope.body.threshold');
      if (descriptor.keys.length !== body.members.length) throw new ConclaveError('DESCRIPTOR_INVALID', 'descriptor: key count differs from the member count');
      const vaultId = this.random.uuid();
      checkVaultPolicy({ policy: body.policy, keyholders: body.members, vaultId, network: body.network, where: 'envelope.body.policy' });
      const members: MemberEntity[] = [];
      for (const [i, identityKey] of body.members.entries()) {
        const member = await manager.getRepository(MemberEntity).findOne({ where: { identityKey } });
        if (!member) throw new ConclaveError('MEMBER_NOT_FOUND', `envelope.body.members[${i}]: no member with identity key ${identityKey}`);
        const key = descriptor.keys[i]!;
        if (!sameKeyOrigin(key, { xpub: member.accountXpub, fingerprint: member.accountFingerprint, path: member.accountPath })) {
          throw new ConclaveError('DESCRIPTOR_INVALID', `descriptor: key ${i} is not ${member.name}'s registered account key`);
        }
        members.push(member);
      }
      const canonical = formatVaultDescriptor(descriptor);
      const hash = descriptorHash(descriptor);
      // The same keys in another order make another text but the same addresses (sortedmulti),
      // so an existing first address also means the vault exists.
      const firstAddress = deriveVaultScript(descriptor, 0, 0).address;
      if (await manager.getRepository(VaultEntity).findOne({ where: { descriptorHash: hash } })
        || await manager.getRepository(AddressEntity).findOne({ where: { address: firstAddress } })) {
        throw new ConclaveError('VAULT_EXISTS', 'a vault with these keys and threshold already exists');
      }
      const vault = manager.getRepository(VaultEntity).create({
        id: vaultId, name: body.name, network: body.network, kind: 'wsh-sortedmulti', threshold: body.threshold, descriptor: canonical,
        descriptorHash: hash, policy: canonicalJson(body.policy), policyHash: policyHash(body.policy),
        createdBy: envelope.signer, createEnvelope: canonicalJson(envelope),
        nextReceiveIndex: 0, nextChangeIndex: 0, createdAt: this.clock.now().toISOString(),
      });
      await manager.getRepository(VaultEntity).insert(vault);
      await manager.getRepository(VaultMemberEntity).insert(members.map((m, position) => ({ vaultId: vault.id, position, memberId: m.id })));
      await this.repo.ensureAddresses(manager, vault, 0, this.config.gapLimit);
      await this.repo.ensureAddresses(manager, vault, 1, this.config.gapLimit);
      await this.audit.append(manager, { kind: 'vault.created', actor: envelope.signer, subject: vault.id, payload: { name: vault.name, descriptor: canonical, threshold: vault.threshold, policyHash: vault.policyHash }, evidence: envelope });
      return vault.id;
    });
    return this.get(id);
  }

  async confirm(vaultId: string, input: unknown): Promise<VaultView> {
    await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<VaultConfirm>(manager, input, MESSAGE_TYPES.vaultConfirm);
      const body = parseWith(vaultConfirmSchema, envelope.body, 'envelope.body');
      if (body.vaultId !== vaultId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.vaultId: does not match the route');
      // Row lock: two last confirmations at once must see each other to record the activation.
      const vault = await this.repo.find(vaultId, manager, true);
      if (!(await this.repo.isMember(manager, vaultId, envelope.signer))) throw new ConclaveError('NOT_A_MEMBER', 'the signer is not a keyholder of this vault');
      if (body.descriptor !== vault.descriptor) throw new ConclaveError('PIN_MISMATCH', 'envelope.body.descriptor: differs from the vault descriptor');
      if (body.policyHash !== vault.policyHash) throw new ConclaveError('POLICY_MISMATCH', 'envelope.body.policyHash: differs from the vault policy');
      const first = this.scripts.address(vault, 0, 0).address;
      if (body.firstAddress !== first) throw new ConclaveError('PIN_MISMATCH', `envelope.body.firstAddress: ${body.firstAddress} differs from ${first}`);
      const repo = manager.getRepository(VaultConfirmationEntity);
      if (await repo.findOne({ where: { vaultId, identityKey: envelope.signer } })) return;
      await repo.insert({ vaultId, identityKey: envelope.signer, firstAddress: body.firstAddress, envelope: canonicalJson(envelope), createdAt: this.clock.now().toISOString() });
      await this.audit.append(manager, { kind: 'vault.confirmed', actor: envelope.signer, subject: vaultId, payload: { firstAddress: first }, evidence: envelope });
      const confirmed = await repo.count({ where: { vaultId } });
      const members = await manager.getRepository(VaultMemberEntity).count({ where: { vaultId } });
      if (confirmed === members) await this.audit.append(manager, { kind: 'vault.activated', subject: vaultId, payload: { keyholders: members } });
    });
    return this.get(vaultId);
  }

  async get(id: string): Promise<VaultView> {
    return this.toView(await this.repo.record(id));
  }

  async list(): Promise<VaultView[]> {
    return Promise.all((await this.repo.listIds()).map((id) => this.get(id)));
  }

  async addresses(id: string, change: 0 | 1, from: number, count: number): Promise<AddressView[]> {
    const vault = await this.repo.find(id);
    return Array.from({ length: count }, (_, i) => ({ change, index: from + i, address: this.scripts.address(vault, change, from + i).address }));
  }

  private async toView(record: VaultRecord): Promise<VaultView> {
    const { vault } = record;
    const utxos = await this.dataSource.getRepository(UtxoEntity).find({ where: { vaultId: vault.id } });
    const sum = (status: string) => utxos.filter((u) => u.status === status).reduce((acc, u) => acc + BigInt(u.amount), 0n);
    return {
      id: vault.id, name: vault.name, network: vault.network, threshold: vault.threshold, descriptor: vault.descriptor,
      policy: JSON.parse(vault.policy) as VaultPolicy, policyHash: vault.policyHash,
      members: record.members.map(({ member }) => ({
        memberId: member.id, name: member.name, identityKey: member.identityKey, fingerprint: identityFingerprint(member.identityKey),
        accountKey: { fingerprint: member.accountFingerprint, path: member.accountPath, xpub: member.accountXpub },
      })),
      createdBy: vault.createdBy, createdAt: vault.createdAt,
      confirmations: record.confirmations.map((c) => ({ identityKey: c.identityKey, firstAddress: c.firstAddress, createdAt: c.createdAt })),
      status: record.confirmations.length >= record.members.length ? 'active' : 'pending_confirmation',
      balance: { confirmed: (sum('available') + sum('reserved')).toString(), reserved: sum('reserved').toString() },
      evidence: { create: JSON.parse(vault.createEnvelope) as unknown, joins: record.members.map(({ member }) => JSON.parse(member.joinEnvelope) as unknown) },
    };
  }
}
