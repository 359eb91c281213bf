/**
 * This signer's side of a BSMS setup session: the token(s) kept in state.json, expiry enforced
 * by the local clock (BIP129: the session ends, and the token with it), the token as people
 * type it, and this signer's own key record (BIP129 Round 1: KEY, DESCRIPTION, SIG by KEY).
 */
import {
  assertSessionOpen, joinBsmsSession, keyRecordKey, parseToken, signKeyRecord, tokenFromMnemonic, type BsmsMode,
} from '../../protocol/bsms';
import { ConclaveError } from '../../protocol/errors';
import { identityFingerprint } from '../../protocol/identity';
import type { CliContext } from '../context';
import type { KeystorePublic } from '../keystore/keystore-format';
import type { UnlockedKeystore } from '../keystore/keystore';
import type { SetupSession } from '../state/state-file';
import type { RelayedSetup } from './relayed-setup';

export function findSession(ctx: CliContext, setupId: string): SetupSession | undefined {
  return (ctx.state.read().setupSessions ?? []).find((s) => s.setupId === setupId);
}

export function requireSession(ctx: CliContext, setupId: string, role?: SetupSession['role']): SetupSession {
  const session = findSession(ctx, setupId);
  if (session === undefined) {
    throw new ConclaveError('VALIDATION_FAILED', `setup ${setupId}: this signer has no session for it; run "setup join ${setupId} --token <token>" first`);
  }
  if (role === 'opener' && session.role !== 'opener') {
    throw new ConclaveError('SETUP_NOT_OPENER', `setup ${setupId}: only the keyholder who opened it (on this signer it was joined) may do this`);
  }
  return session;
}

/** Adds or replaces the session durably (state.json under its lock). */
export function saveSession(ctx: CliContext, session: SetupSession): void {
  ctx.state.update((state) => {
    const sessions = (state.setupSessions ?? []).filter((s) => s.setupId !== session.setupId);
    state.setupSessions = [...sessions, session];
  });
}

/** BSMS_SESSION_EXPIRED from the session's expiry, by this machine's clock. */
export function ensureSessionOpen(session: SetupSession, now: Date): void {
  assertSessionOpen({ token: session.tokens[0], mode: session.mode, createdAt: session.createdAt, expiresAt: session.expiresAt }, now);
}

/** A token as typed: hex (BIP129's canonical form) or, for STANDARD, its six BIP39 words. */
export function parseTokenInput(text: string): { token: string; mode: BsmsMode } {
  const trimmed = text.trim();
  if (/\s/.test(trimmed)) return { token: tokenFromMnemonic(trimmed), mode: 'STANDARD' };
  return parseToken(trimmed);
}

/**
 * This signer's session for a setup it takes part in as a Signer: the one it has, or a new one
 * from the token it was given, checked against the setup as the opener signed it (network,
 * mode; expiry as signed, capped by protocol/bsms and judged by this machine's clock).
 * Not saved: the caller saves it before it uses the token.
 */
export function signerSession(ctx: CliContext, setup: RelayedSetup, pub: KeystorePublic, tokenText: string | undefined): SetupSession {
  const { open } = setup;
  if (open.network !== pub.network) throw new ConclaveError('VALIDATION_FAILED', `setup ${setup.id}: is on ${open.network}, this signer on ${pub.network}`);
  const existing = findSession(ctx, setup.id);
  const now = ctx.now();
  if (tokenText === undefined) {
    if (existing === undefined) throw new ConclaveError('VALIDATION_FAILED', `setup ${setup.id}: this signer has no session for it; give the --token you were given`);
    ensureSessionOpen(existing, now);
    return existing;
  }
  const { token, mode } = parseTokenInput(tokenText);
  if (mode !== open.mode) throw new ConclaveError('BSMS_TOKEN_INVALID', `--token: this setup uses ${open.mode}, but the token is a ${mode} token`);
  if (existing?.role === 'opener') throw new ConclaveError('VALIDATION_FAILED', `setup ${setup.id}: you opened it; your own token is kept in state.json`);
  if (existing !== undefined && existing.tokens[0] !== token) {
    throw new ConclaveError('BSMS_TOKEN_INVALID', `setup ${setup.id}: you joined it with another token; a keyholder has exactly one`);
  }
  const bsms = joinBsmsSession(token, { now, expiresAt: open.expiresAt });
  const session: SetupSession = existing ?? {
    setupId: setup.id, role: 'signer', name: open.name, network: pub.network, threshold: open.threshold, keyholders: open.keyholders,
    mode, tokens: [bsms.token], createdAt: bsms.createdAt, expiresAt: bsms.expiresAt,
  };
  ensureSessionOpen(session, now);
  return session;
}

/** The DESCRIPTION line: names the identity key the keyholders compare out of band. */
export function defaultDescription(pub: KeystorePublic): string {
  return `Conclave ${identityFingerprint(pub.identityKey)}`;
}

/**
 * This signer's key record for `token`, signed by the private key of its KEY, the BIP48
 * account key `[fingerprint/48'/coin'/0'/2']xpub`. Deterministic (RFC6979), so a retry sends
 * the same bytes.
 */
export function ownKeyRecord(keystore: UnlockedKeystore, token: string, description: string): string {
  const privateKey = keystore.accountHDKey().privateKey;
  if (!privateKey) throw new ConclaveError('KEYSTORE_CORRUPT', 'keystore: the account key has no private key');
  return signKeyRecord({ token, key: keyRecordKey(keystore.accountKey), description }, privateKey);
}

/** `1234 5678 ...` groups for reading a token aloud. */
export function groupedHex(token: string): string {
  return token.match(/.{1,4}/g)?.join(' ') ?? token;
}
