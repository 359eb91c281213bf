/**
 * Withdrawals that end without a transaction: cancelled by a keyholder before anyone signed,
 * or expired when the intent's `expiresAt` passes (signers refuse expired intents, so it can
 * never complete). Either way its coins are released in the same transaction, so no coin stays
 * reserved by a withdrawal that can no longer spend it (invariant 5).
 *
 * A withdrawal back in approval or signing after a fee bump is different: a fully signed
 * transaction it replaced may be in mempools and still be mined (chain-watch settles the
 * withdrawal on it). Releasing its coins then would let another withdrawal reserve coins that
 * are already spent, so it is neither cancelled nor expired; it ends when one of its
 * transactions confirms.
 */
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource, type EntityManager, In, IsNull, Not } from 'typeorm';
import { MESSAGE_TYPES, type WithdrawalCancel, type WithdrawalState, type WithdrawalView, withdrawalCancelSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { PeriodicSweep } from '../common/periodic-sweep';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { UtxoRepository } from '../deposits/utxo.repository';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { FrostShareEntity } from '../frost-signing/frost-share.entity';
import { PartialSignatureEntity } from '../signing/partial-signature.entity';
import { VaultsRepository } from '../vaults/vaults.repository';
import { WithdrawalTransactionEntity } from './withdrawal-transaction.entity';
import { WithdrawalEntity } from './withdrawal.entity';
import { WithdrawalsRepository } from './withdrawals.repository';

/** States in which a withdrawal still holds coins and has no final transaction. */
const OPEN_STATES: WithdrawalState[] = ['awaiting_approval', 'approved', 'signing'];

@Injectable()
export class WithdrawalEndingsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WithdrawalEndings');
  private readonly sweep = new PeriodicSweep('expiry sweep', this.logger, () => this.expireDue());

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly utxos: UtxoRepository,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.sweep.start(this.config.expirySweepSeconds);
  }

  onApplicationShutdown(): void {
    this.sweep.stop();
  }

  async cancel(withdrawalId: string, input: unknown): Promise<WithdrawalView> {
    await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<WithdrawalCancel>(manager, input, MESSAGE_TYPES.withdrawalCancel);
      const body = parseWith(withdrawalCancelSchema, envelope.body, 'envelope.body');
      if (body.withdrawalId !== withdrawalId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.withdrawalId: does not match the route');
      const withdrawal = await this.withdrawals.find(withdrawalId, manager, true);
      if (body.intentHash !== withdrawal.intentHash) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.intentHash: not this withdrawal\'s intent');
      if (!(await this.vaults.isMember(manager, withdrawal.vaultId, envelope.signer))) throw new ConclaveError('NOT_A_MEMBER', 'only a keyholder of the vault may cancel its withdrawals');
      if (!OPEN_STATES.includes(withdrawal.state)) throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId}: is ${withdrawal.state}; only an open withdrawal can be cancelled`);
      // Once someone signed, its coins are in a signer's journal; ending it then needs a
      // replacement that signers accept (fee bumping, issue 7), not a silent release.
      // A FROST share counts as signed too: its keyholder spent nonces on this transaction.
      const signed = await manager.getRepository(PartialSignatureEntity).count({ where: { withdrawalId } })
        + await manager.getRepository(FrostShareEntity).count({ where: { withdrawalId } });
      if (signed > 0) {
        throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId}: already has signatures and can no longer be cancelled`);
      }
      if (await this.hasSignedTransactionOut(manager, withdrawalId)) {
        throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId}: a signed transaction it replaced (fee bump) may still be mined, so its coins stay with it; it ends when one of its transactions confirms`);
      }
      const now = this.clock.now().toISOString();
      await this.withdrawals.transition(manager, withdrawalId, withdrawal.state, 'cancelled', now);
      const released = await this.utxos.release(manager, withdrawalId);
      await this.audit.append(manager, { kind: 'withdrawal.cancelled', actor: envelope.signer, subject: withdrawalId, payload: { reason: body.reason, released }, evidence: envelope });
    });
    return this.withdrawals.view(withdrawalId);
  }

  /** Ends every open withdrawal whose intent has expired; returns their ids. */
  async expireDue(): Promise<string[]> {
    const now = this.clock.now();
    const open = await this.dataSource.getRepository(WithdrawalEntity).find({ where: { state: In(OPEN_STATES) }, select: { id: true, intent: true, state: true } });
    const due = open.filter((w) => Date.parse((JSON.parse(w.intent) as { expiresAt: string }).expiresAt) <= now.getTime());
    const expired: string[] = [];
    for (const w of due) {
      const ended = await this.tx.run(async (manager) => {
        const current = await this.withdrawals.find(w.id, manager, true);
        if (!OPEN_STATES.includes(current.state)) return false;
        if (await this.hasSignedTransactionOut(manager, w.id)) return false;
        await this.withdrawals.transition(manager, w.id, current.state, 'expired', now.toISOString());
        const released = await this.utxos.release(manager, w.id);
        await this.audit.append(manager, { kind: 'withdrawal.expired', subject: w.id, payload: { expiresAt: (JSON.parse(current.intent) as { expiresAt: string }).expiresAt, released } });
        return true;
      });
      if (ended) expired.push(w.id);
    }
    return expired;
  }

  private async hasSignedTransactionOut(manager: EntityManager, withdrawalId: string): Promise<boolean> {
    return (await manager.getRepository(WithdrawalTransactionEntity).count({ where: { withdrawalId, txid: Not(IsNull()) } })) > 0;
  }
}
