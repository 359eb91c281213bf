/**
 * `propose <vaultId> --to <address> --amount <sats> [--to .. --amount ..] [--fee-rate <sat/vB>]
 * [--max-fee <sats>] [--memo <text>] [--request-id <id>] [--expires-in <minutes> | --expires-at <iso>]`:
 * sign a withdrawal intent and submit it. Without --fee-rate, the coordinator's "normal" fee
 * estimate is used, and said so (propose-fee-rate.ts). The request id makes retries safe: the same
 * id with the same content (so the same --expires-at and fee rate) returns the existing withdrawal.
 */
import { randomBytes } from 'node:crypto';
import { MESSAGE_TYPES, idSchema, withdrawalIntentSchema, type WithdrawalIntent } from '../../protocol/api';
import { formatBtc, parseSats } from '../../protocol/amounts';
import { ConclaveError } from '../../protocol/errors';
import { intentHash } from '../../protocol/intent/intent-hash';
import { MAX_INTENT_LIFETIME_DAYS } from '../../protocol/intent/verify-withdrawal';
import { feeCaps } from '../../protocol/policy';
import { addressToScript } from '../../protocol/psbt';
import type { CliContext } from '../context';
import { withdrawalViewSchema } from '../coordinator/views';
import type { CommandResult } from '../output';
import { findPinned } from '../state/state-file';
import { parseArg, parseCount } from '../validate';
import { chooseFeeRate, feeRateText } from './propose-fee-rate';

/** Default absolute fee cap: 0.001 BTC, generous for any ordinary withdrawal, small against a mistake. */
export const DEFAULT_MAX_FEE_SATS = '100000';
export const DEFAULT_EXPIRES_IN_MINUTES = '1440';

export interface ProposeOptions {
  to: string[];
  amount: string[];
  /** Absent: the coordinator's normal estimate. */
  feeRate?: string;
  maxFee: string;
  memo: string;
  requestId?: string;
  expiresIn?: string;
  /** An exact expiry (ISO 8601), so that a retried command signs the very same intent. */
  expiresAt?: string;
}

const MAX_EXPIRY_MINUTES = 60 * 24 * MAX_INTENT_LIFETIME_DAYS;

function expiry(options: ProposeOptions, now: Date): string {
  if (options.expiresAt !== undefined && options.expiresIn !== undefined) {
    throw new ConclaveError('VALIDATION_FAILED', '--expires-at/--expires-in: give one or the other');
  }
  if (options.expiresAt === undefined) {
    const minutes = parseCount(options.expiresIn ?? DEFAULT_EXPIRES_IN_MINUTES, '--expires-in', 1, MAX_EXPIRY_MINUTES);
    return new Date(now.getTime() + minutes * 60_000).toISOString();
  }
  const at = Date.parse(options.expiresAt);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(options.expiresAt) || Number.isNaN(at) || at <= now.getTime() || at > now.getTime() + MAX_EXPIRY_MINUTES * 60_000) {
    throw new ConclaveError('VALIDATION_FAILED', `--expires-at: expected an ISO 8601 time within the next ${MAX_EXPIRY_MINUTES / 1440} days`);
  }
  return new Date(at).toISOString();
}

export async function runPropose(ctx: CliContext, vaultId: string, options: ProposeOptions): Promise<CommandResult> {
  parseArg(idSchema, vaultId, 'vaultId');
  const pinned = findPinned(ctx.state.read(), vaultId);
  const network = pinned.network;
  const to = options.to ?? [];
  const amounts = options.amount ?? [];
  if (to.length === 0 || to.length !== amounts.length) {
    throw new ConclaveError('VALIDATION_FAILED', '--to/--amount: give one --amount for each --to, in the same order');
  }
  const outputs = to.map((address, i) => {
    addressToScript(address, network, `--to ${address}`);
    const sats = parseSats(amounts[i], `--amount ${amounts[i]}`);
    if (sats === 0n) throw new ConclaveError('AMOUNT_INVALID', `--amount: must be more than 0 sat`);
    return { address, amount: sats.toString() };
  });
  parseSats(options.maxFee, '--max-fee');
  const now = ctx.now();
  const expiresAt = expiry(options, now);
  const fee = await chooseFeeRate(options.feeRate, ctx.coordinator(), feeCaps(pinned.policy).maxFeeRate);
  const intent: WithdrawalIntent = parseArg(withdrawalIntentSchema, {
    vaultId,
    network,
    requestId: options.requestId ?? randomBytes(16).toString('hex'),
    outputs,
    feeRate: fee.feeRate,
    maxFee: options.maxFee,
    memo: options.memo,
    expiresAt,
    policyHash: pinned.policyHash,
  }, 'intent');
  const hash = intentHash(intent);

  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.withdrawalPropose, intent, { now }));
  const { status, data: withdrawal } = await ctx.coordinator().post(`/api/v1/vaults/${vaultId}/withdrawals`, envelope, withdrawalViewSchema);
  // A retry with the same request id and content returns the earlier withdrawal: same hash.
  if (withdrawal.intentHash !== hash) {
    throw new ConclaveError('COORDINATOR_ERROR', `coordinator: recorded intent hash ${withdrawal.intentHash}, but the signed intent hashes to ${hash}`);
  }
  return {
    data: {
      withdrawalId: withdrawal.id,
      vaultId,
      state: withdrawal.state,
      requestId: withdrawal.requestId,
      intentHash: withdrawal.intentHash,
      created: status === 201,
      fee: withdrawal.fee,
      feeRate: intent.feeRate,
      feeRateFrom: fee.from,
      ...(fee.estimate ? { feeEstimate: fee.estimate } : {}),
      unsignedTxid: withdrawal.unsignedTxid,
    },
    text: [
      `${status === 201 ? 'Proposed' : 'Already proposed (same request id)'}: withdrawal ${withdrawal.id}, state ${withdrawal.state}.`,
      ...intent.outputs.map((o) => `  pay ${formatBtc(BigInt(o.amount))} (${o.amount} sat) to ${o.address}`),
      `  ${feeRateText(fee)}`,
      `  fee cap ${intent.maxFee} sat; the coordinator's PSBT pays ${withdrawal.fee} sat`,
      `  request id ${withdrawal.requestId}, intent hash ${withdrawal.intentHash}`,
    ],
  };
}
