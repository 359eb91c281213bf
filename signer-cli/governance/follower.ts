/**
 * Governance inside `listen` (invariant 8: every keyholder is told): on connect, on every
 * `governance.*` push and before a withdrawal of a governed vault is verified, the listener
 * syncs the vault's changes (sync.ts), so a change that took effect is pinned before anything
 * is signed under it, and it prints a notice for each change proposed, approved, pinned or
 * refused. A push only says "look": what is shown and pinned comes from the signed evidence,
 * judged against this signer's pinned state.
 *
 * A change whose quorum is met but whose delay still runs is synced again when the delay ends
 * (a timer per vault), so a listening signer pins it then without waiting for another push.
 *
 * Work runs one step at a time on one chain, so notices come in order and two syncs never
 * race (the state lock and the re-check under it would keep them safe anyway). A failure
 * (coordinator unreachable, a coordinator without governance routes) is reported and the
 * listener goes on: the next push or withdrawal tries again.
 */
import { z } from 'zod';
import { hash256Schema, idSchema } from '../../protocol/api';
import type { Output } from '../output';
import { findPinned } from '../state/state-file';
import { type ChangeAssessment, assessChange } from './assess';
import { fetchChange } from './changes-api';
import { appliedChanges, governedState, isGoverned } from './pinned-policy';
import { type GovernanceDeps, type SyncReport, syncGovernance } from './sync';

/** Re-sync this long after a delay ends; and at least once a day, as timers cannot wait for years. */
const AFTER_DELAY_MS = 250;
const MAX_TIMER_MS = 24 * 3600 * 1000;

const governanceEventSchema = z.object({
  kind: z.enum(['governance.proposed', 'governance.approved', 'governance.applied']),
  vaultId: idSchema,
  changeId: hash256Schema,
});

export class GovernanceFollower {
  private chain: Promise<void> = Promise.resolve();
  /** `changeId:verdict` already told, so each step of a change is told once. */
  private readonly told = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly deps: GovernanceDeps,
    private readonly out: Output,
    private readonly onlyVault?: string,
  ) {}

  /** Every governed vault this listener follows, after a (re)connect. */
  syncAll(): Promise<void> {
    return this.enqueue(async () => {
      for (const vault of this.deps.state.read().vaults) {
        if (this.follows(vault.vaultId)) await this.sync(vault.vaultId);
      }
    });
  }

  /** A `governance.*` push: tell the keyholder about the change, then sync its vault. */
  onEvent(event: unknown): void {
    const parsed = governanceEventSchema.safeParse(event);
    if (!parsed.success) {
      this.out.progress(`ignored a ${(event as { kind?: string }).kind ?? 'governance'} push that is not well formed`);
      return;
    }
    const { kind, vaultId, changeId } = parsed.data;
    if (!this.follows(vaultId)) return;
    void this.enqueue(async () => {
      if (kind !== 'governance.applied') await this.notice(vaultId, changeId, kind === 'governance.proposed' ? 'proposed' : 'approved');
      await this.sync(vaultId);
    });
  }

  /** Before verifying a withdrawal: pin what took effect in its vault, so it is judged under the current rules. */
  beforeWithdrawal(vaultId: string): Promise<void> {
    return this.follows(vaultId) ? this.enqueue(() => this.sync(vaultId)) : Promise.resolve();
  }

  /** Ends the timers; nothing more is started. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private follows(vaultId: string): boolean {
    if (this.onlyVault !== undefined && vaultId !== this.onlyVault) return false;
    const pinned = this.deps.state.read().vaults.find((v) => v.vaultId === vaultId);
    return pinned !== undefined && isGoverned(pinned);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const run = this.chain.then(work).catch((error: unknown) => {
      this.out.progress(`governance: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.chain = run;
    return run;
  }

  private async notice(vaultId: string, changeId: string, what: 'proposed' | 'approved'): Promise<void> {
    const pinned = findPinned(this.deps.state.read(), vaultId);
    const view = await fetchChange(this.deps.client, vaultId, changeId);
    const assessment = assessChange(governedState(pinned), view, this.deps.now(), appliedChanges(pinned));
    const fill = assessment.fill?.byGroup.map((g) => `${g.filled} of ${g.needed} from ${g.group}`).join(', ');
    this.tell(assessment, vaultId, `governance-${what}`, [
      `Governance, vault ${vaultId}: change ${changeId} ${what}${assessment.proposer === null ? '' : ` (proposed by ${assessment.proposer})`}:`,
      `  ${assessment.description ?? 'its proposal cannot be read'}`,
      ...(fill === undefined || fill === '' ? [] : [`  approvals: ${fill}`]),
      ...verdictLines(assessment, vaultId),
    ]);
  }

  private async sync(vaultId: string): Promise<void> {
    const report = await syncGovernance(this.deps, vaultId);
    this.report(report);
    this.wakeWhenDue(report);
  }

  /** A timer for the first pending change whose delay ends in the future. */
  private wakeWhenDue(report: SyncReport): void {
    const now = this.deps.now().getTime();
    const due = report.pending.map((a) => a.effectiveAt?.getTime() ?? 0).filter((t) => t > now).sort((a, b) => a - b)[0];
    const previous = this.timers.get(report.vaultId);
    if (previous !== undefined) clearTimeout(previous);
    this.timers.delete(report.vaultId);
    if (due === undefined || this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(report.vaultId);
      void this.enqueue(() => this.sync(report.vaultId));
    }, Math.min(due - now + AFTER_DELAY_MS, MAX_TIMER_MS));
    timer.unref();
    this.timers.set(report.vaultId, timer);
  }

  private report(report: SyncReport): void {
    for (const a of report.applied) {
      this.told.add(`${a.changeId}:applied`);
      this.out.event(
        { event: 'governance-applied', vaultId: report.vaultId, changeId: a.changeId, op: a.op, description: a.description, effectiveAt: a.effectiveAt, policyHash: report.policyHash },
        [`Governance, vault ${report.vaultId}: PINNED change ${a.changeId} (${a.op}): ${a.description ?? ''}`],
      );
    }
    for (const a of report.refused) {
      this.tell(a, report.vaultId, 'governance-refused', [`Governance, vault ${report.vaultId}: this signer REFUSES change ${a.changeId} (${a.op}):`, ...a.reasons.map((r) => `  - ${r}`)]);
    }
  }

  private tell(a: ChangeAssessment, vaultId: string, event: string, text: string[]): void {
    const key = `${a.changeId}:${event}:${a.approvedBy.length}`;
    if (this.told.has(key)) return;
    this.told.add(key);
    this.out.event({
      event, vaultId, changeId: a.changeId, op: a.op, verdict: a.verdict, description: a.description, reasons: a.reasons,
      effectiveAt: a.effectiveAt?.toISOString() ?? null,
    }, text);
  }
}

function verdictLines(a: ChangeAssessment, vaultId: string): string[] {
  switch (a.verdict) {
    case 'refused': return ['  this signer REFUSES it:', ...a.reasons.map((r) => `    - ${r}`)];
    case 'pending': return [
      `  pending${a.effectiveAt === null ? '' : `; takes effect at ${a.effectiveAt.toISOString()}`}`,
      `  approvers review it with: conclave-signer governance approve ${vaultId} ${a.changeId}`,
    ];
    case 'ready': return ['  its quorum and delay are met: this signer pins it now'];
    case 'applied': return ['  already pinned by this signer'];
  }
}
