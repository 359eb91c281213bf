/**
 * `withdrawal show <id>`: a withdrawal's state and signatures and, when its vault is pinned,
 * this signer's own verdict on it (the same verification `listen` runs before signing).
 */
import { idSchema } from '../../protocol/api';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';
import { reviewJson, reviewLines } from '../signing/review';
import { governedJson, governedReviewLines } from '../signing/governed-review';
import { fetchWithdrawal, verifyPinnedWithdrawal } from '../signing/sign-withdrawal';
import { parseArg } from '../validate';

export async function runWithdrawalShow(ctx: CliContext, withdrawalId: string): Promise<CommandResult> {
  parseArg(idSchema, withdrawalId, 'withdrawalId');
  const w = await fetchWithdrawal(ctx.coordinator(), withdrawalId);
  const state = ctx.state.read();
  const pinned = state.vaults.find((v) => v.vaultId === w.vaultId);
  const signatures = w.signatures.map((s) => ({ identityKey: s.identityKey, fingerprint: s.fingerprint, createdAt: s.createdAt }));
  const data: Record<string, unknown> = {
    withdrawalId: w.id, vaultId: w.vaultId, state: w.state, requestId: w.requestId, intent: w.intent, intentHash: w.intentHash,
    unsignedTxid: w.unsignedTxid, fee: w.fee, signatures, txid: w.txid, createdAt: w.createdAt, updatedAt: w.updatedAt,
  };
  const text = [`Withdrawal ${w.id}: ${w.state}; ${signatures.length} signature(s); txid ${w.txid ?? '(not final)'}`];
  text.push(...signatures.map((s) => `  signed by ${s.fingerprint} at ${s.createdAt}`));

  if (pinned === undefined) {
    data.verification = null;
    text.push(`Vault ${w.vaultId} is not pinned here, so this signer cannot check the withdrawal.`);
  } else {
    // The entry for this withdrawal itself is no reason to doubt it.
    const journal = state.journal.filter((e) => e.withdrawalId !== w.id || e.intentHash !== w.intentHash);
    const verdict = verifyPinnedWithdrawal(w, pinned, ctx.now(), journal, state.coordinatorKey);
    if (verdict.ok) {
      data.verification = { ok: true, summary: reviewJson(verdict.summary), ...(verdict.governed ? { policy: governedJson(verdict.governed) } : {}) };
      text.push(...reviewLines(verdict.summary, pinned.name), ...governedReviewLines(verdict.governed, pinned, journal, ctx.now()), 'Verification: passes this signer\'s checks.');
    } else {
      data.verification = { ok: false, reasons: verdict.reasons };
      text.push('Verification: FAILS this signer\'s checks:', ...verdict.reasons.map((r) => `  - ${r}`));
    }
  }
  data.signedByMe = state.journal.some((e) => e.withdrawalId === w.id && e.submittedAt !== null);
  return { data, text };
}
