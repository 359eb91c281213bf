/**
 * Offline chain mode: a deposit is registered by the funding transaction's raw hex. Outputs
 * paying the vault's derived addresses become coins; the whole transaction is kept, since
 * every PSBT input must carry its full previous transaction.
 */
import { Inject, Injectable } from '@nestjs/common';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { DataSource } from 'typeorm';
import { type DepositRegister, MESSAGE_TYPES, type UtxoView, depositRegisterSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { parseWith } from '../common/parse-body';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { EnvelopeVerifier } from '../replay/envelope-verifier';
import { VaultEntity } from '../vaults/vault.entity';
import { VaultsRepository } from '../vaults/vaults.repository';
import { RawTransactionEntity } from './raw-transaction.entity';
import { UtxoEntity } from './utxo.entity';

export function parseRawTransaction(hex: string): Transaction {
  try {
    return Transaction.fromRaw(hexToBytes(hex), { allowUnknownOutputs: true, allowUnknownInputs: true, disableScriptCheck: true });
  } catch (error) {
    throw new ConclaveError('TX_MALFORMED', `rawTx: ${error instanceof Error ? error.message : 'cannot be parsed'}`);
  }
}

@Injectable()
export class DepositsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly envelopes: EnvelopeVerifier,
    private readonly audit: AuditService,
    private readonly vaults: VaultsRepository,
    private readonly clock: Clock,
  ) {}

  async register(vaultId: string, input: unknown): Promise<{ txid: string; utxos: UtxoView[] }> {
    const result = await this.tx.run(async (manager) => {
      const envelope = await this.envelopes.consume<DepositRegister>(manager, input, MESSAGE_TYPES.depositRegister);
      const body = parseWith(depositRegisterSchema, envelope.body, 'envelope.body');
      if (body.vaultId !== vaultId) throw new ConclaveError('VALIDATION_FAILED', 'envelope.body.vaultId: does not match the route');
      const vault = await this.vaults.find(vaultId, manager);
      if (!(await this.vaults.isMember(manager, vaultId, envelope.signer))) throw new ConclaveError('NOT_A_MEMBER', 'the signer is not a keyholder of this vault');
      await this.vaults.requireActive(manager, vault);
      const transaction = parseRawTransaction(body.rawTx);
      const txid = transaction.id;
      const outputs = Array.from({ length: transaction.outputsLength }, (_, vout) => {
        const out = transaction.getOutput(vout);
        return { vout, script: bytesToHex(out.script!), amount: out.amount! };
      });
      const owned = await this.vaults.addressesByScript(manager, vaultId, outputs.map((o) => o.script));
      const byScript = new Map(owned.map((a) => [a.scriptPubKey, a]));
      const paying = outputs.filter((o) => byScript.has(o.script));
      if (paying.length === 0) throw new ConclaveError('TX_PAYS_NO_VAULT_ADDRESS', `rawTx: transaction ${txid} pays none of this vault's first ${this.config.gapLimit} unused addresses`);
      const now = this.clock.now().toISOString();
      if (!(await manager.getRepository(RawTransactionEntity).findOne({ where: { txid } }))) {
        await manager.getRepository(RawTransactionEntity).insert({ txid, hex: bytesToHex(transaction.toBytes(true, true)), createdAt: now });
      }
      const utxos: UtxoEntity[] = [];
      let fresh = 0;
      for (const out of paying) {
        const address = byScript.get(out.script)!;
        const existing = await manager.getRepository(UtxoEntity).findOne({ where: { txid, vout: out.vout } });
        if (existing) {
          if (existing.vaultId !== vaultId || existing.amount !== out.amount.toString()) throw new ConclaveError('DEPOSIT_CONFLICT', `${txid}:${out.vout}: recorded differently`);
          utxos.push(existing);
          continue;
        }
        const utxo = manager.getRepository(UtxoEntity).create({
          txid, vout: out.vout, vaultId, amount: out.amount.toString(), address: address.address, change: address.change,
          index: address.index, status: 'available', reservedBy: null, createdAt: now,
        });
        await manager.getRepository(UtxoEntity).insert(utxo);
        utxos.push(utxo);
        fresh += 1;
        await this.advanceIndex(manager, vault, address.change as 0 | 1, address.index);
      }
      if (fresh > 0) {
        await this.audit.append(manager, {
          kind: 'deposit.registered', actor: envelope.signer, subject: vaultId,
          payload: { txid, outputs: utxos.map((u) => ({ vout: u.vout, amount: u.amount, address: u.address })) }, evidence: envelope,
        });
      }
      return { txid, utxos };
    });
    return { txid: result.txid, utxos: result.utxos.map(toUtxoView) };
  }

  async list(vaultId: string): Promise<UtxoView[]> {
    await this.vaults.find(vaultId);
    return (await this.dataSource.getRepository(UtxoEntity).find({ where: { vaultId }, order: { createdAt: 'ASC', txid: 'ASC', vout: 'ASC' } })).map(toUtxoView);
  }

  /** Marks an index used and keeps `gapLimit` fresh addresses beyond it. */
  private async advanceIndex(manager: import('typeorm').EntityManager, vault: VaultEntity, change: 0 | 1, index: number): Promise<void> {
    const field = change === 0 ? 'nextReceiveIndex' : 'nextChangeIndex';
    if (vault[field] <= index) {
      vault[field] = index + 1;
      await manager.getRepository(VaultEntity).update({ id: vault.id }, { [field]: index + 1 });
    }
    await this.vaults.ensureAddresses(manager, vault, change, vault[field] + this.config.gapLimit);
  }
}

export function toUtxoView(u: UtxoEntity): UtxoView {
  return { txid: u.txid, vout: u.vout, amount: u.amount, address: u.address, change: u.change as 0 | 1, index: u.index, status: u.status, reservedBy: u.reservedBy };
}
