/**
 * The intent hash: what approvals and partial signatures commit to (DESIGN.md, withdrawal
 * lifecycle). It is a BIP340 tagged hash of the RFC 8785 canonical form of the intent, so the
 * coordinator and every signer compute the same 32 bytes from the same object.
 *
 * Callers MUST pass the intent as parsed by `withdrawalIntentSchema` (which fills the default
 * empty memo): hashing an unparsed object that lacks `memo` gives another hash.
 */
import type { WithdrawalIntent } from '../api';
import { canonicalBytes } from '../canonical-json';
import { taggedHashHex } from '../hashing';

export const INTENT_HASH_TAG = 'Conclave/intent';

export function intentHash(intent: WithdrawalIntent): string {
  return taggedHashHex(INTENT_HASH_TAG, canonicalBytes(intent));
}

export const PAYMENTS_HASH_TAG = 'Conclave/payments';

/**
 * What an intent pays, and nothing else: its outputs (addresses and amounts) in order. A fee
 * bump must pay exactly what the intent it replaces paid; the journal keeps this hash to check.
 */
export function paymentsHash(intent: Pick<WithdrawalIntent, 'outputs'>): string {
  return taggedHashHex(PAYMENTS_HASH_TAG, canonicalBytes(intent.outputs));
}
