/**
 * Parsed vault descriptors of either kind (script multisig, FROST Taproot), cached by vault id:
 * derivation is the hot path of deposits, withdrawals and signature checks, and a descriptor
 * never changes once a vault exists.
 *
 * `descriptorOf`, `derive`, `address` and `oracle` serve both kinds (addresses, coin selection,
 * PSBTs); the `multisig*` variants serve the partial-signature path, which only a script-multisig
 * vault has (a FROST vault there is VAULT_KIND_UNSUPPORTED).
 */
import { Injectable } from '@nestjs/common';
import {
  type DerivedVaultScript, type MultisigVaultDescriptor, type VaultDescriptor, type VaultScript, VAULT_KINDS, deriveVaultScript, parseVaultDescriptor,
} from '../../protocol/descriptor';
import { ConclaveError } from '../../protocol/errors';
import type { NetworkName } from '../../protocol/network';
import { type VaultOracle, type VaultScriptOracle, descriptorOracle } from '../../protocol/psbt';
import type { VaultEntity } from './vault.entity';

type VaultText = Pick<VaultEntity, 'id' | 'descriptor' | 'network'>;

@Injectable()
export class VaultScripts {
  private readonly cache = new Map<string, VaultDescriptor>();

  descriptorOf(vault: VaultText): VaultDescriptor {
    let parsed = this.cache.get(vault.id);
    if (!parsed) {
      parsed = parseVaultDescriptor(vault.descriptor, vault.network as NetworkName, VAULT_KINDS);
      this.cache.set(vault.id, parsed);
    }
    return parsed;
  }

  /** The descriptor of a script-multisig vault; VAULT_KIND_UNSUPPORTED for a FROST vault. */
  multisigDescriptorOf(vault: VaultText, operation = 'this operation'): MultisigVaultDescriptor {
    const d = this.descriptorOf(vault);
    if (d.kind !== 'wsh-sortedmulti') {
      throw new ConclaveError('VAULT_KIND_UNSUPPORTED', `vault ${vault.id}: a FROST Taproot vault, but ${operation} is for script-multisig vaults only`);
    }
    return d;
  }

  /** The vault's script at (change, index), of its own kind. */
  derive(vault: VaultText, change: 0 | 1, index: number): VaultScript {
    return deriveVaultScript(this.descriptorOf(vault), change, index);
  }

  deriveMultisig(vault: VaultText, change: 0 | 1, index: number, operation?: string): DerivedVaultScript {
    return deriveVaultScript(this.multisigDescriptorOf(vault, operation), change, index);
  }

  /** The address and output script at (change, index) of a vault of either kind. */
  address(vault: VaultText, change: 0 | 1, index: number): { address: string; scriptPubKey: Uint8Array } {
    const { address, scriptPubKey } = this.derive(vault, change, index);
    return { address, scriptPubKey };
  }

  /** The oracle PSBT inspection uses to recompute ownership from the descriptor. */
  oracle(vault: VaultText): VaultOracle {
    return descriptorOracle(this.descriptorOf(vault));
  }

  multisigOracle(vault: VaultText, operation?: string): VaultScriptOracle {
    return descriptorOracle(this.multisigDescriptorOf(vault, operation));
  }
}
