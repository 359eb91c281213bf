/**
 * `audit verify`: checks the coordinator's whole audit log against what this signer trusts:
 * the hash chain, every coordinator signature under the key pinned at join, every evidence
 * envelope (signed by the event's actor, of the type its kind implies), and every head this
 * signer saw before (history not rewritten or truncated since). Needs no passphrase.
 */
import { identityFingerprint } from '../../protocol/identity';
import { verifyCoordinatorAuditLog } from '../audit/audit-log';
import type { CliContext } from '../context';
import type { CommandResult } from '../output';

export async function runAuditVerify(ctx: CliContext): Promise<CommandResult> {
  const report = await verifyCoordinatorAuditLog(ctx.coordinator(), ctx.state);
  const { verified } = report;
  const head = report.head === null ? 'the log is empty' : `head seq ${report.head.seq} (hash ${report.head.hash})`;
  return {
    data: { valid: true, ...report, coordinatorFingerprint: identityFingerprint(report.coordinatorKey) },
    text: [
      `Audit log of ${report.coordinator}: verified, ${report.count} events, ${head}.`,
      `  ok  hash chain: every event links to the one before it; none was edited, removed, inserted or reordered`,
      `  ok  coordinator signatures: all ${verified.coordinatorSignatures} verify under the pinned coordinator key (fingerprint ${identityFingerprint(report.coordinatorKey)})`,
      `  ok  evidence: all ${verified.evidence} signed statements verify, each by the event's actor and of the type its event implies`,
      `  ok  history: all ${verified.seenHeads} heads this signer saw before are still in the log, unchanged`,
      report.head === null ? '' : `Head seq ${report.head.seq} is now remembered too: a later rewrite of the history up to it will be caught.`,
    ].filter((line) => line !== ''),
  };
}
