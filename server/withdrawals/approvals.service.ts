/**
 * Approvals: keyholders other than the proposer sign the intent hash (`withdrawal.approve`).
 * When the vault policy's count is reached, the withdrawal moves to `approved` and then to
 * `signing`, in the same transaction, and only then are the signers asked to sign. Signers
 * re-check every approval themselves (protocol/intent/approvals.ts), so the coordinator
 * cannot skip this step.
 */
import { Injectable } from '@nestjs/common';
import { MESSAGE_TYPES, type WithdrawalView } from '../../protocol/api';
import { canonicalJson } from '../../protocol/canonical-json';
import { ConclaveError } from '../../protocol/errors';
import { type ApprovalBody, approvalBodySchema } from '../../protocol/intent/approvals';
import type { VaultPolicy } from '../../protocol/policy';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { TransactionRunner } from '../database/transaction-runner';
import { SignerHub } from '../events/signer-hub';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { VaultsRepository } from '../vaults/vaults.repository';
import { ApprovalEntity } from './approval.entity';
import { WithdrawalsRepository } from './withdrawals.repository';

@Injectable()
export class ApprovalsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly hub: SignerHub,
    private readonly clock: Clock,
  ) {}

  async approve(withdrawalId: string, input: unknown): Promise<WithdrawalView> {
    await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<ApprovalBody>(manager, input, MESSAGE_TYPES.withdrawalApprove);
      const body = parseWith(approvalBodySchema, envelope.body, 'envelope.body');
      if (body.withdrawalId !== withdrawalId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.withdrawalId: does not match the route');
      const withdrawal = await this.withdrawals.find(withdrawalId, manager, true);
      if (body.vaultId !== withdrawal.vaultId || body.intentHash !== withdrawal.intentHash) {
        throw new ConclaveError('APPROVAL_INVALID', 'envelope.body: approves another vault or intent than this withdrawal');
      }
      if (!(await this.vaults.isMember(manager, withdrawal.vaultId, envelope.signer))) throw new ConclaveError('NOT_A_MEMBER', 'the approver is not a keyholder of this vault');
      if (envelope.signer === withdrawal.proposedBy) throw new ConclaveError('FORBIDDEN', 'the proposer may not approve their own withdrawal');
      const repo = manager.getRepository(ApprovalEntity);
      if (await repo.findOne({ where: { withdrawalId, identityKey: envelope.signer } })) return;
      if (withdrawal.state !== 'awaiting_approval') throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId}: is ${withdrawal.state}, not awaiting approval`);
      const now = this.clock.now().toISOString();
      await repo.insert({ withdrawalId, identityKey: envelope.signer, envelope: canonicalJson(envelope), createdAt: now });
      const count = await repo.count({ where: { withdrawalId } });
      const vault = await this.vaults.find(withdrawal.vaultId, manager);
      const required = (JSON.parse(vault.policy) as VaultPolicy).requiredApprovals;
      await this.audit.append(manager, { kind: 'approval.received', actor: envelope.signer, subject: withdrawalId, payload: { count, required }, evidence: envelope });
      if (count < required) return;
      await this.withdrawals.transition(manager, withdrawalId, 'awaiting_approval', 'approved', now);
      await this.audit.append(manager, { kind: 'withdrawal.approved', subject: withdrawalId, payload: { approvals: count } });
      await this.withdrawals.transition(manager, withdrawalId, 'approved', 'signing', now);
      await this.audit.append(manager, { kind: 'withdrawal.signing', subject: withdrawalId, payload: { unsignedTxid: withdrawal.unsignedTxid } });
      await this.hub.publishToVault(manager, vault.id, { kind: 'signing.requested', vaultId: vault.id, withdrawalId });
    });
    return this.withdrawals.view(withdrawalId);
  }
}
