/** The oracle PSBT inspection recomputes ownership with, backed by a pinned vault descriptor of either kind. */
import {
  type FrostVaultDescriptor, type MultisigVaultDescriptor, type VaultDescriptor, deriveVaultScript, frostGroupFingerprint,
} from '../descriptor';
import type { TaprootVaultScriptOracle, VaultOracle, VaultScriptOracle } from './types';

export function descriptorOracle(descriptor: MultisigVaultDescriptor): VaultScriptOracle;
export function descriptorOracle(descriptor: FrostVaultDescriptor): TaprootVaultScriptOracle;
export function descriptorOracle(descriptor: VaultDescriptor): VaultOracle;
export function descriptorOracle(descriptor: VaultDescriptor): VaultOracle {
  if (descriptor.kind === 'tr-frost') {
    return {
      kind: 'tr-frost',
      fingerprints: [frostGroupFingerprint(descriptor)],
      derive: (change, index) => deriveVaultScript(descriptor, change, index),
    };
  }
  return {
    kind: 'wsh-sortedmulti',
    threshold: descriptor.threshold,
    fingerprints: descriptor.keys.map((k) => k.fingerprint),
    derive: (change, index) => deriveVaultScript(descriptor, change, index),
  };
}
