/**
 * Heads of the audit log that a signer has seen, signed by the coordinator (issue 3, point 4).
 * A coordinator that holds its own key can rewrite its history so that the chain and every
 * signature verify again; what it cannot do is make the new history contain the heads that
 * signers saw before. So a signer keeps the heads it saw (seq and hash), and a verified log
 * must still hold each of them at its seq with its hash: a rewritten event changes the hash
 * of every later one, and a truncated log lacks the later seqs.
 *
 * Storage is bounded: the first head ever seen (anchoring the oldest history) and the most
 * recent `keep` heads. Pure.
 */

export interface SeenHead { seq: number; hash: string }

export const DEFAULT_SEEN_HEADS_KEPT = 1000;

export type RememberResult =
  | { status: 'recorded' | 'known'; heads: SeenHead[] }
  /** The same seq was seen before with another hash: the coordinator equivocated or rewrote history. */
  | { status: 'conflict'; heads: SeenHead[]; previous: SeenHead };

/** Adds a head to the set (kept sorted by seq); a head already known with another hash is a conflict and is not stored. */
export function rememberHead(heads: readonly SeenHead[], head: SeenHead, keep = DEFAULT_SEEN_HEADS_KEPT): RememberResult {
  const previous = heads.find((h) => h.seq === head.seq);
  if (previous) {
    return previous.hash === head.hash ? { status: 'known', heads: [...heads] } : { status: 'conflict', heads: [...heads], previous };
  }
  const sorted = [...heads, { seq: head.seq, hash: head.hash }].sort((a, b) => a.seq - b.seq);
  const bounded = sorted.length <= keep + 1 ? sorted : [sorted[0]!, ...sorted.slice(sorted.length - keep)];
  return { status: 'recorded', heads: bounded };
}

export interface RewrittenHead { seq: number; seenHash: string; nowHash: string | null }

/**
 * Every seen head that the (already verified) log no longer holds: a different hash at that seq
 * (history rewritten) or no event at that seq at all (history truncated).
 */
export function findRewrittenHeads(events: ReadonlyArray<{ seq: number; hash: string }>, seen: readonly SeenHead[]): RewrittenHead[] {
  const bySeq = new Map(events.map((e) => [e.seq, e.hash]));
  const rewritten: RewrittenHead[] = [];
  for (const head of seen) {
    const now = bySeq.get(head.seq) ?? null;
    if (now !== head.hash) rewritten.push({ seq: head.seq, seenHash: head.hash, nowHash: now });
  }
  return rewritten;
}
