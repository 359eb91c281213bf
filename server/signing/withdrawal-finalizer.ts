/**
 * The one ending of a withdrawal whose signatures are complete, for both kinds of vault: the
 * multisig path (enough partial signatures) and the FROST path (every share of a session in,
 * aggregated) each hand over the finalized transaction, and from there it is the same steps in
 * the caller's transaction: `signing -> signed`, then, in offline mode, `signed -> exported`,
 * the coins spent, an audit event for each step and a push once it has committed. With a chain
 * backend it stays `signed` and goes into the broadcast outbox in the same transaction
 * (chain-watch/withdrawal-broadcaster.ts), which sends it once that transaction has committed.
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { FinalizedTransaction } from '../../protocol/psbt';
import { AuditService } from '../audit/audit.service';
import { WithdrawalBroadcaster } from '../chain-watch/withdrawal-broadcaster';
import { UtxoRepository } from '../deposits/utxo.repository';
import { SignerHub } from '../events/signer-hub';
import type { WithdrawalEntity } from '../withdrawals/withdrawal.entity';
import { WithdrawalsRepository } from '../withdrawals/withdrawals.repository';

@Injectable()
export class WithdrawalFinalizer {
  constructor(
    private readonly audit: AuditService,
    private readonly utxos: UtxoRepository,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly hub: SignerHub,
    private readonly broadcaster: WithdrawalBroadcaster,
  ) {}

  /**
   * `signers`: identity keys whose signatures made the transaction. The caller MUST hold the
   * withdrawal's row lock (PostgreSQL): the conditional transitions then finalize it once.
   */
  async finalize(manager: EntityManager, withdrawal: WithdrawalEntity, final: FinalizedTransaction, signers: string[], now: string): Promise<void> {
    await this.withdrawals.transition(manager, withdrawal.id, 'signing', 'signed', now, { txid: final.txid, txHex: final.txHex });
    await this.audit.append(manager, { kind: 'withdrawal.signed', subject: withdrawal.id, payload: { txid: final.txid, signers } });
    if (this.broadcaster.enabled) {
      await this.broadcaster.enqueue(manager, withdrawal, final.txid, now);
      return;
    }
    // Offline chain mode: nothing is broadcast here; the final transaction waits for a hot machine.
    await this.withdrawals.transition(manager, withdrawal.id, 'signed', 'exported', now);
    await this.utxos.markSpent(manager, withdrawal.id);
    await this.audit.append(manager, { kind: 'withdrawal.exported', subject: withdrawal.id, payload: { txid: final.txid } });
    await this.hub.publishToVault(manager, withdrawal.vaultId, { kind: 'withdrawal.state', vaultId: withdrawal.vaultId, withdrawalId: withdrawal.id, state: 'exported' });
  }
}
