/**
 * Wallet interop exports of a vault (issue 7, point 6): a Bitcoin Core `importdescriptors`
 * request, a Sparrow-importable descriptor, Caravan's wallet configuration and BIP329 labels.
 * Pure functions of the vault descriptor and what the caller passes.
 */
export * from './bitcoin-core';
export * from './sparrow';
export * from './caravan';
export * from './bip329';
