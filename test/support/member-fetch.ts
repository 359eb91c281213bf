/**
 * Reads through the REST API as a member (issue 5: reads need a session), for end-to-end tests
 * that look at the coordinator directly: the member's keystore (in its signer home) signs a
 * `session.open`, as signer-cli does, and the session is kept per home for the test's run.
 */
import { MESSAGE_TYPES } from '../../protocol/api';
import { unlockKeystore } from '../../signer-cli/keystore/keystore';

export const E2E_PASSPHRASE = 'e2e passphrase';

const sessions = new Map<string, string>();

async function sessionOf(coordinatorUrl: string, home: string, passphrase: string): Promise<string> {
  const key = `${coordinatorUrl} ${home}`;
  const cached = sessions.get(key);
  if (cached !== undefined) return cached;
  const { coordinatorKey } = (await (await fetch(`${coordinatorUrl}/api/v1/info`)).json()) as { coordinatorKey: string };
  const keystore = unlockKeystore(home, passphrase);
  let envelope: unknown;
  try {
    envelope = keystore.signEnvelope(MESSAGE_TYPES.sessionOpen, { coordinatorKey }, { now: new Date() });
  } finally {
    keystore.wipe();
  }
  const response = await fetch(`${coordinatorUrl}/api/v1/auth/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(envelope) });
  const body = (await response.json()) as { token?: string };
  if (response.status !== 201 || body.token === undefined) throw new Error(`sign-in of ${home} failed: ${JSON.stringify(body)}`);
  sessions.set(key, body.token);
  return body.token;
}

/** `fetch(coordinatorUrl + path)` with the session of the member whose signer home is `home`. */
export async function memberFetch(coordinatorUrl: string, home: string, path: string, passphrase = E2E_PASSPHRASE): Promise<Response> {
  return fetch(`${coordinatorUrl}${path}`, { headers: { authorization: `Bearer ${await sessionOf(coordinatorUrl, home, passphrase)}` } });
}
