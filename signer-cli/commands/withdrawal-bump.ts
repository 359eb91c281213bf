/**
 * `withdrawal bump <id> --fee-rate <sat/vB> [--max-fee <sats>] [--expires-in <minutes>]`: a fee
 * bump (RBF) for a withdrawal whose transaction is stuck. It signs a `withdrawal.bump`
 * statement whose body is the replacement intent: the current intent, verified against this
 * signer's pinned vault first, with a higher fee rate and `replaces` naming it. The coordinator
 * rebuilds the transaction from the same coins; approvals and signatures are collected again,
 * and signers sign it only as the replacement of the intent they signed last.
 */
import { MESSAGE_TYPES, idSchema, withdrawalIntentSchema, type WithdrawalIntent } from '../../protocol/api';
import { parseSats } from '../../protocol/amounts';
import { ConclaveError } from '../../protocol/errors';
import { feeRateToMsatPerVbyte } from '../../protocol/intent/fee-rate';
import { intentHash } from '../../protocol/intent/intent-hash';
import type { CliContext } from '../context';
import { withdrawalViewSchema } from '../coordinator/views';
import type { CommandResult } from '../output';
import { fetchWithdrawal } from '../signing/sign-withdrawal';
import { findPinned } from '../state/state-file';
import { parseArg, parseCount } from '../validate';
import { DEFAULT_EXPIRES_IN_MINUTES } from './propose';

export interface BumpOptions { feeRate: string; maxFee?: string; expiresIn?: string }

export async function runWithdrawalBump(ctx: CliContext, withdrawalId: string, options: BumpOptions): Promise<CommandResult> {
  parseArg(idSchema, withdrawalId, 'withdrawalId');
  const client = ctx.coordinator();
  const w = await fetchWithdrawal(client, withdrawalId);
  const current = parseArg(withdrawalIntentSchema, w.intent, 'the withdrawal\'s intent');
  // The intent being replaced is checked here, not taken on the coordinator's word.
  if (intentHash(current) !== w.intentHash) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: intent hash ${w.intentHash} is not the hash of the intent it serves`);
  const pinned = findPinned(ctx.state.read(), current.vaultId);
  if (current.policyHash !== pinned.policyHash) throw new ConclaveError('POLICY_MISMATCH', `the withdrawal's policy ${current.policyHash} is not the pinned ${pinned.policyHash}`);
  if (feeRateToMsatPerVbyte(options.feeRate, '--fee-rate') <= feeRateToMsatPerVbyte(current.feeRate)) {
    throw new ConclaveError('FEE_BUMP_INVALID', `--fee-rate: ${options.feeRate} sat/vB is not above the current ${current.feeRate} sat/vB`);
  }
  const minutes = parseCount(options.expiresIn ?? DEFAULT_EXPIRES_IN_MINUTES, '--expires-in', 1, 60 * 24 * 30);
  const now = ctx.now();
  const replacement: WithdrawalIntent = parseArg(withdrawalIntentSchema, {
    ...current,
    feeRate: options.feeRate,
    maxFee: options.maxFee === undefined ? current.maxFee : parseSats(options.maxFee, '--max-fee').toString(),
    expiresAt: new Date(now.getTime() + minutes * 60_000).toISOString(),
    replaces: w.intentHash,
  }, 'intent');
  const hash = intentHash(replacement);
  const envelope = await ctx.withKeystore(async (keystore) => keystore.signEnvelope(MESSAGE_TYPES.withdrawalBump, replacement, { now }));
  const after = (await client.post(`/api/v1/withdrawals/${withdrawalId}/bump`, envelope, withdrawalViewSchema)).data;
  if (after.intentHash !== hash) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: recorded intent hash ${after.intentHash}, but the signed replacement hashes to ${hash}`);
  return {
    data: { withdrawalId, state: after.state, intentHash: hash, replaces: w.intentHash, fee: after.fee, replacedFee: w.fee, unsignedTxid: after.unsignedTxid },
    text: [
      `Fee bump of withdrawal ${withdrawalId}: ${current.feeRate} -> ${options.feeRate} sat/vB, fee ${w.fee} -> ${after.fee} sat; state ${after.state}.`,
      `  same coins and outputs; replaces intent ${w.intentHash}`,
      after.state === 'awaiting_approval' ? '  next: approvers approve it again ("approve <id>"), then keyholders sign it' : '  next: keyholders sign it ("listen")',
    ],
  };
}
