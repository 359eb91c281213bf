/**
 * This signer's own verdict on one change the coordinator relays, from the signed evidence,
 * the pinned state and its clock (protocol/policy-engine applyChange):
 *   - applied: this signer pinned it already (its record in state.json);
 *   - ready:   applyChange accepts it now: quorum, delay and base all good;
 *   - pending: the change itself is sound but lacks approvals or its delay;
 *   - refused: the change itself is wrong for the pinned state (signature, proposer, stale
 *              or replayed base, content, the state it leads to), whatever approves it.
 * The coordinator's status is shown beside this verdict, never instead of it.
 */
import {
  type ApplyChangeResult, type ChangeProposal, type PinnedPolicyState, type QuorumFill, applyChange, describeQuorum, reviewChange,
} from '../../protocol/policy-engine';
import type { ChangeViewParsed } from '../coordinator/views';
import type { AppliedChange } from '../state/state-file';
import { describeChange, who } from './describe';

export type ChangeVerdict = 'applied' | 'ready' | 'pending' | 'refused';

export interface ChangeAssessment {
  changeId: string;
  op: string;
  verdict: ChangeVerdict;
  /** The coordinator's status, for comparison only. */
  coordinatorStatus: string;
  change: ChangeProposal | null;
  /** "add address ...; needs 2 from admins; ..." (null when the proposal cannot be read). */
  description: string | null;
  proposer: string | null;
  /** The proposer's identity key, as signed. */
  proposerKey: string | null;
  /** Identity keys of the approvals that count (verified, by members, not excluded). */
  approvedBy: string[];
  /** Why it is pending or refused, every reason; for a ready change, the approvals left out because they do not count. */
  reasons: string[];
  fill: QuorumFill | null;
  quorum: string;
  quorumReachedAt: Date | null;
  effectiveAt: Date | null;
  /** Set when ready: the state to pin. */
  result: ApplyChangeResult | null;
}

export function assessChange(state: PinnedPolicyState, view: ChangeViewParsed, now: Date, applied: readonly AppliedChange[]): ChangeAssessment {
  const { result, ignored } = applyCountedApprovals(state, view, now);
  const { review } = result;
  const base: ChangeAssessment = {
    changeId: view.changeId,
    op: review.change?.op ?? view.op,
    verdict: 'pending',
    coordinatorStatus: view.status,
    change: review.change,
    description: review.change === null ? null : describeChange(state, review.change),
    proposer: review.proposer === null ? null : who(state, review.proposer),
    proposerKey: review.proposer,
    approvedBy: review.counted.map((c) => c.signer),
    reasons: [],
    fill: review.fill,
    quorum: describeQuorum(review.quorum),
    quorumReachedAt: review.quorumReachedAt,
    effectiveAt: review.effectiveAt,
    result: null,
  };
  const record = applied.find((a) => a.changeId === view.changeId);
  if (record !== undefined) return { ...base, verdict: 'applied', effectiveAt: record.effectiveAt === null ? null : new Date(record.effectiveAt) };
  // The id approvals name is the proposal's signed digest; a coordinator filing it under another id is lying.
  if (review.changeId !== null && review.changeId !== view.changeId) {
    return { ...base, verdict: 'refused', reasons: [`the coordinator lists it as ${view.changeId}, but its signed proposal is change ${review.changeId}`] };
  }
  if (result.ok) return { ...base, verdict: 'ready', result, reasons: ignored };
  if (review.problems.length > 0 || review.change === null) return { ...base, verdict: 'refused', reasons: review.problems };
  return { ...base, verdict: 'pending', reasons: [...ignored, ...result.reasons] };
}

/**
 * applyChange over the approvals that count only. An approval that does not verify or does not
 * count (a stranger's, the proposer's, a forgery, evidence of a kind this signer cannot check)
 * adds nothing to a quorum, so leaving it out can never let a change through; but kept in, it
 * would let whoever relays the evidence block a change forever by adding one bad approval.
 * Reasons about approvals keep their positions in the list the coordinator sent.
 */
function applyCountedApprovals(state: PinnedPolicyState, view: ChangeViewParsed, now: Date): { result: ApplyChangeResult; ignored: string[] } {
  const first = reviewChange({ state, proposal: view.proposal, approvals: view.approvals });
  const positions = first.counted.map((c) => c.index);
  const result = applyChange({ state, proposal: view.proposal, approvals: positions.map((i) => view.approvals[i]), now });
  const renumber = (reason: string) => reason.replace(/^approvals\[(\d+)\]/, (_, j: string) => `approvals[${positions[Number(j)] ?? j}]`);
  const counted = result.review.counted.map((c) => ({ ...c, index: positions[c.index] ?? c.index }));
  return { result: { ...result, reasons: result.ok ? [] : result.reasons.map(renumber), review: { ...result.review, counted } } as ApplyChangeResult, ignored: first.approvalProblems };
}

/** Applicable changes first by the time they took effect, then by id: every signer picks the same one. */
export function byEffectiveTime(a: ChangeAssessment, b: ChangeAssessment): number {
  const at = (x: ChangeAssessment) => x.effectiveAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
  return at(a) - at(b) || (a.changeId < b.changeId ? -1 : a.changeId > b.changeId ? 1 : 0);
}

/** The assessment for --json: dates as ISO strings, without the engine's internals. */
export function assessmentJson(a: ChangeAssessment): Record<string, unknown> {
  return {
    changeId: a.changeId,
    op: a.op,
    verdict: a.verdict,
    coordinatorStatus: a.coordinatorStatus,
    description: a.description,
    proposer: a.proposer,
    change: a.change,
    quorum: a.quorum,
    approvedBy: a.approvedBy,
    fill: a.fill === null ? null : { met: a.fill.met, needed: a.fill.needed, byGroup: a.fill.byGroup, seated: a.fill.seated },
    quorumReachedAt: a.quorumReachedAt?.toISOString() ?? null,
    effectiveAt: a.effectiveAt?.toISOString() ?? null,
    reasons: a.reasons,
  };
}

/** Lines for people: the change in plain words, then where it stands by this signer's checks. */
export function assessmentLines(a: ChangeAssessment, now: Date): string[] {
  const lines = [`change ${a.changeId} (${a.op}), ${a.description ?? 'unreadable proposal'}`];
  if (a.proposer !== null) lines.push(`  proposed by ${a.proposer}`);
  if (a.fill !== null && a.verdict !== 'applied') {
    lines.push(`  approvals: ${a.fill.byGroup.map((g) => `${g.filled} of ${g.needed} from ${g.group}`).join(', ') || 'none needed'}`);
  }
  const when = a.effectiveAt === null ? null : a.effectiveAt.toISOString();
  switch (a.verdict) {
    case 'applied':
      lines.push(`  applied by this signer${when === null ? '' : ` (effective ${when})`}`);
      break;
    case 'ready':
      lines.push(`  ready: in effect since ${when ?? 'the quorum'}; "governance sync" pins it`);
      break;
    case 'pending':
      lines.push(`  pending${when === null ? ' (no quorum yet)' : a.effectiveAt!.getTime() > now.getTime() ? ` until ${when}` : ''}:`);
      lines.push(...a.reasons.map((r) => `    - ${r}`));
      break;
    case 'refused':
      lines.push('  REFUSED by this signer:', ...a.reasons.map((r) => `    - ${r}`));
      break;
  }
  if (a.coordinatorStatus !== '' && !sameWord(a)) lines.push(`  (the coordinator says: ${a.coordinatorStatus})`);
  return lines;
}

function sameWord(a: ChangeAssessment): boolean {
  return a.coordinatorStatus === a.verdict || (a.verdict === 'ready' && a.coordinatorStatus === 'applied');
}
