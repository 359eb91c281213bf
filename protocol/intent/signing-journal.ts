/**
 * The rules a signer's journal enforces (DESIGN.md invariants 3, 5 and 9): one intent, one
 * transaction. A signer never signs a second transaction for an intent (both could confirm and
 * pay twice), the same intent under a second withdrawal, a second intent for a withdrawal, or a
 * coin it already signed away for another intent. Pure: the caller owns the journal's storage
 * and MUST record an entry durably before the signature leaves the machine.
 *
 * The one exception is a fee bump (DESIGN.md, withdrawal lifecycle): an intent that names, as
 * the one it `replaces`, the intent this signer signed LAST for the same withdrawal, and that
 * spends exactly the same coins, pays exactly the same outputs and pays a higher fee. Spending
 * the same coins is what makes it safe: the original and its replacement conflict, so at most
 * one of them can ever confirm.
 *
 * Nothing else of the transaction is compared: a replacement may carry another locktime (the
 * coordinator sets the tip it sees when it rebuilds, locktime.ts). That is also what undoes a
 * locktime a hostile coordinator set as high as the signers' bound allows: an honest rebuild of
 * the same payment is a fee bump, with a locktime at the real tip, and the journal lets it through.
 */

/** What the journal remembers of each signature given. */
export interface SigningRecord {
  withdrawalId: string;
  intentHash: string;
  unsignedTxid: string;
  /** Outpoints spent, as `txid:vout`. */
  inputs: readonly string[];
  /** Fee in satoshis (decimal string); a replacement must pay more. */
  fee?: string;
  /** `paymentsHash` of the intent; a replacement must pay exactly the same. */
  paymentsHash?: string;
  /**
   * What velocity limits and address-book expiry count (policy-engine/velocity.ts
   * `PaidOutRecord`): the vault, when this signer signed by its own clock, the total paid to
   * the intent's outputs (sats, decimal string) and their addresses. Records written before
   * governed policies lack some of them and stay readable.
   */
  vaultId?: string;
  signedAt?: string;
  amountSats?: string;
  destinations?: readonly string[];
}

/**
 * A signature about to be given; `replaces` is the intent it bumps, if it is a fee bump. The
 * signer adds `signedAt` by its own clock when it writes the record.
 */
export interface SigningCandidate extends SigningRecord {
  vaultId: string;
  amountSats: string;
  destinations: readonly string[];
  replaces?: string;
}

export function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

/** Why signing `candidate` would break a rule given what was signed before; empty when it is fine. */
export function journalConflicts(candidate: SigningRecord & { replaces?: string }, journal: readonly SigningRecord[]): string[] {
  const reasons: string[] = [];
  const replaced = candidate.replaces === undefined ? new Set<SigningRecord>() : replacedRecords(candidate, journal, reasons);
  const spends = new Set(candidate.inputs);
  for (const record of journal) {
    if (replaced.has(record)) continue;
    const sameIntent = record.intentHash === candidate.intentHash;
    if (sameIntent && record.withdrawalId !== candidate.withdrawalId) {
      reasons.push(`journal: this intent was already signed for withdrawal ${record.withdrawalId}; signing it again could pay twice`);
    } else if (sameIntent && record.unsignedTxid !== candidate.unsignedTxid) {
      reasons.push(`journal: transaction ${record.unsignedTxid} was already signed for this intent; a second transaction could pay twice`);
    } else if (!sameIntent && record.withdrawalId === candidate.withdrawalId) {
      reasons.push(`journal: withdrawal ${candidate.withdrawalId} was already signed for another intent (${record.intentHash})`);
    }
    if (sameIntent) continue;
    for (const outpoint of record.inputs) {
      if (spends.has(outpoint)) {
        reasons.push(`journal: coin ${outpoint} was already signed away for withdrawal ${record.withdrawalId} (another intent)`);
      }
    }
  }
  return reasons;
}

/**
 * The records of this withdrawal that a fee bump legitimately supersedes (every earlier
 * intent in its chain), or none, with the reasons, when it is not a valid replacement.
 */
function replacedRecords(candidate: SigningRecord & { replaces?: string }, journal: readonly SigningRecord[], reasons: string[]): Set<SigningRecord> {
  const chain = journal.filter((r) => r.withdrawalId === candidate.withdrawalId && r.intentHash !== candidate.intentHash);
  // This signer never signed the withdrawal: the bump is, for it, a first signature, and the
  // usual rules (other withdrawals' coins) apply to it in full.
  if (chain.length === 0) return new Set();
  const last = chain[chain.length - 1]!;
  const before = reasons.length;
  if (last.intentHash !== candidate.replaces) {
    reasons.push(`fee bump: replaces intent ${candidate.replaces}, but the intent this signer signed last for withdrawal ${candidate.withdrawalId} is ${last.intentHash}`);
  }
  const sameCoins = last.inputs.length === candidate.inputs.length && last.inputs.every((o) => candidate.inputs.includes(o));
  if (!sameCoins) {
    reasons.push(`fee bump: must spend exactly the coins of the transaction it replaces (${last.inputs.join(', ')}), so that only one of them can confirm`);
  }
  if (last.paymentsHash === undefined || last.fee === undefined) {
    reasons.push('fee bump: the journal entry of the replaced intent predates fee bumping (no fee or payments recorded), so the replacement cannot be checked');
  } else {
    if (candidate.paymentsHash !== last.paymentsHash) reasons.push('fee bump: pays other outputs than the intent it replaces');
    if (candidate.fee === undefined || BigInt(candidate.fee) <= BigInt(last.fee)) {
      reasons.push(`fee bump: fee ${candidate.fee ?? '?'} sats is not above the replaced transaction's ${last.fee} sats`);
    }
  }
  return reasons.length === before ? new Set(chain) : new Set();
}
