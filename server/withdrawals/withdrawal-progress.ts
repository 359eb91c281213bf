/**
 * A withdrawal's way from its approvals to signing: once the policy's approvals are in it is
 * `approved`, and signers are asked to sign (`signing`) only once its tier's delay, counted from
 * the proposal, is over. A withdrawal still waiting out its delay is moved on by a periodic
 * sweep by the coordinator's clock; each move is one transaction with its audit event, and the
 * push to the keyholders follows its commit.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { withdrawalIntentSchema } from '../../protocol/api';
import type { VaultPolicy } from '../../protocol/policy';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { PeriodicSweep } from '../common/periodic-sweep';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { SignerHub } from '../events/signer-hub';
import { VaultsRepository } from '../vaults/vaults.repository';
import { WithdrawalEntity } from './withdrawal.entity';
import { delayStartOf, stateOnceApproved, withdrawalRule } from './withdrawal-rule';
import { WithdrawalsRepository } from './withdrawals.repository';

@Injectable()
export class WithdrawalProgress implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WithdrawalProgress');
  private readonly sweep = new PeriodicSweep('delay sweep', this.logger, () => this.releaseDue());

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly hub: SignerHub,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.sweep.start(this.config.expirySweepSeconds);
  }

  onApplicationShutdown(): void {
    this.sweep.stop();
  }

  /** In the caller's transaction: the approvals are in; approved, and signing at once when no delay is left. */
  async approved(manager: EntityManager, withdrawal: WithdrawalEntity, approvals: number): Promise<void> {
    const now = this.clock.now();
    await this.withdrawals.transition(manager, withdrawal.id, 'awaiting_approval', 'approved', now.toISOString());
    await this.audit.append(manager, { kind: 'withdrawal.approved', subject: withdrawal.id, payload: { approvals } });
    if (await this.dueNow(manager, withdrawal, now)) return this.startSigning(manager, withdrawal);
    await this.hub.publishToVault(manager, withdrawal.vaultId, { kind: 'withdrawal.state', vaultId: withdrawal.vaultId, withdrawalId: withdrawal.id, state: 'approved' });
  }

  /** Moves every approved withdrawal whose delay is over to signing; returns their ids. */
  async releaseDue(): Promise<string[]> {
    const waiting = await this.dataSource.getRepository(WithdrawalEntity).find({ where: { state: 'approved' }, select: { id: true } });
    const released: string[] = [];
    for (const { id } of waiting) {
      const moved = await this.tx.run(async (manager) => {
        const current = await this.withdrawals.find(id, manager, true);
        if (current.state !== 'approved' || !(await this.dueNow(manager, current, this.clock.now()))) return false;
        await this.startSigning(manager, current);
        return true;
      });
      if (moved) released.push(id);
    }
    return released;
  }

  private async dueNow(manager: EntityManager, withdrawal: WithdrawalEntity, now: Date): Promise<boolean> {
    const vault = await this.vaults.find(withdrawal.vaultId, manager);
    const intent = withdrawalIntentSchema.parse(JSON.parse(withdrawal.intent));
    // Made under a rule set since replaced: signers refuse it, so it waits for its expiry.
    if (intent.policyHash !== vault.policyHash) return false;
    const rule = withdrawalRule(JSON.parse(vault.policy) as VaultPolicy, intent);
    return stateOnceApproved(rule, delayStartOf(withdrawal), now) === 'signing';
  }

  private async startSigning(manager: EntityManager, withdrawal: WithdrawalEntity): Promise<void> {
    await this.withdrawals.transition(manager, withdrawal.id, 'approved', 'signing', this.clock.now().toISOString());
    await this.audit.append(manager, { kind: 'withdrawal.signing', subject: withdrawal.id, payload: { unsignedTxid: withdrawal.unsignedTxid } });
    await this.hub.publishToVault(manager, withdrawal.vaultId, { kind: 'signing.requested', vaultId: withdrawal.vaultId, withdrawalId: withdrawal.id });
  }
}
