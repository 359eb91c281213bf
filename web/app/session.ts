/**
 * The signed-in member, kept in sessionStorage (this tab only, gone when it closes): the bearer
 * token of their session, when it expires, who they are, and the relying party id their
 * passkeys belong to. No cookie is used, so no other site can make the browser send it.
 */
export interface Member { identityKey: string; name: string | null; roles: string[] }
export interface Session { token: string; expiresAt: string; member: Member; rpId: string }

const KEY = 'conclave.session';

export function currentSession(): Session | null {
  const text = sessionStorage.getItem(KEY);
  if (text === null) return null;
  try {
    const session = JSON.parse(text) as Session;
    if (Date.parse(session.expiresAt) <= Date.now()) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    return session;
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
