/** The oracle PSBT inspection recomputes ownership with, backed by a pinned vault descriptor. */
import { type MultisigVaultDescriptor, deriveVaultScript } from '../descriptor';
import type { VaultScriptOracle } from './types';

export function descriptorOracle(descriptor: MultisigVaultDescriptor): VaultScriptOracle {
  return {
    threshold: descriptor.threshold,
    fingerprints: descriptor.keys.map((k) => k.fingerprint),
    derive: (change, index) => deriveVaultScript(descriptor, change, index),
  };
}
