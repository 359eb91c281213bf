/**
 * Partial signatures from keyholders. Each submission is a signed envelope; every signature
 * in it is checked against the BIP143 sighash and against the submitting member's own key
 * for that input before it is stored. When the vault's threshold is reached the
 * transaction is finalized and ends as every withdrawal does (WithdrawalFinalizer); in offline
 * mode it is then `exported` for a hot machine. A FROST vault signs through server/frost-signing.
 */
import { Injectable } from '@nestjs/common';
import { MESSAGE_TYPES, type PartialSignature, type WithdrawalSignature, type WithdrawalView, withdrawalSignatureSchema } from '../../protocol/api';
import { canonicalJson } from '../../protocol/canonical-json';
import { accountChildPublicKey } from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { decodePsbt, extractPartialSignatures, finalizeWithSignatures, inspectPsbt, verifyPartialSignatures } from '../../protocol/psbt';
import type { NetworkName } from '../../protocol/network';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { TransactionRunner } from '../database/transaction-runner';
import { SignerHub } from '../events/signer-hub';
import { MemberEntity } from '../members/member.entity';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { VaultScripts } from '../vaults/vault-scripts';
import type { VaultEntity } from '../vaults/vault.entity';
import { VaultsRepository } from '../vaults/vaults.repository';
import type { WithdrawalEntity } from '../withdrawals/withdrawal.entity';
import { WithdrawalsRepository } from '../withdrawals/withdrawals.repository';
import { PartialSignatureEntity } from './partial-signature.entity';
import { WithdrawalFinalizer } from './withdrawal-finalizer';

@Injectable()
export class SignaturesService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly scripts: VaultScripts,
    private readonly withdrawals: WithdrawalsRepository,
    private readonly finalizer: WithdrawalFinalizer,
    private readonly hub: SignerHub,
    private readonly clock: Clock,
  ) {}

  async submit(withdrawalId: string, input: unknown): Promise<WithdrawalView> {
    await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<WithdrawalSignature>(manager, input, MESSAGE_TYPES.withdrawalSignature);
      const body = parseWith(withdrawalSignatureSchema, envelope.body, 'envelope.body');
      if (body.withdrawalId !== withdrawalId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.withdrawalId: does not match the route');
      const withdrawal = await this.withdrawals.find(withdrawalId, manager, true);
      const vault = await this.vaults.find(withdrawal.vaultId, manager);
      // A FROST vault's withdrawal is signed in rounds (server/frost-signing), never by partial signatures.
      this.scripts.multisigDescriptorOf(vault, 'a partial signature');
      const member = await manager.getRepository(MemberEntity).findOne({ where: { identityKey: envelope.signer } });
      if (!member || !(await this.vaults.isMember(manager, vault.id, member.identityKey))) {
        throw new ConclaveError('SIGNER_NOT_IN_VAULT', 'the submitting identity key is not a keyholder of this vault');
      }
      const repo = manager.getRepository(PartialSignatureEntity);
      if (await repo.findOne({ where: { withdrawalId, identityKey: member.identityKey } })) return;
      if (withdrawal.state !== 'signing') throw new ConclaveError('WITHDRAWAL_STATE', `withdrawal ${withdrawalId}: is ${withdrawal.state}, not signing`);
      if (body.intentHash !== withdrawal.intentHash) throw new ConclaveError('PSBT_MISMATCH', 'envelope.body.intentHash: signatures are for another intent');
      if (body.unsignedTxid !== withdrawal.unsignedTxid) throw new ConclaveError('PSBT_MISMATCH', 'envelope.body.unsignedTxid: signatures are for another transaction');
      const partialSigs = body.partialSigs ?? this.signaturesFromPsbt(withdrawal, vault, member, body.psbt!);
      this.checkSignatures(withdrawal, vault, member, partialSigs);
      const now = this.clock.now().toISOString();
      await repo.insert({ withdrawalId, identityKey: member.identityKey, signatures: canonicalJson(partialSigs), envelope: canonicalJson(envelope), createdAt: now });
      const all = await repo.find({ where: { withdrawalId } });
      await this.audit.append(manager, { kind: 'signature.received', actor: member.identityKey, subject: withdrawalId, payload: { count: all.length, threshold: vault.threshold }, evidence: envelope });
      await this.hub.publishToVault(manager, vault.id, { kind: 'signature.received', vaultId: vault.id, withdrawalId, identityKey: member.identityKey, count: all.length, threshold: vault.threshold });
      if (all.length >= vault.threshold) {
        const sigs = all.flatMap((r) => JSON.parse(r.signatures) as PartialSignature[]);
        const final = finalizeWithSignatures(withdrawal.psbt, sigs, vault.threshold);
        await this.finalizer.finalize(manager, withdrawal, final, all.map((r) => r.identityKey), now);
      }
    });
    return this.withdrawals.view(withdrawalId);
  }

  /**
   * A PSBT signed in another wallet: it must be this withdrawal's transaction; of its partial
   * signatures only the submitting member's own count (a combined PSBT may carry others').
   */
  private signaturesFromPsbt(withdrawal: WithdrawalEntity, vault: VaultEntity, member: MemberEntity, psbtBase64: string): PartialSignature[] {
    const decoded = decodePsbt(psbtBase64);
    if (decoded.unsignedTxid !== withdrawal.unsignedTxid) {
      throw new ConclaveError('PSBT_MISMATCH', `envelope.body.psbt: spends ${decoded.unsignedTxid}, not this withdrawal's transaction ${withdrawal.unsignedTxid}`);
    }
    const own = new Set(this.ownKeys(withdrawal, vault, member).filter((k): k is string => k !== null));
    const sigs = extractPartialSignatures(decoded).filter((sig) => own.has(`${sig.input}:${sig.pubkey}`));
    if (sigs.length === 0) throw new ConclaveError('SIGNATURE_INVALID', `envelope.body.psbt: carries no signature by ${member.name}'s keys`);
    return sigs;
  }

  /**
   * `input:pubkey` of this member's key for each input of the withdrawal (null where it has none).
   * The key is the child of the member's own account xpub, never found by fingerprint and path:
   * those are claims another keyholder could copy.
   */
  private ownKeys(withdrawal: WithdrawalEntity, vault: VaultEntity, member: MemberEntity): Array<string | null> {
    const network = vault.network as NetworkName;
    const summary = inspectPsbt(withdrawal.psbt, this.scripts.multisigOracle(vault, 'a partial signature'), network);
    return summary.inputs.map((input, index) => {
      if (!input.vault) return null;
      const mine = Buffer.from(accountChildPublicKey(member.accountXpub, network, input.vault.change, input.vault.index));
      const inScript = this.scripts.deriveMultisig(vault, input.vault.change, input.vault.index).keys.some((k) => mine.equals(k.pubkey));
      return inScript ? `${index}:${mine.toString('hex')}` : null;
    });
  }

  /**
   * Every input must carry exactly one signature by this member's own key for that input:
   * a valid signature by another keyholder's key would let one person count twice.
   */
  private checkSignatures(withdrawal: WithdrawalEntity, vault: VaultEntity, member: MemberEntity, sigs: PartialSignature[]): void {
    const own = this.ownKeys(withdrawal, vault, member);
    const seen = new Set<number>();
    for (const [i, sig] of sigs.entries()) {
      if (sig.input >= own.length) throw new ConclaveError('SIGNATURE_INVALID', `envelope.body.partialSigs[${i}]: input ${sig.input} does not exist`);
      if (seen.has(sig.input)) throw new ConclaveError('SIGNATURE_INVALID', `envelope.body.partialSigs[${i}]: second signature for input ${sig.input}`);
      seen.add(sig.input);
      if (own[sig.input] !== `${sig.input}:${sig.pubkey}`) {
        throw new ConclaveError('SIGNER_NOT_IN_VAULT', `psbt/input[${sig.input}]: key ${sig.pubkey} is not ${member.name}'s key for this input`);
      }
    }
    if (seen.size !== own.length) throw new ConclaveError('SIGNATURE_INVALID', `envelope.body.partialSigs: ${seen.size} of ${own.length} inputs signed`);
    verifyPartialSignatures(withdrawal.psbt, sigs, this.scripts.multisigOracle(vault, 'a partial signature'));
  }
}
