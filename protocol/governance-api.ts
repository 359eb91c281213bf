/**
 * The coordinator's governance routes (server/governance; issue 5): members propose changes to
 * a governed vault's rule set, members and address book as signed `governance.propose`
 * envelopes and approve them with `governance.approve` envelopes or passkey statements. The
 * coordinator keeps them as evidence and shows where its own copy of the policy stands; every
 * signer decides for itself from the evidence (protocol/policy-engine applyChange).
 *
 * - `POST /api/v1/vaults/:id/changes`                       body: governance.propose envelope -> ChangeView (201; 200 when sent again)
 * - `GET  /api/v1/vaults/:id/changes[?status=]`             -> ChangeView[]
 * - `GET  /api/v1/vaults/:id/changes/:changeId`             -> ChangeView
 * - `POST /api/v1/vaults/:id/changes/:changeId/approvals`   body: governance.approve envelope or passkey statement -> ChangeView
 * - `GET  /api/v1/vaults/:id/policy`                        -> PolicyView
 */
import type { VaultPolicy } from './policy';
import type { Quorum, StatePart } from './policy-engine';

export const CHANGE_STATUSES = ['pending', 'applied', 'refused', 'superseded'] as const;
/**
 * pending: waiting for its quorum or its delay; applied: the coordinator's copy of the policy
 * took it; refused: it can never apply (the state it leads to is invalid); superseded: another
 * change to the same part applied first, so the state it was made for is gone.
 */
export type ChangeStatus = (typeof CHANGE_STATUSES)[number];

export interface ChangeQuorumView {
  /** Seats by group, besides the proposer (who never counts). */
  needed: Quorum;
  /** "2 from admins + 1 from keyholders". */
  description: string;
  met: boolean;
  byGroup: Array<{ group: string; needed: number; filled: number }>;
  /** Who took which seat. */
  seated: Array<{ identityKey: string; group: string }>;
}

export interface ChangeView {
  changeId: string;
  vaultId: string;
  op: string;
  part: StatePart;
  /** Hash of the part changed, as pinned when proposed. */
  base: string;
  /** The signed change body. */
  change: unknown;
  /** Identity key of the proposer. */
  proposer: string;
  proposerName: string | null;
  /** The `governance.propose` envelope. */
  proposal: unknown;
  /** The approval statements as received: the evidence every signer re-verifies. */
  approvals: unknown[];
  approvers: Array<{ identityKey: string; name: string | null; counts: boolean; createdAt: string }>;
  status: ChangeStatus;
  quorum: ChangeQuorumView;
  delaySeconds: number;
  /** When the counted approvals first filled the quorum (signed approval times). */
  quorumReachedAt: string | null;
  /** The later of the proposal and the quorum, plus the delay. */
  effectiveAt: string | null;
  /** When it was applied, refused or superseded, by the coordinator's clock. */
  settledAt: string | null;
  /** Why it cannot apply (yet): missing approvals, the delay left, a stale base. */
  problems: string[];
  createdAt: string;
}

export interface PolicyView {
  vaultId: string;
  version: VaultPolicy['version'];
  policy: VaultPolicy;
  /** The hash intents name (a governed policy's current rule set). */
  policyHash: string;
  /** A governed policy's part hashes (pinnedStateHashes), which changes name as their base; null for a simple policy. */
  parts: { policy: string; members: string; addressBook: string } | null;
}
