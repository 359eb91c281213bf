/**
 * BIP129, Bitcoin Secure Multisig Setup (BSMS 1.0): tokens and sessions, the record
 * encryption, key records (Round 1), descriptor records (Round 2) with the Signer's checks,
 * the bridge to Conclave vault descriptors, and the `.bsms` / `.dat` file forms.
 */
export * from './token';
export * from './session';
export * from './encryption';
export * from './signed-message';
export { BSMS_VERSION } from './record-text';
export * from './key-record';
export * from './descriptor-record';
export * from './signer-check';
export * from './vault-bridge';
export * from './file';
