/**
 * The rules a signer's journal enforces (DESIGN.md invariants 3, 5 and 9): one intent, one
 * transaction. A signer never signs a second transaction for an intent (both could confirm and
 * pay twice), the same intent under a second withdrawal, a second intent for a withdrawal, or a
 * coin it already signed away for another intent. Pure: the caller owns the journal's storage
 * and MUST record an entry durably before the signature leaves the machine.
 */

/** What the journal remembers of each signature given. */
export interface SigningRecord {
  withdrawalId: string;
  intentHash: string;
  unsignedTxid: string;
  /** Outpoints spent, as `txid:vout`. */
  inputs: readonly string[];
}

export function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`;
}

/** Why signing `candidate` would break a rule given what was signed before; empty when it is fine. */
export function journalConflicts(candidate: SigningRecord, journal: readonly SigningRecord[]): string[] {
  const reasons: string[] = [];
  const spends = new Set(candidate.inputs);
  for (const record of journal) {
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
