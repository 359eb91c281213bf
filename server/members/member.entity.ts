/** A person known to the coordinator by their identity key (DESIGN.md, people and root of trust). */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('members')
export class MemberEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  /** x-only BIP340 identity key, hex. */
  @Column({ name: 'identity_key', type: 'varchar', length: 64, unique: true })
  identityKey!: string;

  @Column({ type: 'varchar', length: 16 })
  network!: string;

  @Column({ name: 'account_fingerprint', type: 'varchar', length: 8 })
  accountFingerprint!: string;

  @Column({ name: 'account_path', type: 'varchar', length: 64 })
  accountPath!: string;

  @Column({ name: 'account_xpub', type: 'varchar', length: 120, unique: true })
  accountXpub!: string;

  /** The member.join envelope, kept as evidence. */
  @Column({ name: 'join_envelope', type: 'text' })
  joinEnvelope!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
