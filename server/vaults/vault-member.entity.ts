/** Membership of a keyholder in a vault, at the position of their key in the descriptor. */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('vault_members')
export class VaultMemberEntity {
  @PrimaryColumn({ name: 'vault_id', type: 'varchar', length: 36 })
  vaultId!: string;

  @PrimaryColumn({ type: 'integer' })
  position!: number;

  @Column({ name: 'member_id', type: 'varchar', length: 36 })
  memberId!: string;
}
