/**
 * Turns a verified DKG certificate into a FROST Taproot vault (DESIGN.md, "Two kinds of vault"),
 * inside the transaction that accepted the last confirmation: the vault row with its
 * `tr(XPUB/<0;1>/*)` descriptor and the policy every participant signed in the params, one
 * member row per participant in params order, and one confirmation per participant. The
 * certificate's n confirmations ARE the keyholders' signed statements over this key, so the
 * vault is active at once; each keyholder's signer still re-verifies the certificate itself.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { canonicalJson } from '../../protocol/canonical-json';
import { descriptorHash, formatVaultDescriptor, parseVaultDescriptor } from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { type DkgCertificate, type FrostSetupParams, type VerifiedDkg, frostVaultFromCertificate } from '../../protocol/frost';
import { policyHash } from '../../protocol/policy';
import { AuditService } from '../audit/audit.service';
import { Clock, Random } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/config';
import type { MemberEntity } from '../members/member.entity';
import { checkVaultPolicy } from '../vaults/vault-policy-check';
import { VaultScripts } from '../vaults/vault-scripts';
import { VaultConfirmationEntity } from '../vaults/vault-confirmation.entity';
import { VaultMemberEntity } from '../vaults/vault-member.entity';
import { VaultEntity } from '../vaults/vault.entity';
import { VaultsRepository } from '../vaults/vaults.repository';

export interface FrostVaultInput {
  readonly params: FrostSetupParams;
  /** The opener's frost.setup.open envelope (canonical JSON) and its signer. */
  readonly openEnvelope: string;
  readonly openedBy: string;
  readonly certificate: DkgCertificate;
  readonly verified: VerifiedDkg;
  /** Every participant's member row, by identity key. */
  readonly members: ReadonlyMap<string, MemberEntity>;
}

@Injectable()
export class FrostVaultFactory {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly vaults: VaultsRepository,
    private readonly scripts: VaultScripts,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  /** Creates the vault in the caller's transaction and returns its id. */
  async create(manager: EntityManager, setupId: string, input: FrostVaultInput): Promise<string> {
    const { params, certificate, verified } = input;
    const key = frostVaultFromCertificate(verified, params.network);
    // The descriptor API both kinds share gives the canonical text and the hash a vault is pinned by.
    const canonical = formatVaultDescriptor(parseVaultDescriptor(key.descriptor, params.network, ['tr-frost']));
    if (canonical !== key.descriptor) {
      throw new ConclaveError('DESCRIPTOR_INVALID', `descriptor: the FROST vault descriptor ${key.descriptor} is not in canonical form (${canonical})`);
    }
    const hash = descriptorHash(parseVaultDescriptor(canonical, params.network, ['tr-frost']));
    if (await manager.getRepository(VaultEntity).findOne({ where: { descriptorHash: hash } })) {
      throw new ConclaveError('VAULT_EXISTS', `a vault with the descriptor of FROST setup ${setupId} already exists`);
    }
    const now = this.clock.now().toISOString();
    const vaultId = this.random.uuid();
    // Checked at open already; again with the real id, as each signer pins it.
    checkVaultPolicy({ policy: params.vault.policy, keyholders: params.participants.map((p) => p.identityKey), vaultId, network: params.network, where: 'params.vault.policy' });
    const vault = manager.getRepository(VaultEntity).create({
      id: vaultId, name: params.vault.name, network: params.network, kind: 'tr-frost', threshold: params.threshold,
      descriptor: canonical, descriptorHash: hash, policy: canonicalJson(params.vault.policy), policyHash: policyHash(params.vault.policy),
      createdBy: input.openedBy, createEnvelope: input.openEnvelope, nextReceiveIndex: 0, nextChangeIndex: 0, createdAt: now,
    });
    await manager.getRepository(VaultEntity).insert(vault);
    const members = params.participants.map((p, i) => {
      const member = input.members.get(p.identityKey);
      if (!member) throw new ConclaveError('MEMBER_NOT_FOUND', `params.participants.${i}.identityKey: no member with identity key ${p.identityKey}`);
      return member;
    });
    await manager.getRepository(VaultMemberEntity).insert(members.map((m, position) => ({ vaultId: vault.id, position, memberId: m.id })));
    await this.vaults.ensureAddresses(manager, vault, 0, this.config.gapLimit);
    await this.vaults.ensureAddresses(manager, vault, 1, this.config.gapLimit);
    const firstAddress = this.scripts.address(vault, 0, 0).address;
    await manager.getRepository(VaultConfirmationEntity).insert(certificate.confirmations.map((c, i) => ({
      vaultId: vault.id, identityKey: params.participants[i].identityKey, firstAddress, envelope: canonicalJson(c), createdAt: now,
    })));
    await this.audit.append(manager, {
      kind: 'frost.vault.created', subject: vault.id,
      payload: {
        setupId, descriptor: canonical, transcriptHash: verified.transcriptHash, name: vault.name, threshold: vault.threshold, policyHash: vault.policyHash,
      },
    });
    await this.audit.append(manager, { kind: 'vault.activated', subject: vault.id, payload: { keyholders: members.length } });
    return vault.id;
  }
}
