/**
 * Fee bumping (RBF; DESIGN.md, withdrawal lifecycle). A keyholder signs a `withdrawal.bump`
 * statement whose body is a replacement intent: the same vault and outputs, a higher fee rate,
 * and `replaces` = the hash of the withdrawal's current intent. The coordinator rebuilds the
 * transaction from exactly the same coins (it stays the same withdrawal, so invariant 5 holds:
 * the coins never leave it), paying the same outputs, with the change reduced by the higher fee.
 * The withdrawal then goes through approvals and signing again; signers sign it only as a
 * replacement of the intent they signed last (protocol/intent/signing-journal.ts). The
 * transaction it replaces is kept (withdrawal_transactions): until one of them confirms, either
 * may be the one that is mined (with a chain backend the watcher settles the withdrawal on
 * whichever is: chain-watch/replaced-transaction-watch.ts). The replacement's locktime is the tip at the bump
 * (chain-watch/anti-fee-sniping.ts).
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MESSAGE_TYPES, type WithdrawalIntent, type WithdrawalState, type WithdrawalView, withdrawalIntentSchema } from '../../protocol/api';
import { dustThreshold } from '../../protocol/address';
import { canonicalJson } from '../../protocol/canonical-json';
import { ConclaveError } from '../../protocol/errors';
import { feeForVsize, feeRateToMsatPerVbyte } from '../../protocol/intent/fee-rate';
import { intentHash } from '../../protocol/intent/intent-hash';
import type { NetworkName } from '../../protocol/network';
import { GOVERNED_POLICY_VERSION, type VaultPolicy, feeCaps } from '../../protocol/policy';
import { findMember } from '../../protocol/policy-engine/members';
import { buildWithdrawalPsbt, inspectPsbt, RBF_SEQUENCE, vaultGlobalXpubs } from '../../protocol/psbt';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { TransactionRunner } from '../database/transaction-runner';
import { RawTransactionEntity } from '../deposits/raw-transaction.entity';
import { UtxoEntity } from '../deposits/utxo.entity';
import { UtxoRepository } from '../deposits/utxo.repository';
import { AntiFeeSniping } from '../chain-watch/anti-fee-sniping';
import { SignerHub } from '../events/signer-hub';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { PartialSignatureEntity } from '../signing/partial-signature.entity';
import { VaultScripts } from '../vaults/vault-scripts';
import type { VaultEntity } from '../vaults/vault.entity';
import { VaultsRepository } from '../vaults/vaults.repository';
import { ApprovalEntity } from './approval.entity';
import { delayStart, ruleDetails, stateOnceApproved, withdrawalRule } from './withdrawal-rule';
import { WithdrawalTransactionEntity } from './withdrawal-transaction.entity';
import type { WithdrawalEntity } from './withdrawal.entity';
import { WithdrawalsRepository } from './withdrawals.repository';

/** A withdrawal whose transaction exists can be bumped; `broadcast` joins when a chain backend does. */
const BUMPABLE_STATES = new Set(['signed', 'exported', 'broadcast']);

@Injectable()
export class FeeBumpService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly scripts: VaultScripts,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly utxos: UtxoRepository,
    private readonly hub: SignerHub,
    private readonly clock: Clock,
    private readonly antiFeeSniping: AntiFeeSniping,
  ) {}

  async bump(withdrawalId: string, input: unknown): Promise<WithdrawalView> {
    await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<WithdrawalIntent>(manager, input, MESSAGE_TYPES.withdrawalBump);
      const intent = parseWith(withdrawalIntentSchema, envelope.body, 'envelope.body');
      const withdrawal = await this.withdrawals.find(withdrawalId, manager, true);
      const vault = await this.vaults.find(withdrawal.vaultId, manager);
      const policy = JSON.parse(vault.policy) as VaultPolicy;
      this.checkBumper(policy, await this.vaults.isMember(manager, vault.id, envelope.signer), envelope.signer);
      if (!BUMPABLE_STATES.has(withdrawal.state)) {
        throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId}: is ${withdrawal.state}; only a signed transaction (signed, exported, broadcast) can be fee-bumped`);
      }
      const current = withdrawalIntentSchema.parse(JSON.parse(withdrawal.intent));
      this.checkReplacement(intent, current, withdrawal, vault);
      const rebuilt = await this.rebuild(manager, withdrawal, vault, intent);
      const hash = intentHash(intent);
      const now = this.clock.now().toISOString();
      await manager.getRepository(WithdrawalTransactionEntity).insert({
        withdrawalId, unsignedTxid: withdrawal.unsignedTxid, intentHash: withdrawal.intentHash, fee: withdrawal.fee,
        txid: withdrawal.txid, txHex: withdrawal.txHex, replacedBy: hash, replacedAt: now,
      });
      // Approvals and signatures were for the replaced intent and transaction; the audit log keeps them.
      await manager.getRepository(ApprovalEntity).delete({ withdrawalId });
      await manager.getRepository(PartialSignatureEntity).delete({ withdrawalId });
      await this.utxos.unmarkSpent(manager, withdrawalId);
      // The replacement is proposed anew: its approvals, then its tier's delay, from the bump.
      const rule = withdrawalRule(policy, intent);
      const state: 'awaiting_approval' | 'approved' | 'signing' = rule.required > 0 ? 'awaiting_approval' : stateOnceApproved(rule, delayStart(envelope.created, now), this.clock.now());
      await this.withdrawals.transition(manager, withdrawalId, withdrawal.state as WithdrawalState, state, now, {
        intent: canonicalJson(intent), intentHash: hash, proposalEnvelope: canonicalJson(envelope), proposedBy: envelope.signer,
        psbt: rebuilt.psbt, unsignedTxid: rebuilt.unsignedTxid, fee: rebuilt.fee.toString(), txid: null, txHex: null,
      });
      await this.audit.append(manager, {
        kind: 'withdrawal.bumped', actor: envelope.signer, subject: withdrawalId, evidence: envelope,
        payload: { intentHash: hash, replaces: withdrawal.intentHash, replacedTxid: withdrawal.txid, unsignedTxid: rebuilt.unsignedTxid, fee: rebuilt.fee.toString(), replacedFee: withdrawal.fee },
      });
      await this.audit.append(manager, {
        kind: `withdrawal.${state}`, subject: withdrawalId,
        payload: { unsignedTxid: rebuilt.unsignedTxid, fee: rebuilt.fee.toString(), requiredApprovals: rule.required, ...ruleDetails(rule, delayStart(envelope.created, now)) },
      });
      await this.hub.publishToVault(manager, vault.id, state === 'signing'
        ? { kind: 'signing.requested', vaultId: vault.id, withdrawalId }
        : { kind: 'withdrawal.state', vaultId: vault.id, withdrawalId, state });
    });
    return this.withdrawals.view(withdrawalId);
  }

  /** A keyholder under a simple policy; under a governed one, a member of a proposing group (the bump is a new proposal). */
  private checkBumper(policy: VaultPolicy, keyholder: boolean, signer: string): void {
    if (policy.version !== GOVERNED_POLICY_VERSION) {
      if (!keyholder) throw new ConclaveError('NOT_A_MEMBER', 'the proposer of a fee bump must be a keyholder of this vault');
      return;
    }
    const member = findMember(policy.members, signer);
    if (member === undefined) throw new ConclaveError('NOT_A_MEMBER', 'the proposer of a fee bump must be a member of this vault\'s policy');
    const groups = policy.rules.withdrawals.proposerGroups;
    if (!groups.some((g) => member.groups.includes(g))) throw new ConclaveError('FORBIDDEN', `${member.name} may not propose withdrawals or their fee bumps: only members of ${groups.join(', ')} may`);
  }

  /** The replacement may change only the fee terms, memo and expiry; it must pay exactly the same. */
  private checkReplacement(intent: WithdrawalIntent, current: WithdrawalIntent, withdrawal: WithdrawalEntity, vault: VaultEntity): void {
    const refuse = (message: string): never => { throw new ConclaveError('FEE_BUMP_INVALID', message); };
    if (intent.replaces !== withdrawal.intentHash) refuse(`envelope.body.replaces: must be the withdrawal's current intent hash ${withdrawal.intentHash}`);
    if (intent.vaultId !== current.vaultId || intent.network !== current.network || intent.requestId !== current.requestId) {
      refuse('envelope.body: a fee bump keeps the vault, network and requestId of the withdrawal it replaces');
    }
    if (canonicalJson(intent.outputs) !== canonicalJson(current.outputs)) refuse('envelope.body.outputs: a fee bump pays exactly the outputs of the intent it replaces');
    if (intent.policyHash !== vault.policyHash) throw new ConclaveError('POLICY_MISMATCH', `envelope.body.policyHash: the vault's policy is ${vault.policyHash}`);
    if (feeRateToMsatPerVbyte(intent.feeRate) <= feeRateToMsatPerVbyte(current.feeRate)) {
      refuse(`envelope.body.feeRate: ${intent.feeRate} sat/vB is not above the current ${current.feeRate} sat/vB`);
    }
    const policy = JSON.parse(vault.policy) as VaultPolicy;
    if (feeRateToMsatPerVbyte(intent.feeRate) > feeRateToMsatPerVbyte(feeCaps(policy).maxFeeRate)) {
      throw new ConclaveError('POLICY_MISMATCH', `envelope.body.feeRate: ${intent.feeRate} sat/vB is above the policy's cap of ${feeCaps(policy).maxFeeRate}`);
    }
    if (Date.parse(intent.expiresAt) <= this.clock.now().getTime()) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.expiresAt: already passed');
  }

  /** The same coins and outputs; the change pays the higher fee, or goes entirely when it would be dust. */
  private async rebuild(manager: EntityManager, withdrawal: WithdrawalEntity, vault: VaultEntity, intent: WithdrawalIntent) {
    const network = vault.network as NetworkName;
    if (withdrawal.txid !== null && (await manager.getRepository(UtxoEntity).count({ where: { txid: withdrawal.txid } })) > 0) {
      throw new ConclaveError('FEE_BUMP_INVALID', `transaction ${withdrawal.txid}: its outputs are already registered as coins (they may be spent); a replacement would undo them`);
    }
    const summary = inspectPsbt(withdrawal.psbt, this.scripts.oracle(vault), network);
    const fee = feeForVsize(summary.vsize, feeRateToMsatPerVbyte(intent.feeRate));
    const payments = summary.outputs.filter((o) => !o.isChange);
    const changeOutput = summary.outputs.find((o) => o.isChange);
    const paid = payments.reduce((sum, o) => sum + o.amount, 0n);
    let change = summary.totalIn - paid - fee;
    const changeScript = changeOutput?.vault ? this.scripts.derive(vault, changeOutput.vault.change, changeOutput.vault.index) : null;
    if (changeScript === null || change < dustThreshold(changeScript.scriptPubKey)) change = 0n;
    const finalFee = summary.totalIn - paid - change;
    if (finalFee < fee) {
      throw new ConclaveError('INSUFFICIENT_FUNDS', `a fee of ${fee} sats at ${intent.feeRate} sat/vB is more than the ${summary.totalIn - paid} sats the coins leave after the payments`);
    }
    if (finalFee <= BigInt(withdrawal.fee)) throw new ConclaveError('FEE_BUMP_INVALID', `the new fee ${finalFee} sats is not above the current ${withdrawal.fee} sats`);
    if (finalFee > BigInt(intent.maxFee)) throw new ConclaveError('FEE_RATE_INVALID', `envelope.body.maxFee: the fee would be ${finalFee} sats, above the cap of ${intent.maxFee}`);
    if (finalFee > BigInt(feeCaps(JSON.parse(vault.policy) as VaultPolicy).maxFeeSats)) {
      throw new ConclaveError('POLICY_MISMATCH', `the fee would be ${finalFee} sats, above the policy's cap`);
    }
    const inputs = await Promise.all(summary.inputs.map(async (i) => {
      if (i.vault === null) throw new ConclaveError('FEE_BUMP_INVALID', `input ${i.index}: not a coin of this vault`);
      const prev = await manager.getRepository(RawTransactionEntity).findOneOrFail({ where: { txid: i.txid } });
      return { txid: i.txid, vout: i.vout, prevTxHex: prev.hex, script: this.scripts.derive(vault, i.vault.change, i.vault.index) };
    }));
    const psbt = buildWithdrawalPsbt({
      network,
      inputs,
      outputs: payments.map((o) => ({ address: o.address!, amount: o.amount })),
      change: change > 0n && changeScript !== null ? { script: changeScript, amount: change } : undefined,
      globalXpubs: vaultGlobalXpubs(this.scripts.descriptorOf(vault)),
      // The tip now, not the replaced transaction's: a replacement may carry another locktime.
      locktime: await this.antiFeeSniping.locktime(manager, network),
      sequence: RBF_SEQUENCE,
    });
    const rebuilt = inspectPsbt(psbt, this.scripts.oracle(vault), network);
    if (rebuilt.inputs.some((i, n) => i.txid !== summary.inputs[n]!.txid || i.vout !== summary.inputs[n]!.vout)) {
      throw new ConclaveError('FEE_BUMP_INVALID', 'the rebuilt transaction does not spend the same coins');
    }
    return { psbt, unsignedTxid: rebuilt.unsignedTxid, fee: rebuilt.fee };
  }
}
