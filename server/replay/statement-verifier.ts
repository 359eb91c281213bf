/**
 * A member's signed statement in either of its two forms (DESIGN.md, trust model): an envelope
 * signed with their identity key (signer-cli), or a passkey statement (the web app). Routes
 * that take both, approvals of withdrawals and of governance changes, verify and use it up here
 * in the caller's transaction, and get back what they store as evidence and log: for a passkey
 * statement also the pinned passkey it was verified with, which the audit event records so the
 * log can be verified on its own (protocol/audit/passkey-evidence.ts).
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PinnedPasskey } from '../../protocol/webauthn/verify-passkey-statement';
import { EnvelopeVerifier } from './envelope-verifier';
import { PasskeyVerifier } from './passkey-verifier';

export interface MemberStatement<T> {
  signer: string;
  type: string;
  body: T;
  created: string;
  /** What is stored and served as evidence: the envelope, or the passkey statement, as verified. */
  evidence: object;
  /** The pinned passkey of a passkey statement; null for an envelope. */
  passkey: PinnedPasskey | null;
}

/** Passkey statements say so in `format`; envelopes have none. */
export function isPasskeyStatement(input: unknown): boolean {
  return typeof input === 'object' && input !== null && (input as { format?: unknown }).format === 'webauthn';
}

@Injectable()
export class StatementVerifier {
  constructor(
    private readonly envelopes: EnvelopeVerifier,
    private readonly passkeys: PasskeyVerifier,
  ) {}

  /**
   * `pinnedFor` names the passkeys pinned for a signer where the statement applies (the vault's
   * governed member set); it is asked only for a passkey statement, and may refuse (a vault
   * whose policy pins no passkeys).
   */
  async consume<T>(manager: EntityManager, input: unknown, type: string, pinnedFor: (signer: string) => Promise<readonly PinnedPasskey[]>): Promise<MemberStatement<T>> {
    if (isPasskeyStatement(input)) {
      const { statement, passkey } = await this.passkeys.consume<T>(manager, input, type, pinnedFor);
      return { signer: statement.signer, type: statement.type, body: statement.body, created: statement.created, evidence: statement, passkey };
    }
    const envelope = await this.envelopes.consume<T>(manager, input, type);
    return { signer: envelope.signer, type: envelope.type, body: envelope.body, created: envelope.created, evidence: envelope, passkey: null };
  }
}
