/**
 * Who proposed a withdrawal and the evidence of it: a member's signed `withdrawal.propose`
 * envelope, the same statement made with a passkey in the web app (its audit event records the
 * pinned passkey it was verified with, so the log verifies on its own), or, for a proposal through an API token (server/auth/token-proposals.service.ts),
 * the token-proposal evidence (protocol/auth/access.ts) whose proposer is the granting member
 * and whose audit statement is the coordinator's own signed `withdrawal.propose-by-token`.
 */
import type { WithdrawalIntent } from '../../protocol/api';
import type { Envelope } from '../../protocol/envelope';
import type { PasskeyStatement } from '../../protocol/webauthn/passkey-statement';
import type { PinnedPasskey } from '../../protocol/webauthn/verify-passkey-statement';

export interface ProposalSource {
  /** Identity key of the member the policy judges as proposer. */
  proposer: string;
  /** The signed proposal time. */
  created: string;
  /** Stored as the withdrawal's `proposal`, which signers re-verify. */
  evidence: unknown;
  audit: { kind: 'withdrawal.proposed' | 'withdrawal.proposed-by-token'; actor: string; evidence: unknown; payload?: Record<string, unknown> };
}

export function envelopeProposal(envelope: Envelope<WithdrawalIntent>): ProposalSource {
  return { proposer: envelope.signer, created: envelope.created, evidence: envelope, audit: { kind: 'withdrawal.proposed', actor: envelope.signer, evidence: envelope } };
}

export function passkeyProposal(statement: PasskeyStatement, passkey: PinnedPasskey): ProposalSource {
  return {
    proposer: statement.signer, created: statement.created, evidence: statement,
    audit: { kind: 'withdrawal.proposed', actor: statement.signer, evidence: statement, payload: { passkey } },
  };
}
