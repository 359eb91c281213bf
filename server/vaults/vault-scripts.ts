/**
 * Parsed vault descriptors, cached by vault id: derivation is the hot path of deposits,
 * withdrawals and signature checks, and a descriptor never changes once a vault exists.
 */
import { Injectable } from '@nestjs/common';
import { type DerivedVaultScript, type MultisigVaultDescriptor, deriveVaultScript, parseVaultDescriptor } from '../../protocol/descriptor';
import type { NetworkName } from '../../protocol/network';
import { type VaultScriptOracle, descriptorOracle } from '../../protocol/psbt';
import type { VaultEntity } from './vault.entity';

@Injectable()
export class VaultScripts {
  private readonly cache = new Map<string, MultisigVaultDescriptor>();

  descriptorOf(vault: Pick<VaultEntity, 'id' | 'descriptor' | 'network'>): MultisigVaultDescriptor {
    let parsed = this.cache.get(vault.id);
    if (!parsed) {
      parsed = parseVaultDescriptor(vault.descriptor, vault.network as NetworkName);
      this.cache.set(vault.id, parsed);
    }
    return parsed;
  }

  derive(vault: Pick<VaultEntity, 'id' | 'descriptor' | 'network'>, change: 0 | 1, index: number): DerivedVaultScript {
    return deriveVaultScript(this.descriptorOf(vault), change, index);
  }

  /** The oracle PSBT inspection uses to recompute ownership from the descriptor. */
  oracle(vault: Pick<VaultEntity, 'id' | 'descriptor' | 'network'>): VaultScriptOracle {
    return descriptorOracle(this.descriptorOf(vault));
  }
}
