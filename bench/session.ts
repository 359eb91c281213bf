/**
 * Reads through the REST API need a member's session (issue 5): the benchmarks sign in the way
 * signer-cli does, with a `session.open` statement naming the coordinator's key, so the timed
 * rounds pay what a real client pays (one sign-in, then a bearer token on every read).
 */
import { MESSAGE_TYPES } from '../protocol/api';

export interface StatementSigner {
  sign(type: string, body: unknown): unknown;
}

export async function openSession(base: string, member: StatementSigner): Promise<string> {
  const info = (await (await fetch(`${base}/api/v1/info`)).json()) as { coordinatorKey: string };
  const response = await fetch(`${base}/api/v1/auth/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(member.sign(MESSAGE_TYPES.sessionOpen, { coordinatorKey: info.coordinatorKey })),
  });
  const body = (await response.json()) as { token?: string };
  if (body.token === undefined) throw new Error(`sign-in refused: ${response.status} ${JSON.stringify(body)}`);
  return body.token;
}
