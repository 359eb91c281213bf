/** What a governance sync did, for --json and for the keyholder (`governance sync`, `listen`). */
import { assessmentJson, assessmentLines } from './assess';
import type { SyncReport } from './sync';

export function syncJson(report: SyncReport): Record<string, unknown> {
  return {
    vaultId: report.vaultId,
    policyHash: report.policyHash,
    applied: report.applied,
    alreadyApplied: report.alreadyApplied,
    pending: report.pending.map(assessmentJson),
    refused: report.refused.map(assessmentJson),
    differsFromCoordinator: report.differsFromCoordinator ?? null,
  };
}

export function syncLines(report: SyncReport, now: Date): string[] {
  const lines = [
    `Vault ${report.vaultId}: ${report.applied.length} change(s) applied now, ${report.alreadyApplied} applied before, `
      + `${report.pending.length} pending, ${report.refused.length} refused by this signer.`,
  ];
  for (const a of report.applied) lines.push(`APPLIED change ${a.changeId} (${a.op}): ${a.description ?? ''}`);
  for (const a of [...report.pending, ...report.refused]) lines.push(...assessmentLines(a, now));
  lines.push(`Pinned rule-set hash: ${report.policyHash}`);
  const differs = report.differsFromCoordinator;
  if (differs === null) lines.push('(the coordinator\'s copy of the policy could not be read to compare)');
  else if (differs !== undefined && differs.length > 0) {
    lines.push(`NOTE: the coordinator's copy differs from this signer's pinned ${differs.join(', ')}: compare part hashes ("policy show") with the other keyholders.`);
  }
  return lines;
}
