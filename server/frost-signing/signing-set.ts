/**
 * Which keyholders sign in the next FROST session of a withdrawal (RFC 9591 section 5: the
 * coordinator chooses the set of at least t signers). Pure. The earliest unused commitments win,
 * so keyholders who answered first are not kept waiting; the set is then put in FROST identifier
 * order, the order every commitment list and every signer's check (signing-package.ts) uses.
 */

export interface WaitingCommitment {
  identityKey: string;
  /** 0-based index in the DKG params: FROST identifier index + 1. */
  participantIndex: number;
  /** Order of arrival for the withdrawal. */
  arrival: number;
}

/**
 * The first `threshold` distinct keyholders by arrival, in identifier order, leaving out the
 * excluded ones (who sent an invalid share for this withdrawal); null when fewer are waiting.
 */
export function chooseSigningSet<C extends WaitingCommitment>(waiting: readonly C[], threshold: number, excluded: ReadonlySet<string>): C[] | null {
  const byArrival = [...waiting].sort((a, b) => a.arrival - b.arrival);
  const chosen: C[] = [];
  for (const c of byArrival) {
    if (chosen.length === threshold) break;
    if (excluded.has(c.identityKey) || chosen.some((k) => k.identityKey === c.identityKey || k.participantIndex === c.participantIndex)) continue;
    chosen.push(c);
  }
  if (chosen.length < threshold) return null;
  return chosen.sort((a, b) => a.participantIndex - b.participantIndex);
}
