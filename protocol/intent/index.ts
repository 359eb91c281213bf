/** Withdrawal intents: their hash, and the signer's verification of a withdrawal before it signs. */
export { INTENT_HASH_TAG, PAYMENTS_HASH_TAG, intentHash, paymentsHash } from './intent-hash';
export { feeRateToMsatPerVbyte, feeWithinRate } from './fee-rate';
export { LOCKTIME_THRESHOLD, antiFeeSnipingLocktime, locktimeProblem, maxSignableLocktime } from './locktime';
export { journalConflicts, outpointKey, type SigningCandidate, type SigningRecord } from './signing-journal';
export {
  FEE_RATE_SLACK_PERCENT, MAX_CHANGE_INDEX, verifyWithdrawalForSigning,
  type PinnedVaultForSigning, type TaprootKeySpend, type VerifyWithdrawalInput, type VerifyWithdrawalResult, type WithdrawalSummary, type WithdrawalToVerify,
} from './verify-withdrawal';
