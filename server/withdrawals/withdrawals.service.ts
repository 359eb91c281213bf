/**
 * Withdrawal proposals: the proposer's signed intent, coin selection and reservation, and the
 * PSBT that implements the intent, all committed in one transaction before any signer hears
 * of it. When the vault policy requires approvals the withdrawal waits in `awaiting_approval`
 * (ApprovalsService moves it on); with none required it goes straight to `signing`, or, under a
 * governed tier with a delay, waits `approved` until the delay is over (WithdrawalDelaysService).
 * A governed policy's proposer, address-book and velocity rules are checked first
 * (GovernedProposalChecks). Under a governed policy a member may also propose with a passkey
 * (the web app): a passkey statement of type `withdrawal.propose`, which signers verify against
 * their own pinned member set (protocol/intent/proposal.ts).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MESSAGE_TYPES, type WithdrawalIntent, type WithdrawalState, type WithdrawalView, withdrawalIntentSchema } from '../../protocol/api';
import { addressToScript, dustThreshold } from '../../protocol/address';
import { parseSats } from '../../protocol/amounts';
import { canonicalJson } from '../../protocol/canonical-json';
import { ConclaveError } from '../../protocol/errors';
import { feeRateToMsatPerVbyte } from '../../protocol/intent/fee-rate';
import { intentHash } from '../../protocol/intent/intent-hash';
import type { NetworkName } from '../../protocol/network';
import { GOVERNED_POLICY_VERSION, type VaultPolicy, feeCaps } from '../../protocol/policy';
import { buildWithdrawalPsbt, inspectPsbt, vaultGlobalXpubs, vaultInputWeight } from '../../protocol/psbt';
import { AuditService } from '../audit/audit.service';
import { Clock, Random } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { RawTransactionEntity } from '../deposits/raw-transaction.entity';
import { UtxoRepository } from '../deposits/utxo.repository';
import { AntiFeeSniping } from '../chain-watch/anti-fee-sniping';
import { SignerHub } from '../events/signer-hub';
import { findMember } from '../../protocol/policy-engine/members';
import type { PinnedPasskey } from '../../protocol/webauthn/verify-passkey-statement';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { PasskeyVerifier } from '../replay/passkey-verifier';
import { isPasskeyStatement } from '../replay/statement-verifier';
import { VaultScripts } from '../vaults/vault-scripts';
import { VaultEntity } from '../vaults/vault.entity';
import { VaultsRepository } from '../vaults/vaults.repository';
import { selectCoins } from './coin-selection';
import { envelopeProposal, passkeyProposal, type ProposalSource } from './proposal-source';
import { GovernedProposalChecks } from './governed-proposal-checks';
import { delayStart, ruleDetails, stateOnceApproved, withdrawalRule } from './withdrawal-rule';
import { WithdrawalEntity } from './withdrawal.entity';
import { WithdrawalsRepository } from './withdrawals.repository';

/** sequence 0xfffffffd: signals BIP125 replaceability, so a stuck withdrawal can be fee-bumped. */
const RBF_SEQUENCE = 0xfffffffd;

@Injectable()
export class WithdrawalsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly passkeys: PasskeyVerifier,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly scripts: VaultScripts,
    private readonly utxos: UtxoRepository,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly hub: SignerHub,
    private readonly governed: GovernedProposalChecks,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly antiFeeSniping: AntiFeeSniping,
  ) {}

  /** Returns the withdrawal and whether it was created now (false: same request id and content). */
  async propose(vaultId: string, input: unknown): Promise<{ created: boolean; withdrawal: WithdrawalView }> {
    if (isPasskeyStatement(input)) return this.proposeByPasskey(vaultId, input);
    const outcome = await this.tx.run(async (manager) => {
      // Idempotency is decided before the nonce is consumed, so a client may re-send the very
      // same envelope after a lost answer and get the existing withdrawal back.
      const signed = this.envelopes.check<WithdrawalIntent>(input, MESSAGE_TYPES.withdrawalPropose);
      const intent = parseWith(withdrawalIntentSchema, signed.body, 'envelope.body');
      const hash = intentHash(intent);
      if (intent.vaultId !== vaultId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.vaultId: does not match the route');
      const vault = await this.vaults.find(vaultId, manager, true);
      const existing = await this.withdrawals.findByRequest(manager, vaultId, intent.requestId);
      if (existing) {
        if (existing.intentHash !== hash) throw new ConclaveError('DUPLICATE_REQUEST', `requestId ${intent.requestId}: already used for another withdrawal`, { withdrawalId: existing.id });
        return { created: false, id: existing.id };
      }
      const envelope = await this.envelopes.consume<WithdrawalIntent>(manager, input, MESSAGE_TYPES.withdrawalPropose);
      return { created: true, id: await this.start(manager, vault, envelopeProposal(envelope), intent, hash) };
    });
    return { created: outcome.created, withdrawal: await this.withdrawals.view(outcome.id) };
  }

  /**
   * A withdrawal proposed in the web app: a passkey statement of type `withdrawal.propose` whose
   * body is the intent, by a passkey pinned for its signer in this vault's governed member set.
   * As for an envelope, a re-sent statement returns the existing withdrawal before it is used up.
   */
  private async proposeByPasskey(vaultId: string, input: unknown): Promise<{ created: boolean; withdrawal: WithdrawalView }> {
    const outcome = await this.tx.run(async (manager) => {
      const pinnedFor = (signer: string) => this.pinnedPasskeys(manager, vaultId, signer);
      const checked = await this.passkeys.check<WithdrawalIntent>(input, MESSAGE_TYPES.withdrawalPropose, pinnedFor);
      const intent = parseWith(withdrawalIntentSchema, checked.statement.body, 'statement.body');
      const hash = intentHash(intent);
      if (intent.vaultId !== vaultId) throw new ConclaveError('VALIDATION_FAILED', 'statement.body.vaultId: does not match the route');
      const vault = await this.vaults.find(vaultId, manager, true);
      const existing = await this.withdrawals.findByRequest(manager, vaultId, intent.requestId);
      if (existing) {
        if (existing.intentHash !== hash) throw new ConclaveError('DUPLICATE_REQUEST', `requestId ${intent.requestId}: already used for another withdrawal`, { withdrawalId: existing.id });
        return { created: false, id: existing.id };
      }
      const { statement, passkey } = await this.passkeys.consume<WithdrawalIntent>(manager, input, MESSAGE_TYPES.withdrawalPropose, pinnedFor);
      return { created: true, id: await this.start(manager, vault, passkeyProposal(statement, passkey), intent, hash) };
    });
    return { created: outcome.created, withdrawal: await this.withdrawals.view(outcome.id) };
  }

  /** The passkeys pinned for `signer` in the vault's governed member set; a simple policy pins none. */
  private async pinnedPasskeys(manager: EntityManager, vaultId: string, signer: string): Promise<readonly PinnedPasskey[]> {
    const policy = JSON.parse((await this.vaults.find(vaultId, manager)).policy) as VaultPolicy;
    if (policy.version !== GOVERNED_POLICY_VERSION) {
      throw new ConclaveError('POLICY_NOT_GOVERNED', `vault ${vaultId}: has a simple (version 1) policy, which pins no passkeys; propose with a signed withdrawal.propose envelope (signer-cli propose)`);
    }
    return findMember(policy.members, signer)?.passkeys ?? [];
  }

  /**
   * A withdrawal proposed through an API token (server/auth/token-proposals.service.ts): the same
   * path as a signed proposal, with the token-proposal evidence standing for the envelope.
   */
  async proposeWithSource(intent: WithdrawalIntent, source: ProposalSource): Promise<{ created: boolean; withdrawal: WithdrawalView }> {
    const outcome = await this.tx.run(async (manager) => {
      const hash = intentHash(intent);
      const vault = await this.vaults.find(intent.vaultId, manager, true);
      const existing = await this.withdrawals.findByRequest(manager, vault.id, intent.requestId);
      if (existing) {
        if (existing.intentHash !== hash) throw new ConclaveError('DUPLICATE_REQUEST', `requestId ${intent.requestId}: already used for another withdrawal`, { withdrawalId: existing.id });
        return { created: false, id: existing.id };
      }
      return { created: true, id: await this.start(manager, vault, source, intent, hash) };
    });
    return { created: outcome.created, withdrawal: await this.withdrawals.view(outcome.id) };
  }

  private async start(manager: EntityManager, vault: VaultEntity, source: ProposalSource, intent: WithdrawalIntent, hash: string): Promise<string> {
    const vaultId = vault.id;
    // Under a governed policy the proposer is any member of a proposing group (GovernedProposalChecks).
    const governed = (JSON.parse(vault.policy) as VaultPolicy).version === GOVERNED_POLICY_VERSION;
    if (!governed && !(await this.vaults.isMember(manager, vaultId, source.proposer))) throw new ConclaveError('NOT_A_MEMBER', 'the proposer is not a keyholder of this vault');
    await this.vaults.requireActive(manager, vault);
    const id = this.random.uuid();
    const state = await this.createWithdrawal(manager, vault, source, intent, hash, id);
    await this.hub.publishToVault(manager, vaultId, state === 'signing'
      ? { kind: 'signing.requested', vaultId, withdrawalId: id }
      : { kind: 'withdrawal.state', vaultId, withdrawalId: id, state });
    return id;
  }

  private async createWithdrawal(manager: EntityManager, vault: VaultEntity, source: ProposalSource, intent: WithdrawalIntent, hash: string, id: string): Promise<WithdrawalState> {
    const network = vault.network as NetworkName;
    if (intent.network !== network) throw new ConclaveError('ADDRESS_WRONG_NETWORK', `envelope.body.network: the vault is on ${network}`);
    const now = this.clock.now();
    if (Date.parse(intent.expiresAt) <= now.getTime()) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.expiresAt: already passed');
    const policy = JSON.parse(vault.policy) as VaultPolicy;
    if (intent.policyHash !== vault.policyHash) throw new ConclaveError('POLICY_MISMATCH', `envelope.body.policyHash: the vault's policy is ${vault.policyHash}`);
    if (feeRateToMsatPerVbyte(intent.feeRate) > feeRateToMsatPerVbyte(feeCaps(policy).maxFeeRate)) {
      throw new ConclaveError('POLICY_MISMATCH', `envelope.body.feeRate: ${intent.feeRate} sat/vB is above the policy's cap of ${feeCaps(policy).maxFeeRate}`);
    }
    if (Number(intent.feeRate) < this.config.minFeeRate) {
      throw new ConclaveError('FEE_RATE_INVALID', `envelope.body.feeRate: ${intent.feeRate} sat/vB is below the minimum of ${this.config.minFeeRate}`);
    }
    const rule = withdrawalRule(policy, intent);
    if (policy.version === GOVERNED_POLICY_VERSION) {
      await this.governed.check(manager, { vaultId: vault.id, network, policy, proposer: source.proposer, intent, withdrawalId: id, now });
    }
    const outputs = intent.outputs.map((o, i) => {
      const script = addressToScript(o.address, network, `envelope.body.outputs[${i}].address`);
      const amount = parseSats(o.amount, `envelope.body.outputs[${i}].amount`);
      const dust = dustThreshold(script);
      if (amount < dust) throw new ConclaveError('DUST_OUTPUT', `envelope.body.outputs[${i}].amount: ${amount} sats is below the dust limit of ${dust}`);
      return { address: o.address, amount, script };
    });
    const descriptor = this.scripts.descriptorOf(vault);
    const changeScript = this.scripts.derive(vault, 1, vault.nextChangeIndex);
    const available = await this.utxos.available(manager, vault.id);
    const selection = selectCoins({
      coins: available.map((u) => ({ txid: u.txid, vout: u.vout, amount: BigInt(u.amount) })),
      outputsTotal: outputs.reduce((sum, o) => sum + o.amount, 0n),
      outputScripts: outputs.map((o) => o.script),
      changeScript: changeScript.scriptPubKey,
      changeDust: dustThreshold(changeScript.scriptPubKey),
      feeRate: intent.feeRate,
      inputWeight: vaultInputWeight(changeScript),
    });
    if (!selection.ok) {
      throw new ConclaveError('INSUFFICIENT_FUNDS', `vault ${vault.id}: ${selection.available} sats available, ${selection.needed} needed with the fee`, { available: selection.available.toString(), needed: selection.needed.toString() });
    }
    if (selection.fee > parseSats(intent.maxFee, 'envelope.body.maxFee')) {
      throw new ConclaveError('FEE_RATE_INVALID', `envelope.body.maxFee: the fee would be ${selection.fee} sats, above the cap of ${intent.maxFee}`);
    }
    if (selection.fee > BigInt(feeCaps(policy).maxFeeSats)) {
      throw new ConclaveError('POLICY_MISMATCH', `the fee would be ${selection.fee} sats, above the policy's cap of ${feeCaps(policy).maxFeeSats}`);
    }
    await this.utxos.reserve(manager, selection.inputs, id);
    const byOutpoint = new Map(available.map((u) => [`${u.txid}:${u.vout}`, u]));
    const inputs = await Promise.all(selection.inputs.map(async (coin) => {
      const utxo = byOutpoint.get(`${coin.txid}:${coin.vout}`)!;
      const prev = await manager.getRepository(RawTransactionEntity).findOneOrFail({ where: { txid: coin.txid } });
      return { txid: coin.txid, vout: coin.vout, prevTxHex: prev.hex, script: this.scripts.derive(vault, utxo.change as 0 | 1, utxo.index) };
    }));
    if (selection.change > 0n) {
      await manager.getRepository(VaultEntity).update({ id: vault.id }, { nextChangeIndex: vault.nextChangeIndex + 1 });
      await this.vaults.ensureAddresses(manager, vault, 1, vault.nextChangeIndex + 1 + this.config.gapLimit);
    }
    const psbt = buildWithdrawalPsbt({
      network,
      inputs,
      outputs: outputs.map((o) => ({ address: o.address, amount: o.amount })),
      change: selection.change > 0n ? { script: changeScript, amount: selection.change } : undefined,
      globalXpubs: vaultGlobalXpubs(descriptor),
      locktime: await this.antiFeeSniping.locktime(manager, network),
      sequence: RBF_SEQUENCE,
    });
    const summary = inspectPsbt(psbt, this.scripts.oracle(vault), network);
    const stamp = now.toISOString();
    // With approvals required, nobody is asked to sign before they are in (ApprovalsService);
    // with a tier's delay, not before it is over (WithdrawalDelaysService).
    const state: 'awaiting_approval' | 'approved' | 'signing' = rule.required > 0 ? 'awaiting_approval' : stateOnceApproved(rule, delayStart(source.created, stamp), now);
    await manager.getRepository(WithdrawalEntity).insert({
      id, vaultId: vault.id, requestId: intent.requestId, state, intent: canonicalJson(intent), intentHash: hash,
      proposalEnvelope: canonicalJson(source.evidence), proposedBy: source.proposer, psbt, unsignedTxid: summary.unsignedTxid,
      fee: summary.fee.toString(), txid: null, txHex: null, createdAt: stamp, updatedAt: stamp,
    });
    await this.audit.append(manager, { kind: source.audit.kind, actor: source.audit.actor, subject: id, payload: { vaultId: vault.id, intentHash: hash, ...source.audit.payload }, evidence: source.audit.evidence });
    await this.audit.append(manager, {
      kind: `withdrawal.${state}`, subject: id,
      payload: {
        unsignedTxid: summary.unsignedTxid, fee: summary.fee.toString(), inputs: selection.inputs.map((c) => `${c.txid}:${c.vout}`), change: selection.change.toString(),
        coinSelection: selection.algorithm, locktime: summary.locktime,
        requiredApprovals: rule.required, ...ruleDetails(rule, delayStart(source.created, stamp)),
      },
    });
    return state;
  }

  get(id: string): Promise<WithdrawalView> {
    return this.withdrawals.view(id);
  }

  async listForVault(vaultId: string, state?: WithdrawalView['state']): Promise<WithdrawalView[]> {
    await this.vaults.find(vaultId);
    return this.withdrawals.listForVault(vaultId, state);
  }

  async transaction(id: string): Promise<{ txid: string; hex: string }> {
    const w = await this.withdrawals.find(id);
    if (!w.txHex || !w.txid) throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${id}: not signed yet (state ${w.state})`);
    return { txid: w.txid, hex: w.txHex };
  }
}
