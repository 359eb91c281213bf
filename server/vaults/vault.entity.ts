/**
 * A vault and the evidence by which it was created: a P2WSH sortedmulti vault (vault.create),
 * or a FROST Taproot vault made from a DKG certificate (server/frost-setups).
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('vaults')
export class VaultEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 80 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  network!: string;

  /** Which of the two kinds of vault (DESIGN.md): its descriptor's shape follows from it. */
  @Column({ type: 'varchar', length: 16, default: 'wsh-sortedmulti' })
  kind!: 'wsh-sortedmulti' | 'tr-frost';

  @Column({ type: 'integer' })
  threshold!: number;

  /** Canonical descriptor text with checksum. */
  @Column({ type: 'text' })
  descriptor!: string;

  @Column({ name: 'descriptor_hash', type: 'varchar', length: 64, unique: true })
  descriptorHash!: string;

  /** Canonical JSON of the pinned VaultPolicy. */
  @Column({ type: 'text' })
  policy!: string;

  @Column({ name: 'policy_hash', type: 'varchar', length: 64 })
  policyHash!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy!: string;

  @Column({ name: 'create_envelope', type: 'text' })
  createEnvelope!: string;

  /** Next unused index on the receive (0) and change (1) chains. */
  @Column({ name: 'next_receive_index', type: 'integer', default: 0 })
  nextReceiveIndex!: number;

  @Column({ name: 'next_change_index', type: 'integer', default: 0 })
  nextChangeIndex!: number;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
