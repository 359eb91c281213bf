/** A keyholder's signed statement that it checked and pinned the vault (vault.confirm). */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('vault_confirmations')
export class VaultConfirmationEntity {
  @PrimaryColumn({ name: 'vault_id', type: 'varchar', length: 36 })
  vaultId!: string;

  @PrimaryColumn({ name: 'identity_key', type: 'varchar', length: 64 })
  identityKey!: string;

  @Column({ name: 'first_address', type: 'varchar', length: 100 })
  firstAddress!: string;

  @Column({ type: 'text' })
  envelope!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
