/**
 * One signing request, start to end: fetch the withdrawal, verify it against the pinned vault
 * and the journal (protocol/intent), show it, ask, record the signature in the journal durably,
 * sign, submit. The order matters (DESIGN.md invariant 9): the journal entry is on disk before
 * the signature exists outside this process, so after a crash the signer resumes the same
 * signature (deterministic RFC 6979 nonces make it byte-identical) instead of signing anew.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { MESSAGE_TYPES, type WithdrawalSignature } from '../../protocol/api';
import type { Envelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import {
  journalConflicts, verifyWithdrawalForSigning, type SigningCandidate, type SigningRecord, type VerifyWithdrawalResult, type WithdrawalSummary,
} from '../../protocol/intent';
import { signVaultInputs } from '../../protocol/psbt';
import type { CoordinatorClient } from '../coordinator/client';
import { withdrawalViewSchema, type WithdrawalViewParsed } from '../coordinator/views';
import { accountPathIndexes } from '../keystore/account';
import type { UnlockedKeystore } from '../keystore/keystore';
import type { PinnedVault, SignerState, StateStore } from '../state/state-file';
import { pinnedForSigning } from '../vault/pinned';
import { governedReviewLines } from './governed-review';
import { reviewJson, reviewLines } from './review';

export type SigningOutcome =
  | { status: 'signed'; withdrawalId: string; vaultId: string; intentHash: string; unsignedTxid: string; signatures: number; resumed: boolean; summary: WithdrawalSummary }
  | { status: 'skipped'; withdrawalId: string; reason: string }
  | { status: 'refused'; withdrawalId: string; vaultId: string; reasons: string[] }
  | { status: 'declined'; withdrawalId: string; vaultId: string };

/**
 * What signing needs of the coordinator: its reads, and posting a signed statement. `listen`
 * gives the REST client; `offline sign` answers from a signing-request bundle and keeps what
 * would be posted (signer-cli/offline/bundle-transport.ts), so no connection is ever opened.
 */
export type SigningTransport = Pick<CoordinatorClient, 'get' | 'post'>;

export interface SigningDeps {
  client: SigningTransport;
  state: StateStore;
  keystore: UnlockedKeystore;
  now: () => Date;
  /** Shows the review and returns the keyholder's answer; not called with --yes. */
  confirm: (review: string[]) => Promise<boolean>;
  /** Shows the review when no question is asked (with --yes, or when resuming). */
  show: (review: string[]) => void;
  /**
   * Lifetime of the statements signed, in seconds (default: the envelope default, 600). An
   * offline signer's answer travels by hand to an online machine, so it asks for longer.
   */
  envelopeTtlSeconds?: number;
}

/** A signature made, journaled and wrapped in its signed statement, not sent yet. */
export type PreparedSignature = {
  status: 'prepared'; withdrawalId: string; vaultId: string; intentHash: string; unsignedTxid: string; resumed: boolean; summary: WithdrawalSummary;
  envelope: Envelope<WithdrawalSignature>;
};

export async function fetchWithdrawal(client: SigningTransport, withdrawalId: string): Promise<WithdrawalViewParsed> {
  const withdrawal = await client.get(`/api/v1/withdrawals/${withdrawalId}`, withdrawalViewSchema);
  // The coordinator answers for the withdrawal asked about, or it is lying.
  if (withdrawal.id !== withdrawalId) {
    throw new ConclaveError('COORDINATOR_ERROR', `coordinator: asked for withdrawal ${withdrawalId}, answered with ${withdrawal.id}`);
  }
  return withdrawal;
}

/** A fingerprint of what would be signed: the same content is reviewed at most once per session. */
export function contentKey(w: WithdrawalViewParsed): string {
  return `${w.id}:${w.intentHash}:${bytesToHex(sha256(utf8ToBytes(w.psbt)))}`;
}

export async function processSigningRequest(deps: SigningDeps, withdrawal: WithdrawalViewParsed, options: { yes: boolean }): Promise<SigningOutcome> {
  const prepared = await prepareSignature(deps, withdrawal, options);
  if (prepared.status !== 'prepared') return prepared;
  const { envelope, ...signed } = prepared;
  const { data: after } = await deps.client.post(`/api/v1/withdrawals/${withdrawal.id}/signatures`, envelope, withdrawalViewSchema);
  markSubmitted(deps.state, withdrawal.id, withdrawal.intentHash, deps.now());
  return { ...signed, status: 'signed', signatures: after.signatures.length };
}

/**
 * A signing request up to the signed statement, which is NOT sent: verify, show, ask, sign,
 * journal durably. `listen` sends it (processSigningRequest); `offline sign` writes it to a file
 * for the online side to submit, so both run exactly these checks.
 */
export async function prepareSignature(
  deps: Omit<SigningDeps, 'client'>, withdrawal: WithdrawalViewParsed, options: { yes: boolean },
): Promise<Exclude<SigningOutcome, { status: 'signed' }> | PreparedSignature> {
  const { keystore, state } = deps;
  const skip = (reason: string): Exclude<SigningOutcome, { status: 'signed' }> => ({ status: 'skipped', withdrawalId: withdrawal.id, reason });
  const current = state.read();
  const pinned = current.vaults.find((v) => v.vaultId === withdrawal.vaultId);
  if (pinned === undefined) return skip(`vault ${withdrawal.vaultId} is not pinned by this signer`);
  // FROST vaults sign in rounds with the share sealed in frost/ (sign-frost-withdrawal.ts), not with the BIP48 account key.
  if (pinned.kind === 'tr-frost') return skip(`vault ${withdrawal.vaultId} is a FROST vault: it signs in rounds (sign-frost-withdrawal.ts)`);
  if (withdrawal.state !== 'signing') return skip(`withdrawal is ${withdrawal.state}, not signing`);

  const previous = current.journal.find((e) => e.withdrawalId === withdrawal.id && e.intentHash === withdrawal.intentHash);
  const coordinatorHasOurs = withdrawal.signatures.some((s) => s.identityKey === keystore.identityKey);
  if (coordinatorHasOurs || previous?.submittedAt) {
    if (previous && !previous.submittedAt) markSubmitted(state, previous.withdrawalId, previous.intentHash, deps.now());
    return skip('already signed by this signer');
  }

  const verdict = verifyPinnedWithdrawal(withdrawal, pinned, deps.now(), current.journal, current.coordinatorKey);
  if (!verdict.ok) return { status: 'refused', withdrawalId: withdrawal.id, vaultId: withdrawal.vaultId, reasons: verdict.reasons };
  const { summary, inputsToSign } = verdict;

  // A journal entry for this very transaction means the keyholder approved it before a crash.
  const resumed = previous !== undefined && previous.unsignedTxid === summary.unsignedTxid;
  const review = [...reviewLines(summary, pinned.name), ...governedReviewLines(verdict.governed, pinned, current.journal, deps.now())];
  if (resumed) {
    deps.show([...review, 'Resuming: this signature was approved and journaled before the signer stopped.']);
  } else if (options.yes) {
    deps.show(review);
  } else if (!(await deps.confirm(review))) {
    return { status: 'declined', withdrawalId: withdrawal.id, vaultId: withdrawal.vaultId };
  }

  // Signing is pure and in memory: done before the journal entry, so a PSBT this signer cannot
  // sign never leaves a "signed" record that would block an honest rebuild of the intent.
  const account = { fingerprint: keystore.accountKey.fingerprint, path: accountPathIndexes(pinned.network) };
  const { partialSigs } = signVaultInputs(withdrawal.psbt, keystore.accountHDKey(), account, inputsToSign);
  if (!resumed) journalSignature(state, verdict.journalRecord, withdrawal.vaultId, deps.now(), recheckUnderLock(withdrawal, deps.now()));

  // Journaled durably above before the signature leaves this machine (invariant 9).
  const body: WithdrawalSignature = { withdrawalId: withdrawal.id, intentHash: withdrawal.intentHash, unsignedTxid: summary.unsignedTxid, partialSigs };
  const envelope = keystore.signEnvelope(MESSAGE_TYPES.withdrawalSignature, body, { now: deps.now(), ttlSeconds: deps.envelopeTtlSeconds });
  return {
    status: 'prepared',
    withdrawalId: withdrawal.id,
    vaultId: withdrawal.vaultId,
    intentHash: withdrawal.intentHash,
    unsignedTxid: summary.unsignedTxid,
    resumed,
    summary,
    envelope,
  };
}

/**
 * The signer's checks of a withdrawal (protocol/intent verifyWithdrawalForSigning) against what
 * it pinned, for either vault kind: a FROST verdict also carries each input's key-path digest.
 */
export function verifyPinnedWithdrawal(
  withdrawal: WithdrawalViewParsed, pinned: PinnedVault, now: Date, journal: readonly SigningRecord[], coordinatorKey: string | null = null, purpose: 'sign' | 'approve' = 'sign',
): VerifyWithdrawalResult {
  return verifyWithdrawalForSigning({
    withdrawal: { id: withdrawal.id, intent: withdrawal.intent, intentHash: withdrawal.intentHash, proposal: withdrawal.proposal, psbt: withdrawal.psbt, approvals: withdrawal.approvals },
    pinned: pinnedForSigning(pinned, coordinatorKey),
    network: pinned.network,
    now,
    journal,
    purpose,
  });
}

/**
 * The verification again, on the state as it is under the lock: another signer process on this
 * home may have signed other withdrawals meanwhile (a velocity limit counts them), or a
 * quorum-approved change moved the pinned policy on.
 */
export function recheckUnderLock(withdrawal: WithdrawalViewParsed, now: Date): (fresh: SignerState) => string[] {
  return (fresh) => {
    const pinned = fresh.vaults.find((v) => v.vaultId === withdrawal.vaultId);
    if (pinned === undefined) return [`vault ${withdrawal.vaultId}: no longer pinned by this signer`];
    const again = verifyPinnedWithdrawal(withdrawal, pinned, now, fresh.journal, fresh.coordinatorKey);
    return again.ok ? [] : again.reasons;
  };
}

/**
 * Records a signature in the journal durably (invariant 9), before it leaves the machine, with
 * the signer's own clock as `signedAt`. Checked again under the state lock: another signer
 * process on this home may have signed meanwhile (`recheck` re-runs the whole verification).
 * INTENT_REFUSED when the journal forbids it; nothing is added when this intent is there already.
 */
export function journalSignature(state: StateStore, candidate: SigningCandidate, vaultId: string, now: Date, recheck?: (fresh: SignerState) => string[]): void {
  state.update((fresh) => {
    const conflicts = journalConflicts(candidate, fresh.journal);
    if (conflicts.length > 0) throw new ConclaveError('INTENT_REFUSED', conflicts.join('; '));
    if (fresh.journal.some((e) => e.withdrawalId === candidate.withdrawalId && e.intentHash === candidate.intentHash)) return;
    const refused = recheck?.(fresh) ?? [];
    if (refused.length > 0) throw new ConclaveError('INTENT_REFUSED', refused.join('; '), { reasons: refused });
    const { replaces: _replaces, ...record } = candidate;
    fresh.journal.push({ ...record, inputs: [...record.inputs], destinations: [...record.destinations], vaultId, signedAt: now.toISOString(), submittedAt: null });
  });
}

/** The coordinator accepted what this signer journaled for the intent. */
export function markSubmitted(state: StateStore, withdrawalId: string, intentHash: string, now: Date): void {
  state.update((fresh) => {
    const entry = fresh.journal.find((e) => e.withdrawalId === withdrawalId && e.intentHash === intentHash);
    if (entry && !entry.submittedAt) entry.submittedAt = now.toISOString();
  });
}

/** The outcome as one JSON line or a few lines of text. */
export function describeOutcome(outcome: SigningOutcome): { data: Record<string, unknown>; text: string[] } {
  switch (outcome.status) {
    case 'signed':
      return {
        data: { event: 'signed', ...outcome, summary: reviewJson(outcome.summary) },
        text: [`Signed withdrawal ${outcome.withdrawalId}${outcome.resumed ? ' (resumed)' : ''}; the coordinator now has ${outcome.signatures} signature(s).`],
      };
    case 'skipped':
      return { data: { event: 'skipped', ...outcome }, text: [`Skipped withdrawal ${outcome.withdrawalId}: ${outcome.reason}.`] };
    case 'refused':
      return {
        data: { event: 'refused', ...outcome },
        text: [`REFUSED withdrawal ${outcome.withdrawalId}; nothing was signed:`, ...outcome.reasons.map((r) => `  - ${r}`)],
      };
    case 'declined':
      return { data: { event: 'declined', ...outcome }, text: [`Declined withdrawal ${outcome.withdrawalId}; nothing was signed.`] };
  }
}
