/** A member's approval of a change: their signed `governance.approve` envelope (or passkey statement) over its id. */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('governance_approvals')
export class GovernanceApprovalEntity {
  @PrimaryColumn({ name: 'change_id', type: 'varchar', length: 64 })
  changeId!: string;

  @PrimaryColumn({ name: 'identity_key', type: 'varchar', length: 64 })
  identityKey!: string;

  /** Canonical JSON of the statement, as received. */
  @Column({ type: 'text' })
  statement!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
