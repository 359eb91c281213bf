/**
 * Audit evidence made with a passkey (the web app's approvals and proposals) instead of an identity-key
 * envelope. A passkey statement names its credential but not its key, so the event that logs
 * it records the pinned passkey it was verified with in `payload.passkey` ({ credentialId,
 * publicKey }); the statement must verify under exactly that key, by the event's actor. Whether
 * that key really was pinned for the actor in the vault's member set at that point of the log
 * is checked by the binding (pinned-policy-log.ts), which follows the member set through the log.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConclaveError } from '../errors';
import { passkeySchema } from '../policy-engine/members';
import { passkeyChallenge, passkeyStatementSchema } from '../webauthn/passkey-statement';
import { type PinnedPasskey, verifyPasskeyStatement } from '../webauthn/verify-passkey-statement';

/** Kinds of event a member may cause with a passkey statement: approvals, and withdrawals proposed in the web app. */
export const PASSKEY_EVIDENCE_KINDS: ReadonlySet<string> = new Set(['approval.received', 'governance.approved', 'withdrawal.proposed']);

export interface PasskeyEvidence {
  signer: string;
  type: string;
  body: unknown;
  created: string;
  /** The key recorded in the payload, under which the statement verified. */
  passkey: PinnedPasskey;
  /** What makes the statement one statement: its challenge (which commits to its signer). */
  statementId: string;
}

export function isPasskeyEvidence(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === 'webauthn';
}

/**
 * Verifies a passkey statement stored as an event's evidence against the key its payload
 * records; returns it, or why it does not hold (prefixed by `where`).
 */
export function checkPasskeyEvidence(
  where: string, statement: unknown, expectedType: string, actor: string, payloadText: string | undefined,
): { problem: string } | { problem: null; passkey: PasskeyEvidence } {
  const parsed = passkeyStatementSchema.safeParse(statement);
  if (!parsed.success) return { problem: `${where}: evidence is not a valid passkey statement` };
  if (parsed.data.signer !== actor) return { problem: `${where}: evidence is a passkey statement of ${parsed.data.signer}, not of the actor ${actor}` };
  const recorded = passkeySchema.safeParse(payloadOf(payloadText).passkey);
  if (!recorded.success) return { problem: `${where}: a passkey statement, but payload.passkey does not name the credential and key it was verified with` };
  const passkey = recorded.data;
  try {
    const verified = verifyPasskeyStatement(parsed.data, (key) => (key === actor ? [passkey] : []), expectedType);
    return {
      problem: null,
      passkey: {
        signer: verified.signer, type: verified.type, body: verified.body, created: verified.created, passkey,
        statementId: bytesToHex(passkeyChallenge(parsed.data)),
      },
    };
  } catch (error) {
    if (error instanceof ConclaveError) return { problem: `${where}: evidence: ${error.code}: ${error.message} (under the key in payload.passkey)` };
    throw error;
  }
}

function payloadOf(text: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text ?? '{}');
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {};
  } catch {
    return {};
  }
}
