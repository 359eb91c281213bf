/**
 * `deposit <vaultId> (--tx <hex> | --tx-file <f>)`: register a funding transaction (offline
 * mode: no chain backend watches the vault). The coordinator answers with the coins it found;
 * each one is checked here against the transaction itself and the pinned descriptor.
 */
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { MESSAGE_TYPES, idSchema, type DepositRegister } from '../../protocol/api';
import { formatBtc } from '../../protocol/amounts';
import { deriveVaultScript } from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import { decodeRawTx, txidOf, type RawFullTx } from '../../protocol/psbt/raw';
import type { CliContext } from '../context';
import { depositResultSchema } from '../coordinator/views';
import type { CommandResult } from '../output';
import { findPinned } from '../state/state-file';
import { parseArg } from '../validate';
import { pinnedDescriptor } from '../vault/pinned';

export interface DepositOptions { tx?: string; txFile?: string }

export async function runDeposit(ctx: CliContext, vaultId: string, options: DepositOptions): Promise<CommandResult> {
  parseArg(idSchema, vaultId, 'vaultId');
  const rawTx = readTxHex(options);
  let tx: RawFullTx;
  try {
    tx = decodeRawTx(hexToBytes(rawTx));
  } catch (error) {
    throw new ConclaveError('TX_MALFORMED', `--tx: not a raw transaction (${(error as Error).message})`);
  }
  const txid = txidOf(tx);
  const pinned = findPinned(ctx.state.read(), vaultId);
  const descriptor = pinnedDescriptor(pinned);

  const body: DepositRegister = { vaultId, rawTx };
  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.depositRegister, body, { now: ctx.now() }));
  const { data } = await ctx.coordinator().post(`/api/v1/vaults/${vaultId}/deposits`, envelope, depositResultSchema);

  const problems: string[] = [];
  if (data.txid !== txid) problems.push(`txid ${data.txid} is not the transaction's ${txid}`);
  for (const utxo of data.utxos) {
    const output = tx.outputs[utxo.vout];
    const derived = deriveVaultScript(descriptor, utxo.change, utxo.index);
    if (utxo.txid !== txid || output === undefined || output.amount.toString() !== utxo.amount
      || bytesToHex(output.script) !== bytesToHex(derived.scriptPubKey) || utxo.address !== derived.address) {
      problems.push(`coin ${utxo.txid}:${utxo.vout} (${utxo.amount} sat at ${utxo.change}/${utxo.index}) is not what the transaction pays to the vault`);
    }
  }
  if (problems.length > 0) throw new ConclaveError('PIN_MISMATCH', `deposit: ${problems.join('; ')}`);

  const coins = data.utxos.map((u) => ({ txid: u.txid, vout: u.vout, amount: u.amount, address: u.address, change: u.change, index: u.index, status: u.status }));
  return {
    data: { vaultId, txid, utxos: coins },
    text: [
      `Registered ${txid}: ${coins.length} coin(s) for the vault, checked against the pinned descriptor.`,
      ...coins.map((c) => `  ${c.txid}:${c.vout}  ${formatBtc(BigInt(c.amount))} (${c.amount} sat)  ${c.address}  [${c.change}/${c.index}]`),
    ],
  };
}

function readTxHex(options: DepositOptions): string {
  if ((options.tx === undefined) === (options.txFile === undefined)) {
    throw new ConclaveError('VALIDATION_FAILED', 'deposit: give exactly one of --tx <hex> or --tx-file <file>');
  }
  let text = options.tx;
  if (options.txFile !== undefined) {
    try {
      text = readFileSync(options.txFile, 'utf8');
    } catch (error) {
      throw new ConclaveError('VALIDATION_FAILED', `--tx-file ${options.txFile}: ${(error as Error).message}`);
    }
  }
  const hex = (text ?? '').trim().toLowerCase();
  if (!/^([0-9a-f]{2})+$/.test(hex)) throw new ConclaveError('TX_MALFORMED', '--tx: expected a raw transaction in hex');
  return hex;
}
