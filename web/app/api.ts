/** The coordinator's REST API with the member's session; refusals become ApiError with their stable code. */
import { clearSession, currentSession } from './session';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Called when the coordinator says the session is gone (expired, signed out elsewhere). */
let onSignedOut: () => void = () => undefined;
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/** `bearer`: a secret other than the signed-in session's (the enrolment page's link). */
export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, bearer?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const session = bearer === undefined ? currentSession() : null;
  const secret = bearer ?? session?.token;
  if (secret !== undefined) headers.authorization = `Bearer ${secret}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The coordinator cannot be reached; check the connection and try again.');
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text === '' ? null : JSON.parse(text);
  } catch {
    throw new ApiError(res.status, 'BAD_RESPONSE', `The coordinator answered ${res.status} with something that is not JSON.`);
  }
  if (!res.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && session !== null && error?.code === 'AUTH_REQUIRED') {
      clearSession();
      onSignedOut();
    }
    throw new ApiError(res.status, error?.code ?? `HTTP_${res.status}`, error?.message ?? res.statusText);
  }
  return data as T;
}
