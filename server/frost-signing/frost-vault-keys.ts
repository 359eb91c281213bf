/**
 * The public FROST key of a Taproot vault, as the coordinator checks shares with it: derived
 * from the DKG certificate kept on the vault's frost_setups row (verified again, then
 * `frostVaultFromCertificate`), never from anything a signer sends. Cached by vault id, like
 * VaultScripts: a vault's key never changes. Per address, `child` gives the public package
 * that verifyShare and aggregateSignature take (child-key.ts: BIP32 shift, then BIP341 tweak).
 */
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConclaveError } from '../../protocol/errors';
import {
  type FrostBaseKey, type FrostChildPublic, type FrostSigningGroup, childPublicPackage, frostVaultFromCertificate, verifyCertificate,
} from '../../protocol/frost';
import type { NetworkName } from '../../protocol/network';
import { FrostSetupEntity } from '../frost-setups/frost-setup.entity';
import { VaultScripts } from '../vaults/vault-scripts';
import type { VaultEntity } from '../vaults/vault.entity';

/** Child packages kept per vault: the addresses one withdrawal spends, many times over. */
const CHILD_CACHE_LIMIT = 4096;

export class FrostVaultKey {
  private readonly children = new Map<string, FrostChildPublic>();

  constructor(
    readonly vaultId: string,
    readonly base: FrostBaseKey,
    readonly chainCode: Uint8Array,
    /** Identity keys of the keyholders in FROST identifier order (the DKG params' order). */
    readonly group: FrostSigningGroup,
  ) {}

  /** Index of a keyholder in the params (its FROST identifier is index + 1), or -1. */
  indexOf(identityKey: string): number {
    return this.group.participants.indexOf(identityKey);
  }

  child(change: 0 | 1, index: number): FrostChildPublic {
    const key = `${change}/${index}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = childPublicPackage(this.base, this.chainCode, change, index);
      if (this.children.size >= CHILD_CACHE_LIMIT) this.children.delete(this.children.keys().next().value as string);
      this.children.set(key, child);
    }
    return child;
  }
}

@Injectable()
export class FrostVaultKeys {
  private readonly cache = new Map<string, FrostVaultKey>();

  constructor(private readonly scripts: VaultScripts) {}

  /** The key of a FROST vault; VAULT_KIND_UNSUPPORTED for a multisig vault. */
  async of(manager: EntityManager, vault: VaultEntity): Promise<FrostVaultKey> {
    const cached = this.cache.get(vault.id);
    if (cached) return cached;
    const descriptor = this.scripts.descriptorOf(vault);
    if (descriptor.kind !== 'tr-frost') {
      throw new ConclaveError('VAULT_KIND_UNSUPPORTED', `vault ${vault.id}: a script-multisig vault, which signs with partial signatures, not FROST rounds`);
    }
    const setup = await manager.getRepository(FrostSetupEntity).findOne({ where: { vaultId: vault.id } });
    if (!setup?.certificate) throw new ConclaveError('FROST_KEY_INVALID', `vault ${vault.id}: no DKG certificate is recorded for this FROST vault`);
    const verified = verifyCertificate(JSON.parse(setup.certificate) as unknown);
    const key = frostVaultFromCertificate(verified, vault.network as NetworkName);
    // The certificate and the vault's pinned descriptor must be the same key, or shares would be
    // checked against one key and the transaction spend another's coins.
    if (key.groupXpub !== descriptor.groupXpub) {
      throw new ConclaveError('FROST_KEY_INVALID', `vault ${vault.id}: the DKG certificate gives group key ${key.groupXpub}, not the vault's ${descriptor.groupXpub}`);
    }
    const group: FrostSigningGroup = { participants: verified.params.participants.map((p) => p.identityKey), threshold: verified.params.threshold };
    const vaultKey = new FrostVaultKey(vault.id, key.base, key.chainCode, group);
    this.cache.set(vault.id, vaultKey);
    return vaultKey;
  }
}
