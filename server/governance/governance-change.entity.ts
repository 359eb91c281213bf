/**
 * A proposed change to a governed vault's policy, members or address book: the proposer's
 * signed `governance.propose` envelope, kept as evidence, and where the coordinator's copy of
 * the policy stands with it. Its id is the envelope's signed digest (protocol/policy-engine
 * changes.ts), so the coordinator cannot file one proposal under another id.
 */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ChangeStatus } from '../../protocol/governance-api';

@Entity('governance_changes')
@Index(['vaultId', 'status'])
export class GovernanceChangeEntity {
  @PrimaryColumn({ name: 'change_id', type: 'varchar', length: 64 })
  changeId!: string;

  @Column({ name: 'vault_id', type: 'varchar', length: 36 })
  vaultId!: string;

  @Column({ type: 'varchar', length: 40 })
  op!: string;

  /** The hash of the part it changes, as pinned when proposed. */
  @Column({ type: 'varchar', length: 64 })
  base!: string;

  /** Canonical JSON of the `governance.propose` envelope. */
  @Column({ type: 'text' })
  proposal!: string;

  @Column({ name: 'proposed_by', type: 'varchar', length: 64 })
  proposedBy!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: ChangeStatus;

  /** Canonical JSON of the last review (quorum, how it is filled, problems): what the view shows. */
  @Column({ type: 'text' })
  review!: string;

  @Column({ name: 'quorum_reached_at', type: 'varchar', length: 32, nullable: true })
  quorumReachedAt!: string | null;

  @Column({ name: 'effective_at', type: 'varchar', length: 32, nullable: true })
  effectiveAt!: string | null;

  /** When it was applied, refused or superseded. */
  @Column({ name: 'settled_at', type: 'varchar', length: 32, nullable: true })
  settledAt!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
