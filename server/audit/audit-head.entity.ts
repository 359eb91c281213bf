/**
 * The single row holding the chain's head. Appending locks it first, which serializes
 * appends across transactions and across coordinator instances sharing one PostgreSQL.
 * It also records the coordinator key that signs the chain, so an instance started with
 * another key file refuses to start instead of signing events that no signer will accept.
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('audit_head')
export class AuditHeadEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  /** x-only public key of the coordinator identity that signs this log. */
  @Column({ name: 'coordinator_key', type: 'varchar', length: 64 })
  coordinatorKey!: string;
}
