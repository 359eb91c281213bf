/**
 * PSBT version 0 (BIP174) for both vault kinds: P2WSH `sortedmulti` vaults (BIP48 account keys,
 * BIP67 key order) and FROST key-path Taproot vaults (BIP341, BIP371). Strict decoding of
 * untrusted PSBTs, building withdrawals, inspecting what a PSBT really does (ownership recomputed
 * from the pinned descriptor), signing and verifying multisig partial signatures, Taproot
 * key-path sighashes, finalizing and extracting. @scure/btc-signer parses and signs; BIP143 and
 * BIP341 digests are computed once per transaction so cost grows linearly with the number of inputs.
 */
export { MAX_PSBT_BYTES, decodePsbt, encodePsbt, type DecodeOptions, type DecodedPsbt, type PsbtLike } from './decode';
export {
  RBF_SEQUENCE, buildWithdrawalPsbt, vaultGlobalXpubs, type BuildWithdrawalParams, type GlobalXpubInput, type WithdrawalInput, type WithdrawalOutput,
} from './build';
export { inspectPsbt } from './inspect';
export { descriptorOracle } from './oracle';
export { signVaultInputs, type AccountOrigin, type SignResult } from './sign';
export { verifyPartialSignature, verifyPartialSignatures } from './verify';
export { extractPartialSignatures } from './partial-signatures';
export { finalizeWithSignatures, type FinalizedTransaction } from './finalize';
export { finalizeTaprootKeySpend, isP2trScript, taprootKeySpendSighashes } from './taproot';
export { SIGHASH_ALL, SIGHASH_DEFAULT, SighashAllV0, SighashDefaultV1 } from './sighash';
export {
  MAX_SIGNATURE_BYTES, SCHNORR_SIGNATURE_BYTES, estimateVsize, p2trKeyPathInputWeight, p2wshMultisigInputWeight, vaultInputWeight,
} from './vsize';
export { parseMultisig, p2wshScriptPubKey, type MultisigScript } from './multisig';
export {
  decodeRawTx, txidOf, type RawFullTx, type RawPsbt, type RawPsbtInput, type RawPsbtOutput, type RawTxInput, type RawTxOutput, type RawUnsignedTx,
} from './raw';
export type {
  DerivedVaultScript, PsbtInputSummary, PsbtOutputSummary, PsbtSummary, TaprootVaultScript, TaprootVaultScriptOracle, VaultKeyDerivation,
  VaultOracle, VaultPosition, VaultScript, VaultScriptOracle,
} from './types';
// Callers that check a PSBT against an intent turn addresses into scripts with the same codec.
export { addressToScript, scriptToAddress } from '../address';
