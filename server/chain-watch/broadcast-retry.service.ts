/**
 * A member's retry of a broadcast the node refused (POST /api/v1/withdrawals/:id/broadcast/retry).
 * The refusal left the withdrawal `signed` and its outbox row `rejected` (withdrawal-broadcaster.ts):
 * a refusal may pass later (the fee is enough again, a conflicting transaction left the mempool),
 * so it is a person who decides when to try again. They say so in a signed
 * `withdrawal.broadcast-retry` statement naming the refused txid; its nonce, the row due again and
 * the audit event that names them commit together. What is sent is still only the withdrawal's own
 * approved transaction: the statement chooses when, never what.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type BroadcastRetryView, MESSAGE_TYPES, type WithdrawalBroadcastRetry, withdrawalBroadcastRetrySchema,
} from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { GOVERNED_POLICY_VERSION, type VaultPolicy } from '../../protocol/policy';
import { GROUPS, findMember } from '../../protocol/policy-engine/members';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { TransactionRunner } from '../database/transaction-runner';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import type { VaultEntity } from '../vaults/vault.entity';
import { VaultsRepository } from '../vaults/vaults.repository';
import { WithdrawalsRepository } from '../withdrawals/withdrawals.repository';
import { ChainWatchRepository } from './chain-watch.repository';
import { WithdrawalBroadcaster } from './withdrawal-broadcaster';

/** Groups of a governed vault whose members act on its withdrawals (the `act` need: all but auditors). */
const ACTING_GROUPS: readonly string[] = [GROUPS.admins, GROUPS.initiators, GROUPS.approvers, GROUPS.keyholders];

@Injectable()
export class BroadcastRetryService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly repo: ChainWatchRepository,
    private readonly broadcaster: WithdrawalBroadcaster,
    private readonly clock: Clock,
  ) {}

  async retry(withdrawalId: string, input: unknown): Promise<BroadcastRetryView> {
    if (!this.broadcaster.enabled) {
      throw new ConclaveError('CHAIN_OFFLINE', 'this coordinator has no chain backend (CONCLAVE_CHAIN=offline) and broadcasts nothing; take the final transaction from GET /api/v1/withdrawals/:id/transaction and broadcast it elsewhere');
    }
    return this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<WithdrawalBroadcastRetry>(manager, input, MESSAGE_TYPES.withdrawalBroadcastRetry);
      const body = parseWith(withdrawalBroadcastRetrySchema, envelope.body, 'envelope.body');
      if (body.withdrawalId !== withdrawalId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.withdrawalId: does not match the route');
      const withdrawal = await this.withdrawals.find(withdrawalId, manager, true);
      await this.checkActor(manager, await this.vaults.find(withdrawal.vaultId, manager), envelope.signer);
      const row = await this.repo.outbox(manager, withdrawalId, true);
      if (withdrawal.state !== 'signed' || row === null || row.state !== 'rejected') {
        const where = row === null ? 'it was never queued for broadcast' : `its broadcast is ${row.state}`;
        throw new ConclaveError('BROADCAST_NOT_REFUSED', `withdrawal ${withdrawalId}: is ${withdrawal.state} and ${where}; only a broadcast the node refused can be retried`, {
          withdrawalState: withdrawal.state, broadcastState: row?.state ?? null,
        });
      }
      // Signed for one transaction: after a fee bump it cannot ask for the replacement (or the reverse).
      if (body.txid !== row.txid) {
        throw new ConclaveError('BROADCAST_NOT_REFUSED', `envelope.body.txid: ${body.txid} is not the refused transaction of withdrawal ${withdrawalId} (${row.txid})`, {
          withdrawalState: withdrawal.state, broadcastState: row.state,
        });
      }
      const due = await this.broadcaster.rearm(manager, row, this.clock.now().toISOString());
      await this.audit.append(manager, {
        kind: 'withdrawal.broadcast-retried', actor: envelope.signer, subject: withdrawalId,
        payload: { txid: row.txid, refusedReason: row.rejectReason }, evidence: envelope,
      });
      return { retried: true, withdrawalId, txid: row.txid, refusedReason: row.rejectReason, nextAttemptAt: due.nextAttemptAt };
    });
  }

  /**
   * The vault's own members who act on withdrawals: its keyholders, and in a governed vault its
   * admins, initiators and approvers (the access gate already refused auditors everywhere; this
   * is the same rule for this vault).
   */
  private async checkActor(manager: EntityManager, vault: VaultEntity, signer: string): Promise<void> {
    if (await this.vaults.isMember(manager, vault.id, signer)) return;
    const policy = JSON.parse(vault.policy) as VaultPolicy;
    const member = policy.version === GOVERNED_POLICY_VERSION ? findMember(policy.members, signer) : undefined;
    if (member === undefined) {
      throw new ConclaveError('NOT_A_MEMBER', 'only a member of the withdrawal\'s vault may retry its broadcast: its keyholders, and in a governed vault its admins, initiators and approvers');
    }
    if (!member.groups.some((g) => ACTING_GROUPS.includes(g))) {
      throw new ConclaveError('FORBIDDEN', `${member.name} may not retry broadcasts in this vault: only members of ${ACTING_GROUPS.join(', ')} may`);
    }
  }
}
