/**
 * Approvals: members other than the proposer sign the intent hash (`withdrawal.approve`), with
 * their identity key (an envelope) or, under a governed policy, with a passkey pinned for them
 * in the vault's member set (a passkey statement, server/replay/statement-verifier.ts).
 * Under a simple policy any other keyholder approves and a count is needed; under a governed
 * policy the approvals fill the seats of the withdrawal's tier by group (an approver in none of
 * its groups is refused). Once they are in, WithdrawalProgress moves the withdrawal to
 * `approved` and, when no delay is left, to `signing`, in the same transaction, and only then
 * are the signers asked to sign. Signers re-check every approval themselves
 * (protocol/intent/approvals.ts, protocol/policy-engine), so the coordinator cannot skip this step.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MESSAGE_TYPES, type WithdrawalView, withdrawalIntentSchema } from '../../protocol/api';
import { canonicalJson } from '../../protocol/canonical-json';
import { ConclaveError } from '../../protocol/errors';
import { type ApprovalBody, approvalBodySchema } from '../../protocol/intent/approvals';
import { GOVERNED_POLICY_VERSION, type VaultPolicy } from '../../protocol/policy';
import { findMember } from '../../protocol/policy-engine/members';
import type { PinnedPasskey } from '../../protocol/webauthn/verify-passkey-statement';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { TransactionRunner } from '../database/transaction-runner';
import { StatementVerifier } from '../replay/statement-verifier';
import { VaultsRepository } from '../vaults/vaults.repository';
import { ApprovalEntity } from './approval.entity';
import { WithdrawalProgress } from './withdrawal-progress';
import { type WithdrawalRule, approvalsFill, describeRule, withdrawalRule } from './withdrawal-rule';
import { WithdrawalsRepository } from './withdrawals.repository';

@Injectable()
export class ApprovalsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly statements: StatementVerifier,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly progress: WithdrawalProgress,
    private readonly clock: Clock,
  ) {}

  async approve(withdrawalId: string, input: unknown): Promise<WithdrawalView> {
    await this.tx.run(async (manager) => {
      // A passkey statement is verified against the passkeys pinned in this withdrawal's vault.
      const statement = await this.statements.consume<ApprovalBody>(manager, input, MESSAGE_TYPES.withdrawalApprove, (signer) => this.pinnedPasskeys(manager, withdrawalId, signer));
      const where = statement.passkey === null ? 'envelope' : 'statement';
      const body = parseWith(approvalBodySchema, statement.body, `${where}.body`);
      if (body.withdrawalId !== withdrawalId) throw new ConclaveError('VALIDATION_FAILED', `${where}.body.withdrawalId: does not match the route`);
      const withdrawal = await this.withdrawals.find(withdrawalId, manager, true);
      if (body.vaultId !== withdrawal.vaultId || body.intentHash !== withdrawal.intentHash) {
        throw new ConclaveError('APPROVAL_INVALID', `${where}.body: approves another vault or intent than this withdrawal`);
      }
      const vault = await this.vaults.find(withdrawal.vaultId, manager);
      const policy = JSON.parse(vault.policy) as VaultPolicy;
      const intent = withdrawalIntentSchema.parse(JSON.parse(withdrawal.intent));
      if (intent.policyHash !== vault.policyHash) {
        throw new ConclaveError('POLICY_MISMATCH', `withdrawal ${withdrawalId}: proposed under rule set ${intent.policyHash}, since replaced by ${vault.policyHash}; signers refuse it, propose it again`);
      }
      const rule = withdrawalRule(policy, intent);
      await this.checkApprover(manager, vault.id, policy, rule, statement.signer);
      if (statement.signer === withdrawal.proposedBy) throw new ConclaveError('FORBIDDEN', 'the proposer may not approve their own withdrawal');
      const repo = manager.getRepository(ApprovalEntity);
      if (await repo.findOne({ where: { withdrawalId, identityKey: statement.signer } })) return;
      if (withdrawal.state !== 'awaiting_approval') throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId}: is ${withdrawal.state}, not awaiting approval`);
      const now = this.clock.now().toISOString();
      await repo.insert({ withdrawalId, identityKey: statement.signer, envelope: canonicalJson(statement.evidence), createdAt: now });
      const approvers = (await repo.find({ where: { withdrawalId } })).map((a) => a.identityKey);
      const { met, fill } = approvalsFill(policy, rule, approvers);
      await this.audit.append(manager, {
        kind: 'approval.received', actor: statement.signer, subject: withdrawalId, evidence: statement.evidence,
        payload: {
          count: approvers.length, required: rule.required, ...(fill === null ? {} : { seated: fill.byGroup }),
          // The key a passkey statement was verified with, so that the log verifies on its own.
          ...(statement.passkey === null ? {} : { passkey: statement.passkey }),
        },
      });
      if (met) await this.progress.approved(manager, withdrawal, approvers.length);
    });
    return this.withdrawals.view(withdrawalId);
  }

  /** The passkeys pinned for `signer` in the governed member set of the withdrawal's vault; a simple policy pins none. */
  private async pinnedPasskeys(manager: EntityManager, withdrawalId: string, signer: string): Promise<readonly PinnedPasskey[]> {
    const withdrawal = await this.withdrawals.find(withdrawalId, manager, true);
    const vault = await this.vaults.find(withdrawal.vaultId, manager);
    const policy = JSON.parse(vault.policy) as VaultPolicy;
    if (policy.version !== GOVERNED_POLICY_VERSION) {
      throw new ConclaveError('POLICY_NOT_GOVERNED', `vault ${vault.id}: has a simple (version 1) policy, which pins no passkeys; approve with a signed withdrawal.approve envelope (signer-cli approve)`);
    }
    return findMember(policy.members, signer)?.passkeys ?? [];
  }

  /** A keyholder of the vault (simple policy), or a pinned member in a group the tier counts (governed policy). */
  private async checkApprover(manager: EntityManager, vaultId: string, policy: VaultPolicy, rule: WithdrawalRule, signer: string): Promise<void> {
    if (policy.version !== GOVERNED_POLICY_VERSION) {
      if (!(await this.vaults.isMember(manager, vaultId, signer))) throw new ConclaveError('NOT_A_MEMBER', 'the approver is not a keyholder of this vault');
      return;
    }
    const member = findMember(policy.members, signer);
    if (member === undefined) throw new ConclaveError('NOT_A_MEMBER', 'the approver is not a member of this vault\'s policy');
    const groups = (rule.quorum ?? []).map((s) => s.group);
    if (!groups.some((g) => member.groups.includes(g))) {
      throw new ConclaveError('FORBIDDEN', `${member.name} is in none of the groups whose approvals this withdrawal needs (${describeRule(rule)})`);
    }
  }
}
