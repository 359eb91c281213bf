/**
 * Approvals as signed evidence: envelopes (protocol/envelope.ts) by pinned members' identity
 * keys, or passkey statements (protocol/webauthn/passkey-statement.ts) verified against the
 * passkeys pinned for their signer in the member set, never against a key sent along. They are stored and re-verified long after they were made, so their short validity
 * window is not checked; what they approve is bound by their body (an intent hash, a change
 * id). An approval counts once per person, only from a pinned member, and never from the
 * person who proposed (DESIGN.md, "Policy") or, for a membership change, the member changed.
 */
import { verifyEnvelope } from '../envelope';
import { ConclaveError } from '../errors';
import { identityFingerprint } from '../identity';
import { verifyPasskeyStatement } from '../webauthn/verify-passkey-statement';
import { type MemberSet, findMember } from './members';

export interface CountedApproval {
  /** Position among the envelopes given. */
  index: number;
  signer: string;
  /** The approval's signed creation time. */
  created: Date;
}

export interface ApprovalRules {
  /** Envelope type the approvals must carry. */
  type: string;
  /** Null when the signed body approves the very thing at hand, else why not. */
  check: (body: unknown) => string | null;
  members: MemberSet;
  /** Members whose approval never counts here, with why (the proposer, the member changed). */
  excluded: ReadonlyMap<string, string>;
  /** Prefix of every reason, e.g. `approvals`. */
  where: string;
}

/** The approvals that count, in order; each one that does not adds a reason. */
export function collectApprovals(envelopes: readonly unknown[], rules: ApprovalRules, reasons: string[]): CountedApproval[] {
  const counted: CountedApproval[] = [];
  envelopes.forEach((input, i) => {
    const where = `${rules.where}[${i}]`;
    let signer: string;
    let body: unknown;
    let created: Date;
    try {
      const statement = isPasskeyStatement(input)
        ? verifyPasskeyStatement(input, (key) => findMember(rules.members, key)?.passkeys ?? [], rules.type)
        // Stored evidence: no validity window, so no clock (`now` is unused without checkTime).
        : verifyEnvelope(input, { now: new Date(0), expectedType: rules.type, checkTime: false });
      signer = statement.signer;
      body = statement.body;
      created = new Date(statement.created);
    } catch (error) {
      return void reasons.push(`${where}: ${error instanceof ConclaveError ? error.message : 'cannot be verified'}`);
    }
    const mismatch = rules.check(body);
    if (mismatch !== null) return void reasons.push(`${where}: ${mismatch}`);
    const who = identityFingerprint(signer);
    if (findMember(rules.members, signer) === undefined) return void reasons.push(`${where}: by ${who}, who is not a pinned member`);
    const excluded = rules.excluded.get(signer);
    if (excluded !== undefined) return void reasons.push(`${where}: by ${excluded}, whose approval never counts`);
    if (counted.some((a) => a.signer === signer)) return void reasons.push(`${where}: a second approval by ${who}`);
    counted.push({ index: i, signer, created });
  });
  return counted;
}

/** Passkey statements say so in `format`; envelopes have none. */
function isPasskeyStatement(input: unknown): boolean {
  return typeof input === 'object' && input !== null && (input as { format?: unknown }).format === 'webauthn';
}
