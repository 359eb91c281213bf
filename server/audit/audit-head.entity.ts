/**
 * The single row holding the chain's head. Appending locks it first, which serializes
 * appends across transactions and across coordinator instances sharing one PostgreSQL.
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
}
