/** Withdrawal intents: their hash, and the signer's verification of a withdrawal before it signs. */
export { INTENT_HASH_TAG, intentHash } from './intent-hash';
export { feeRateToMsatPerVbyte, feeWithinRate } from './fee-rate';
export { journalConflicts, outpointKey, type SigningRecord } from './signing-journal';
export {
  FEE_RATE_SLACK_PERCENT, MAX_CHANGE_INDEX, verifyWithdrawalForSigning,
  type PinnedVaultForSigning, type TaprootKeySpend, type VerifyWithdrawalInput, type VerifyWithdrawalResult, type WithdrawalSummary, type WithdrawalToVerify,
} from './verify-withdrawal';
