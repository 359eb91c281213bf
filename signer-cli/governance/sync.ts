/**
 * `governance sync`: this signer moves its own pinned policy on (DESIGN.md, root of trust,
 * invariant 8). It fetches the vault's changes and applies, one at a time, each change that
 * applyChange accepts NOW against the state pinned at that moment; since every change names
 * the hash of the part it changes, applying one can make the next one (built on it) applicable,
 * so it loops until nothing more applies. When two sound changes name the same base, the one
 * that took effect first wins (then the smaller id): every signer that sees the same evidence
 * pins the same state, and the other change becomes stale.
 *
 * Each change is pinned with its record in one atomic write of state.json, under the state
 * lock, after applyChange is run again on the state read under that lock: a `listen` and a
 * `governance sync` running together never pin a change twice or on top of another.
 */
import { ConclaveError } from '../../protocol/errors';
import { pinnedStateHashes } from '../../protocol/policy-engine';
import type { CoordinatorClient } from '../coordinator/client';
import type { ChangeViewParsed } from '../coordinator/views';
import { type AppliedChange, type StateStore, findPinned } from '../state/state-file';
import { type ChangeAssessment, assessChange, byEffectiveTime } from './assess';
import { fetchChanges, fetchPolicyParts } from './changes-api';
import { appliedChanges, governedState, pinChange } from './pinned-policy';

export interface GovernanceDeps {
  client: CoordinatorClient;
  state: StateStore;
  now: () => Date;
}

export interface AppliedNow extends AppliedChange {
  description: string | null;
}

export interface SyncReport {
  vaultId: string;
  /** Applied by this run, in order. */
  applied: AppliedNow[];
  /** Applied by earlier runs (still listed by the coordinator). */
  alreadyApplied: number;
  pending: ChangeAssessment[];
  refused: ChangeAssessment[];
  /** The pinned rule-set hash after the run (what intents must name). */
  policyHash: string;
  /**
   * The parts of the coordinator's copy that differ from this signer's pinned ones after the run
   * (null when its copy could not be read). A difference is for the keyholders to look into: a
   * change this signer refused or has not seen, or a coordinator that is lying.
   */
  differsFromCoordinator?: Array<'policy' | 'members' | 'addressBook'> | null;
}

export async function syncGovernance(deps: GovernanceDeps, vaultId: string): Promise<SyncReport> {
  governedState(findPinned(deps.state.read(), vaultId)); // POLICY_NOT_GOVERNED before asking the coordinator
  const views = await fetchChanges(deps.client, vaultId);
  const report = applyReadyChanges(deps.state, vaultId, views, deps.now);
  return { ...report, differsFromCoordinator: await compareWithCoordinator(deps, vaultId) };
}

async function compareWithCoordinator(deps: GovernanceDeps, vaultId: string): Promise<SyncReport['differsFromCoordinator']> {
  let parts: Awaited<ReturnType<typeof fetchPolicyParts>>;
  try {
    parts = await fetchPolicyParts(deps.client, vaultId);
  } catch {
    return null;
  }
  const pinned = pinnedStateHashes(governedState(findPinned(deps.state.read(), vaultId)));
  if (parts === null) return ['policy', 'members', 'addressBook'];
  return (['policy', 'members', 'addressBook'] as const).filter((part) => parts[part] !== pinned[part]);
}

/** The loop of `syncGovernance` over changes already fetched. */
export function applyReadyChanges(store: StateStore, vaultId: string, views: readonly ChangeViewParsed[], now: () => Date): SyncReport {
  const applied: AppliedNow[] = [];
  const tried = new Set<string>();
  for (;;) {
    const pinned = findPinned(store.read(), vaultId);
    const state = governedState(pinned);
    const at = now();
    const assessments = views.map((view) => assessChange(state, view, at, appliedChanges(pinned)));
    const next = assessments.filter((a) => a.verdict === 'ready' && !tried.has(a.changeId)).sort(byEffectiveTime)[0];
    if (next === undefined) {
      // The report is this last look: at one instant, against the state pinned after the run.
      return {
        vaultId,
        applied,
        alreadyApplied: assessments.filter((a) => a.verdict === 'applied').length - applied.length,
        // Ready yet not pinned only when the state moved under the lock meanwhile: the next run pins it.
        pending: assessments.filter((a) => a.verdict === 'pending' || a.verdict === 'ready'),
        refused: assessments.filter((a) => a.verdict === 'refused'),
        policyHash: pinned.policyHash,
      };
    }
    tried.add(next.changeId);
    const view = views.find((v) => v.changeId === next.changeId)!;
    const record = pinIfStillAccepted(store, vaultId, view, at);
    if (record !== null) applied.push({ ...record, description: next.description });
  }
}

/** Under the state lock: applyChange on the state as it is now on disk, and if it accepts, pin it with its record. */
function pinIfStillAccepted(store: StateStore, vaultId: string, view: ChangeViewParsed, now: Date): AppliedChange | null {
  let record: AppliedChange | null = null;
  store.update((signerState) => {
    const pinned = findPinned(signerState, vaultId);
    const assessment = assessChange(governedState(pinned), view, now, appliedChanges(pinned));
    if (assessment.verdict !== 'ready' || assessment.result === null || !assessment.result.ok) return;
    record = {
      changeId: view.changeId,
      op: assessment.op,
      appliedAt: now.toISOString(),
      effectiveAt: assessment.effectiveAt?.toISOString() ?? null,
    };
    // The pinned keyholders follow a replaced identity key in the same atomic write.
    pinChange(signerState, vaultId, assessment.result.state, record, assessment.result.review.change ?? undefined);
  });
  return record;
}

/** POLICY_CHANGE_REFUSED naming every reason, for commands that must not go on with a change this signer refuses. */
export function refusal(assessment: ChangeAssessment, action: string): ConclaveError {
  return new ConclaveError(
    'POLICY_CHANGE_REFUSED',
    `change ${assessment.changeId}: not ${action}:\n  - ${assessment.reasons.join('\n  - ')}`,
    { changeId: assessment.changeId, reasons: assessment.reasons },
  );
}
