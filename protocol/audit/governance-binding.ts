/**
 * Audit binding rules for the governance of a governed vault (evidence-binding.ts delegates the
 * governance kinds here): a proposal is filed under the id its signed digest gives, for a vault
 * the log introduced, with the op and base it signed; an approval names exactly the change it
 * is filed under; and a change is settled (applied, superseded or refused) once at most, after
 * it was proposed and before anyone approves it further.
 *
 * Whether an applied change had its quorum and delay is the coordinator's claim here; every
 * signer decides that itself from the stored evidence (protocol/policy-engine applyChange).
 * What an applied change does to the vault's policy is followed by pinned-policy-log.ts, from
 * the proposal kept here. An approval may be a passkey statement: only its body matters here.
 */
import type { Envelope } from '../envelope';
import { changeApprovalSchema, changeId, changeProposalSchema } from '../policy-engine/changes';
import { Mismatch, parsed, same } from './binding-checks';
import type { BindableEvent } from './evidence-binding';
import type { LoggedChange } from './pinned-policy-log';

interface KnownChange extends LoggedChange {
  vaultId: string;
  settled: string | null;
}

/** The changes of one chain walk. */
export class GovernanceLog {
  private readonly changes = new Map<string, KnownChange>();

  proposed(event: BindableEvent, envelope: Envelope | null, vaultKnown: (vaultId: string) => void): void {
    if (envelope === null) throw new Mismatch('no proposal');
    const change = parsed(changeProposalSchema, envelope.body);
    const id = changeId(envelope);
    same('subject', event.subject, id);
    if (this.changes.has(id)) throw new Mismatch(`change ${id} was already introduced earlier in the log`);
    vaultKnown(change.vaultId);
    same('payload.vaultId', event.payload.vaultId, change.vaultId);
    same('payload.op', event.payload.op, change.op);
    same('payload.base', event.payload.base, change.base);
    this.changes.set(id, { vaultId: change.vaultId, settled: null, changeId: id, change, proposedAt: envelope.created });
  }

  /** An approval (an envelope or a passkey statement: only its body matters here); returns the change's vault. */
  approved(event: BindableEvent, statement: { body: unknown } | null): string {
    const approval = parsed(changeApprovalSchema, statement?.body);
    same('subject', event.subject, approval.changeId);
    const known = this.open(approval.changeId);
    same('the approved vault', known.vaultId, approval.vaultId);
    return known.vaultId;
  }

  /** Returns the change settled, with its signed proposal. */
  settled(event: BindableEvent, outcome: 'applied' | 'superseded' | 'refused'): KnownChange {
    const id = event.subject;
    if (id === null) throw new Mismatch('no subject');
    const known = this.open(id);
    same('payload.vaultId', event.payload.vaultId, known.vaultId);
    known.settled = outcome;
    return known;
  }

  private open(id: string): KnownChange {
    const known = this.changes.get(id);
    if (known === undefined) throw new Mismatch(`change ${id} does not appear earlier in the log`);
    if (known.settled !== null) throw new Mismatch(`change ${id} was already ${known.settled} earlier in the log`);
    return known;
  }
}
