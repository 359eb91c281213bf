/**
 * BIP129 "Setup Process", Round 1: "The session should expire after some time period
 * determined by the Coordinator, e.g., 24 hours. The timeout allows the encryption key to have
 * lower entropy." BIP129 leaves expiry to the implementation; Conclave models a session as a
 * plain value (token, mode and validity window as ISO-8601 UTC) with the clock injected.
 *
 * One session holds one token. In EXTENDED mode the Coordinator gives each Signer a token of
 * its own, so it keeps one session per Signer.
 */
import { ConclaveError } from '../errors';
import { generateToken, parseToken, type BsmsMode } from './token';

/** BIP129's example period. */
export const DEFAULT_SESSION_TTL_SECONDS = 24 * 3600;
/** A token that lives longer than a week has outlived the reason its entropy may be low. */
export const MAX_SESSION_TTL_SECONDS = 7 * 24 * 3600;

export interface BsmsSession {
  /** Canonical lowercase hex; `00` without encryption. */
  readonly token: string;
  readonly mode: BsmsMode;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  /** ISO-8601 UTC; the session is expired from this instant on. */
  readonly expiresAt: string;
}

export interface SessionOptions {
  now: Date;
  /** 1 .. MAX_SESSION_TTL_SECONDS; DEFAULT_SESSION_TTL_SECONDS when absent. */
  ttlSeconds?: number;
}

function validity(options: SessionOptions): { createdAt: string; expiresAt: string } {
  const ttl = options.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_SESSION_TTL_SECONDS) {
    throw new ConclaveError('VALIDATION_FAILED', `bsms session ttlSeconds: must be an integer in 1..${MAX_SESSION_TTL_SECONDS}, got ${ttl}`);
  }
  const start = options.now.getTime();
  if (!Number.isFinite(start)) throw new ConclaveError('VALIDATION_FAILED', 'bsms session now: not a valid date');
  return { createdAt: new Date(start).toISOString(), expiresAt: new Date(start + ttl * 1000).toISOString() };
}

/** The Coordinator opens a session: a fresh token for `mode` from `randomBytes`. */
export function createBsmsSession(options: SessionOptions & { mode: BsmsMode; randomBytes: (length: number) => Uint8Array }): BsmsSession {
  const token = generateToken(options.mode, options.randomBytes);
  return { token, mode: options.mode, ...validity(options) };
}

/**
 * A Signer opens its side of a session with the token it was given out of band (hex, as
 * parseToken reads it). Its own clock starts the window; pass `expiresAt` from the
 * Coordinator's invitation instead when it is known.
 */
export function joinBsmsSession(tokenText: string, options: SessionOptions & { expiresAt?: string }): BsmsSession {
  const { token, mode } = parseToken(tokenText);
  const w = validity(options);
  if (options.expiresAt === undefined) return { token, mode, ...w };
  const expires = Date.parse(options.expiresAt);
  if (!Number.isFinite(expires)) throw new ConclaveError('VALIDATION_FAILED', 'bsms session expiresAt: not an ISO-8601 date');
  if (expires > options.now.getTime() + MAX_SESSION_TTL_SECONDS * 1000) {
    throw new ConclaveError('VALIDATION_FAILED', `bsms session expiresAt: more than ${MAX_SESSION_TTL_SECONDS / 86400} days ahead`);
  }
  return { token, mode, createdAt: w.createdAt, expiresAt: new Date(expires).toISOString() };
}

/** True from `expiresAt` on. An unreadable `expiresAt` counts as expired: fail closed. */
export function isExpired(session: BsmsSession, now: Date): boolean {
  const expires = Date.parse(session.expiresAt);
  return !Number.isFinite(expires) || !(now.getTime() < expires);
}

/** Throws BSMS_SESSION_EXPIRED when the session is expired at `now`. */
export function assertSessionOpen(session: BsmsSession, now: Date): void {
  if (isExpired(session, now)) {
    throw new ConclaveError('BSMS_SESSION_EXPIRED', `bsms session: expired at ${session.expiresAt}; start a new setup session with a new token`,
      { expiresAt: session.expiresAt });
  }
}
