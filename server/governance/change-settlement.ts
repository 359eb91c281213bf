/**
 * Applies due changes to the coordinator's copy of a governed vault's policy: on every approval,
 * on every read, and by a periodic sweep by the coordinator's clock (a delay ends whether or not
 * anyone asks). Pending changes are taken in the order they were proposed; once one applies,
 * the rest are judged again against the new state, so a change made for the state it replaced
 * is superseded. Each step is one audit event in the same transaction as the update it records
 * (the vault's policy and policy hash included), and every keyholder is told once it commits.
 * The coordinator cannot make a change this way: applyChange accepts only the quorum's signatures.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { canonicalJson } from '../../protocol/canonical-json';
import type { NetworkName } from '../../protocol/network';
import { GOVERNED_POLICY_VERSION, type GovernedPolicy, type VaultPolicy, governedPolicyOf, pinnedPolicyState, policyHash } from '../../protocol/policy';
import { pinnedStateHashes } from '../../protocol/policy-engine';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { PeriodicSweep } from '../common/periodic-sweep';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { SignerHub } from '../events/signer-hub';
import { VaultEntity } from '../vaults/vault.entity';
import { VaultsRepository } from '../vaults/vaults.repository';
import type { ChangeProposal } from '../../protocol/policy-engine';
import { judgeChange } from './change-review';
import { CredentialReplacement, type CredentialsReplaced } from './credential-replacement';
import type { GovernanceChangeEntity } from './governance-change.entity';
import { GovernanceRepository } from './governance.repository';

@Injectable()
export class ChangeSettlement implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChangeSettlement');
  private readonly sweep = new PeriodicSweep('governance sweep', this.logger, () => this.settleAll());

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly repo: GovernanceRepository,
    private readonly hub: SignerHub,
    private readonly clock: Clock,
    private readonly credentials: CredentialReplacement,
  ) {}

  onApplicationBootstrap(): void {
    this.sweep.start(this.config.expirySweepSeconds);
  }

  onApplicationShutdown(): void {
    this.sweep.stop();
  }

  /** Settles every vault with a pending change, each in its own transaction; returns the ids of the changes applied. */
  async settleAll(): Promise<string[]> {
    const applied: string[] = [];
    for (const vaultId of await this.repo.vaultsWithPending()) {
      applied.push(...await this.tx.run(async (manager) => this.settle(manager, await this.vaults.find(vaultId, manager, true))));
    }
    return applied;
  }

  /**
   * In the caller's transaction, which holds the vault's row lock: settles the vault's pending
   * changes and returns the ids of those applied. `vault` is updated in place.
   */
  async settle(manager: EntityManager, vault: VaultEntity): Promise<string[]> {
    let policy = JSON.parse(vault.policy) as VaultPolicy;
    if (policy.version !== GOVERNED_POLICY_VERSION) return [];
    const now = this.clock.now();
    const applied: string[] = [];
    for (let progress = true; progress;) {
      progress = false;
      for (const change of await this.repo.list(vault.id, 'pending', manager)) {
        const approvals = (await this.repo.approvals(change.changeId, manager)).map((a) => JSON.parse(a.statement) as unknown);
        const judged = judgeChange(pinnedPolicyState(vault.id, vault.network as NetworkName, policy), JSON.parse(change.proposal), approvals, now);
        if (judged.outcome === 'pending') continue;
        const fields = { status: judged.outcome, review: canonicalJson(judged.review), quorumReachedAt: judged.review.quorumReachedAt, effectiveAt: judged.review.effectiveAt, settledAt: now.toISOString() };
        await this.repo.update(manager, change.changeId, fields);
        if (judged.outcome !== 'applied') {
          await this.audit.append(manager, { kind: `governance.${judged.outcome}`, subject: change.changeId, payload: { vaultId: vault.id, op: change.op, problems: judged.review.problems } });
          continue;
        }
        policy = governedPolicyOf(judged.state);
        await this.store(manager, vault, policy, change, judged.review);
        applied.push(change.changeId);
        // The state moved on: every other pending change is judged again against it.
        progress = true;
        break;
      }
    }
    return applied;
  }

  private async store(manager: EntityManager, vault: VaultEntity, policy: GovernedPolicy, change: GovernanceChangeEntity, review: { quorumReachedAt: string | null; effectiveAt: string | null }): Promise<void> {
    const hash = policyHash(policy);
    await manager.getRepository(VaultEntity).update({ id: vault.id }, { policy: canonicalJson(policy), policyHash: hash });
    vault.policy = canonicalJson(policy);
    vault.policyHash = hash;
    // A replaced identity key is replaced wherever the coordinator knows the member by it, in this transaction.
    const proposal = (JSON.parse(change.proposal) as { body: ChangeProposal }).body;
    let credentials: CredentialsReplaced | null = null;
    if (proposal.op === 'member.replace-credentials' && proposal.newIdentityKey !== undefined) {
      credentials = await this.credentials.replace(manager, proposal.identityKey, proposal.newIdentityKey);
    }
    await this.audit.append(manager, {
      kind: 'governance.applied', subject: change.changeId,
      payload: {
        vaultId: vault.id, op: change.op, policyHash: hash, parts: pinnedStateHashes(pinnedPolicyState(vault.id, vault.network as NetworkName, policy)),
        quorumReachedAt: review.quorumReachedAt, effectiveAt: review.effectiveAt,
        ...(credentials === null ? {} : { credentials }),
      },
    });
    await this.hub.publishToVault(manager, vault.id, { kind: 'governance.applied', vaultId: vault.id, changeId: change.changeId, op: change.op, policyHash: hash });
  }
}
