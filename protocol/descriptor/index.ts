/**
 * Output descriptors (BIP380-386, BIP389): checksums, a parser for the expressions Conclave
 * speaks, and the vault descriptor API (script multisig and FROST Taproot) the coordinator and
 * signers use.
 */
export * from './checksum';
export * from './key-expression';
export * from './scripts';
export * from './descriptor';
export * from './vault-descriptor';
export {
  type FrostVaultDescriptor, type TaprootVaultScript, frostGroupFingerprint, validateFrostVault,
} from './frost-vault-descriptor';
