/**
 * The coordinator's early checks of a withdrawal under a governed policy (issue 5), so people
 * get a clear refusal when they propose rather than a signer's refusal later: the proposer is
 * a member of a proposing group; every destination is in the coordinator's copy of the address
 * book, past its cooling-off and not expired; and the vault's payouts stay within each velocity
 * limit. The records counted are the coordinator's own: every withdrawal of the vault that has
 * not ended without a transaction, dated by its proposal. Signers re-check all of it from their
 * own journals (DESIGN.md, "Policy"); this is no substitute, only an early answer.
 */
import { Injectable } from '@nestjs/common';
import { type EntityManager, In } from 'typeorm';
import { type WithdrawalIntent, type WithdrawalState, withdrawalIntentSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import type { GovernedPolicy } from '../../protocol/policy';
import { type PaidOutRecord, checkDestinations, checkVelocity, paidOut, paidOutRecord } from '../../protocol/policy-engine';
import { findMember } from '../../protocol/policy-engine/members';
import { WithdrawalEntity } from './withdrawal.entity';

/** Withdrawals that paid or may still pay: velocity counts them all. */
const COUNTED_STATES: WithdrawalState[] = ['awaiting_approval', 'approved', 'signing', 'signed', 'exported', 'broadcast', 'confirmed'];
/** Withdrawals signed by the keyholders: only these keep an address-book entry alive. */
const PAID_STATES: WithdrawalState[] = ['signed', 'exported', 'broadcast', 'confirmed'];

@Injectable()
export class GovernedProposalChecks {
  /** Throws the first kind of refusal that applies, listing every reason of that kind. */
  async check(manager: EntityManager, args: {
    vaultId: string; network: NetworkName; policy: GovernedPolicy; proposer: string; intent: WithdrawalIntent; withdrawalId: string; now: Date;
  }): Promise<void> {
    const { policy, proposer, intent, now } = args;
    const member = findMember(policy.members, proposer);
    if (member === undefined) throw new ConclaveError('NOT_A_MEMBER', 'the proposer is not a member of this vault\'s policy');
    const groups = policy.rules.withdrawals.proposerGroups;
    if (!groups.some((g) => member.groups.includes(g))) {
      throw new ConclaveError('FORBIDDEN', `${member.name} may not propose withdrawals: only members of ${groups.join(', ')} may`);
    }
    const records = await this.records(manager, args.vaultId);
    const book = checkDestinations({
      outputs: intent.outputs, book: policy.addressBook, rules: policy.rules.addressBook, vaultId: args.vaultId, network: args.network,
      journal: records.filter((r) => r.paid).map((r) => r.record), now,
    });
    if (book.reasons.length > 0) {
      throw new ConclaveError('DESTINATION_NOT_IN_ADDRESS_BOOK', book.reasons.map((r) => r.replace(/^intent\./, 'envelope.body.')).join('; '), { reasons: book.reasons });
    }
    const probe = paidOutRecord(intent, args.withdrawalId, now);
    const velocity = checkVelocity({
      limits: policy.rules.withdrawals.velocity, vaultId: args.vaultId, withdrawalId: args.withdrawalId, paymentsHash: probe.paymentsHash,
      amount: paidOut(intent), journal: records.map((r) => r.record), now,
    });
    if (velocity.reasons.length > 0) {
      const reasons = velocity.reasons.map((r) => r.replace(' signed in the last ', ' proposed in the last '));
      throw new ConclaveError('VELOCITY_LIMIT_EXCEEDED', reasons.join('; '), { reasons });
    }
  }

  private async records(manager: EntityManager, vaultId: string): Promise<Array<{ record: PaidOutRecord; paid: boolean }>> {
    const rows = await manager.getRepository(WithdrawalEntity).find({ where: { vaultId, state: In(COUNTED_STATES) }, select: { id: true, intent: true, state: true, createdAt: true } });
    return rows.map((w) => ({
      record: paidOutRecord(withdrawalIntentSchema.parse(JSON.parse(w.intent)), w.id, new Date(w.createdAt)),
      paid: PAID_STATES.includes(w.state),
    }));
  }
}
