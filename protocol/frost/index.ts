/**
 * FROST Taproot vaults (RFC 9591, BIP340 ciphersuite; DESIGN.md "Two kinds of vault"): the
 * base key a DKG leaves, per-address child keys of `tr(XPUB/<0;1>/*)`, and the signing rounds.
 */
export {
  type FrostBaseKey, type FrostBaseShare, type FrostIdentifier, type DkgRound3Output,
  baseKeyFromDkg, groupKeyFromRound1Commitments, groupXpub, assertBaseKey, assertBaseShare, tapTweakScalar,
} from './group-key';
export {
  type FrostChildPublic, type FrostChildKey, type TweakableKey,
  childPublicPackage, childSigningKey, bip32PublicTweak, taprootTweakKey, shiftKey, evenYKey,
} from './child-key';
export * from './signing';
export * from './dkg-params';
export * from './dkg-messages';
export * from './dkg-transcript';
export * from './dkg-round1';
export * from './dkg-state';
export * from './dkg-certificate';
export * from './dkg';
export * from './share-encryption';
export * from './setup-api';
export * from './vault-key';
export * from './signing-api';
export * from './signing-package';
