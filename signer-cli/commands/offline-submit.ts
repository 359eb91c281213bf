/**
 * `offline submit <response>`, on the online side: posts an offline signer's signed statements
 * to the coordinator, each to the route its type names, exactly as `listen` would have posted
 * it; the coordinator verifies them like any other. Needs no keystore: each statement carries
 * its keyholder's signature.
 */
import { ConclaveError } from '../../protocol/errors';
import type { CliContext } from '../context';
import { frostSigningViewSchema, withdrawalViewSchema } from '../coordinator/views';
import { readResponseFile, statementRoute } from '../offline/response-file';
import type { CommandResult } from '../output';

export async function runOfflineSubmit(ctx: CliContext, responseFile: string): Promise<CommandResult> {
  const response = readResponseFile(responseFile);
  const client = ctx.coordinator();
  const submitted: Array<Record<string, unknown>> = [];
  const text: string[] = [];
  for (const statement of response.statements) {
    const route = statementRoute(statement);
    if (route.kind === 'withdrawal') {
      const { data } = await client.post(route.path, statement, withdrawalViewSchema);
      if (data.id !== response.withdrawalId) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: answered for withdrawal ${data.id}, not ${response.withdrawalId}`);
      submitted.push({ type: statement.type, state: data.state, signatures: data.signatures.length, txid: data.txid });
      text.push(`Submitted ${statement.type}: withdrawal ${data.id} is ${data.state} with ${data.signatures.length} signature(s)${data.txid ? `; transaction ${data.txid}` : ''}.`);
    } else {
      const { data } = await client.post(route.path, statement, frostSigningViewSchema);
      if (data.withdrawalId !== response.withdrawalId) throw new ConclaveError('COORDINATOR_ERROR', `coordinator: answered for withdrawal ${data.withdrawalId}, not ${response.withdrawalId}`);
      const sessions = data.sessions.map((s) => ({ sessionId: s.sessionId, state: s.state, signers: s.signers.length, sharesFrom: s.sharesFrom.length }));
      submitted.push({ type: statement.type, waiting: data.waiting.length, sessions });
      const open = sessions.find((s) => s.state === 'signing');
      text.push(`Submitted ${statement.type}: ${open ? `session ${open.sessionId} is open with ${open.sharesFrom}/${open.signers} share(s) in` : `${data.waiting.length} commitment(s) wait for a session`}.`);
    }
  }
  return { data: { withdrawalId: response.withdrawalId, vaultId: response.vaultId, signer: response.signer, submitted }, text };
}
