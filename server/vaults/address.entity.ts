/** An address derived from a vault descriptor on its receive (0) or change (1) chain. */
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('addresses')
export class AddressEntity {
  @PrimaryColumn({ name: 'vault_id', type: 'varchar', length: 36 })
  vaultId!: string;

  @PrimaryColumn({ type: 'integer' })
  change!: number;

  @PrimaryColumn({ name: 'idx', type: 'integer' })
  index!: number;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 100 })
  address!: string;

  @Column({ name: 'script_pubkey', type: 'varchar', length: 140 })
  scriptPubKey!: string;
}
