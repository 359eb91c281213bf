/**
 * The closed set of Conclave error codes, shared by the coordinator (HTTP status mapping)
 * and the signer CLI (exit codes). A code, once published, never changes meaning: scripts
 * and other implementations match on it.
 */

export const ERROR_CATALOG = {
  // Input validation (400)
  VALIDATION_FAILED: { status: 400, summary: 'The request body or argument is not valid' },
  MALFORMED_JSON: { status: 400, summary: 'The request body is not valid JSON' },
  AMOUNT_INVALID: { status: 400, summary: 'An amount is not a positive integer number of satoshis' },
  ADDRESS_INVALID: { status: 400, summary: 'An address cannot be decoded' },
  ADDRESS_WRONG_NETWORK: { status: 400, summary: 'An address belongs to another network' },
  DUST_OUTPUT: { status: 400, summary: 'An output is below the dust limit' },
  FEE_RATE_INVALID: { status: 400, summary: 'The fee rate is out of the accepted range' },
  DESCRIPTOR_INVALID: { status: 400, summary: 'A descriptor cannot be parsed' },
  DESCRIPTOR_CHECKSUM: { status: 400, summary: 'A descriptor checksum does not match' },
  KEY_INVALID: { status: 400, summary: 'A key or key origin is not valid' },
  PSBT_MALFORMED: { status: 400, summary: 'PSBT bytes cannot be parsed strictly' },
  PSBT_UNSUPPORTED_VERSION: { status: 400, summary: 'The PSBT version is not supported (only version 0)' },
  PSBT_MISMATCH: { status: 422, summary: 'The PSBT does not match what it should implement' },
  TX_MALFORMED: { status: 400, summary: 'A raw transaction cannot be parsed' },
  TX_PAYS_NO_VAULT_ADDRESS: { status: 422, summary: 'The transaction pays none of the vault addresses' },
  // Authentication and envelopes (401/403)
  ENVELOPE_INVALID: { status: 400, summary: 'A signed envelope is malformed' },
  ENVELOPE_BAD_SIGNATURE: { status: 401, summary: 'A signed envelope signature does not verify' },
  ENVELOPE_EXPIRED: { status: 401, summary: 'A signed envelope has expired or is not yet valid' },
  ENVELOPE_REPLAYED: { status: 409, summary: 'A signed envelope nonce was already used' },
  ENVELOPE_WRONG_TYPE: { status: 400, summary: 'A signed envelope carries an unexpected message type' },
  UNAUTHENTICATED: { status: 401, summary: 'The request is not authenticated' },
  FORBIDDEN: { status: 403, summary: 'The actor may not do this' },
  NOT_A_MEMBER: { status: 403, summary: 'The signing key belongs to no member (of this vault)' },
  // Access to the REST API (issue 5): sessions, API tokens, roles, passkeys
  AUTH_REQUIRED: { status: 401, summary: 'The route needs a session or an API token (Authorization: Bearer), or the one given is unknown, expired or revoked' },
  ACCESS_DENIED: { status: 403, summary: "The caller's role or token scope does not allow this route (the message names what it needs)" },
  TOKEN_INVALID: { status: 422, summary: 'An API token grant is not acceptable (scope, expiry, or a secret already used)' },
  TOKEN_NOT_FOUND: { status: 404, summary: 'No such API token' },
  PASSKEY_INVALID: { status: 400, summary: 'A passkey statement, its authenticator data or client data, or a pinned passkey key is malformed' },
  PASSKEY_NOT_PINNED: { status: 403, summary: "The credential is not one of the signer's pinned passkeys" },
  PASSKEY_CHALLENGE_MISMATCH: { status: 401, summary: 'The passkey assertion was made for another statement or challenge (or is not a webauthn.get assertion)' },
  PASSKEY_USER_NOT_VERIFIED: { status: 401, summary: 'The passkey assertion lacks user presence or user verification' },
  PASSKEY_BAD_SIGNATURE: { status: 401, summary: "The passkey assertion signature does not verify under the pinned passkey's public key" },
  PASSKEY_ALGORITHM_UNSUPPORTED: { status: 422, summary: 'The passkey uses a signature algorithm Conclave does not accept (only ES256 / P-256)' },
  PASSKEY_CHALLENGE_UNKNOWN: { status: 401, summary: 'The passkey sign-in or registration challenge is unknown, used or expired; ask for new options' },
  PASSKEY_EXPIRED: { status: 401, summary: 'A passkey statement was made too long ago, or lies in the future (its created time is outside the validity window of envelopes)' },
  PASSKEY_REPLAYED: { status: 409, summary: 'A passkey statement was already used' },
  // Not found (404)
  NOT_FOUND: { status: 404, summary: 'No such route' },
  MEMBER_NOT_FOUND: { status: 404, summary: 'No such member' },
  VAULT_NOT_FOUND: { status: 404, summary: 'No such vault' },
  WITHDRAWAL_NOT_FOUND: { status: 404, summary: 'No such withdrawal' },
  // Conflicts and state (409/422)
  MEMBER_EXISTS: { status: 409, summary: 'A member with this identity key already exists' },
  VAULT_EXISTS: { status: 409, summary: 'A vault with this descriptor already exists' },
  VAULT_NOT_ACTIVE: { status: 409, summary: 'Not every keyholder has confirmed the vault yet' },
  DUPLICATE_REQUEST: { status: 409, summary: 'The request id was already used with other content' },
  CONFLICT_RETRY: { status: 409, summary: 'A concurrent request changed the same record first; nothing of this one was written, so it can be sent again' },
  INSUFFICIENT_FUNDS: { status: 422, summary: 'The vault has not enough unreserved coins' },
  WITHDRAWAL_STATE: { status: 409, summary: 'The withdrawal is not in a state that allows this' },
  FEE_BUMP_INVALID: { status: 422, summary: 'A fee bump must replace the current intent, pay the same outputs from the same coins, and pay a higher fee' },
  SIGNATURE_INVALID: { status: 422, summary: 'A partial signature does not verify' },
  SIGNER_NOT_IN_VAULT: { status: 403, summary: 'The signature is by a key outside the vault' },
  DEPOSIT_CONFLICT: { status: 409, summary: 'The deposit conflicts with what is recorded' },
  POLICY_MISMATCH: { status: 422, summary: 'The request names another policy than the vault pinned, or breaks one of its caps' },
  APPROVAL_INVALID: { status: 422, summary: 'An approval is not valid for this withdrawal' },
  // Policy engine (issue 5): rule sets, members and address book, and quorum-approved changes to them
  POLICY_RULES_INVALID: { status: 400, summary: 'A policy rule set, membership or address book is malformed, or leaves a quorum that no members can meet' },
  POLICY_CHANGE_REFUSED: { status: 422, summary: 'A policy, membership or address-book change lacks its quorum or its delay, or was made for another pinned state' },
  // Governance at the coordinator (server/governance) and the governed withdrawal workflow
  POLICY_NOT_GOVERNED: { status: 409, summary: 'The vault has a simple (version 1) policy; changes by quorum need a governed (version 2) policy' },
  CHANGE_NOT_FOUND: { status: 404, summary: 'No such policy, membership or address-book change for this vault' },
  CHANGE_NOT_PENDING: { status: 409, summary: 'The change is no longer pending (applied, refused or superseded) and takes no more approvals' },
  DESTINATION_NOT_IN_ADDRESS_BOOK: { status: 422, summary: "A destination is not in the vault's address book, is still cooling off, or its entry has expired" },
  VELOCITY_LIMIT_EXCEEDED: { status: 422, summary: "The withdrawal would take the vault's payouts over a velocity limit of its policy" },
  // Vault kinds (script multisig and FROST Taproot): a valid vault of a kind the operation does not handle
  VAULT_KIND_UNSUPPORTED: { status: 422, summary: 'The vault is of a kind (multisig or FROST Taproot) this operation does not support' },
  // Vault setup by BIP129 (BSMS 1.0)
  BSMS_TOKEN_INVALID: { status: 400, summary: 'A BSMS token is not 00, 8 or 16 bytes of hex (or its decimal or mnemonic form)' },
  BSMS_RECORD_INVALID: { status: 400, summary: 'A BSMS key or descriptor record is malformed or for another session' },
  BSMS_SESSION_EXPIRED: { status: 409, summary: 'The BSMS setup session has expired' },
  BSMS_DECRYPT: { status: 422, summary: 'A BSMS record does not authenticate under the session token (wrong token or altered data)' },
  BSMS_SIGNATURE_INVALID: { status: 422, summary: 'A BSMS key record signature is not by its KEY' },
  BSMS_KEY_NOT_IN_DESCRIPTOR: { status: 422, summary: "The descriptor record does not contain the signer's own key" },
  BSMS_PATH_RESTRICTIONS: { status: 422, summary: 'The descriptor record derivation path restrictions are not acceptable' },
  BSMS_FIRST_ADDRESS_MISMATCH: { status: 422, summary: 'The first address of the descriptor record is not the one derived from it' },
  BSMS_KEY_MISMATCH: { status: 422, summary: "A key record's KEY is not the registered account key of the member it is for" },
  SETUP_NOT_FOUND: { status: 404, summary: 'No such vault setup' },
  SETUP_NOT_OPENER: { status: 403, summary: 'Only the keyholder who opened the setup may do this' },
  SETUP_KEY_RECORD_EXISTS: { status: 409, summary: 'This member already sent a key record for the setup' },
  SETUP_FULL: { status: 409, summary: 'The setup already holds a key record for each of its keyholders' },
  SETUP_INCOMPLETE: { status: 409, summary: 'The setup does not hold every key record yet' },
  SETUP_COMPLETE: { status: 409, summary: 'The setup already has its descriptor record' },
  // FROST keys
  FROST_KEY_INVALID: { status: 400, summary: 'A FROST key package is malformed, or its group key, commitments, verifying shares and signing share do not agree' },
  FROST_COMMITMENT_INVALID: { status: 400, summary: 'A FROST nonce commitment or commitment list is malformed' },
  FROST_NONCE_INVALID: { status: 400, summary: 'FROST signing nonces are malformed, already used, or do not match the published commitment' },
  FROST_SHARE_INVALID: { status: 422, summary: 'A FROST signature share is malformed or does not verify (details name the signers)' },
  FROST_SESSION_INVALID: { status: 422, summary: 'A FROST signing session is not one this signer can sign in: a swapped or altered commitment, a set below the threshold, a stranger' },
  FROST_SIGNATURE_INVALID: { status: 422, summary: 'The aggregate FROST signature does not verify under the output key' },
  // FROST DKG (messages name the participant at fault; details.participant is its 1-based number)
  FROST_DKG_PARAMS_INVALID: { status: 400, summary: 'FROST setup params are invalid (threshold out of 2..n, n over 15, duplicate or invalid identity keys)' },
  FROST_DKG_STATE_INVALID: { status: 400, summary: 'The saved DKG state is malformed, for another identity key, or used out of order' },
  FROST_DKG_MESSAGE_INVALID: { status: 400, summary: 'A DKG message is malformed' },
  FROST_DKG_WRONG_SETUP: { status: 422, summary: 'A DKG message is bound to another setup id or params hash (replayed or misrouted)' },
  FROST_DKG_WRONG_SENDER: { status: 422, summary: 'A DKG message is signed by a key that is not the participant it claims to be from' },
  FROST_DKG_MISROUTED: { status: 422, summary: 'A DKG round-2 share is addressed to another participant' },
  FROST_DKG_BAD_SIGNATURE: { status: 422, summary: "A DKG message's signature by its sender does not verify" },
  FROST_DKG_PACKAGE_INVALID: { status: 422, summary: 'A DKG round-1 package is invalid (commitments or proof of knowledge)' },
  FROST_DKG_MISSING_MESSAGE: { status: 409, summary: 'A DKG message from a participant is missing (dropped out or withheld)' },
  FROST_DKG_DECRYPT: { status: 422, summary: 'A DKG round-2 share does not decrypt for this recipient, setup and sender' },
  FROST_DKG_SHARE_INVALID: { status: 422, summary: "A DKG round-2 share does not match its sender's round-1 commitments" },
  FROST_DKG_EQUIVOCATION: { status: 409, summary: 'Participants saw different DKG transcripts: someone signed two round-1 packages or two transcripts' },
  FROST_DKG_CERTIFICATE_INVALID: { status: 422, summary: 'A DKG certificate does not verify (a signature missing, invalid, or over another transcript)' },
  // FROST key generation through the coordinator (signer-cli frost open/join)
  FROST_SETUP_EXPIRED: { status: 409, summary: 'The FROST key-generation setup has passed its deadline before completing' },
  FROST_SETUP_ABORTED: { status: 409, summary: 'The FROST key-generation setup was stopped by the coordinator before completing' },
  FROST_DKG_STATE_MISSING: { status: 409, summary: "This signer's DKG message is at the coordinator but its saved DKG state is gone, so it cannot continue without equivocating" },
  FROST_SHARE_MISSING: { status: 404, summary: "No FROST key share of this signer's for the vault (the sealed share file is gone)" },
  // FROST key generation relayed by the coordinator (server/frost-setups)
  FROST_SETUP_NOT_FOUND: { status: 404, summary: 'No such FROST key-generation setup' },
  FROST_SETUP_EXISTS: { status: 409, summary: 'A FROST key-generation setup with this setup id already exists' },
  FROST_SETUP_STATE: { status: 409, summary: 'The FROST setup is not at a step that takes this message (an earlier round is incomplete, or the setup is complete)' },
  FROST_SETUP_ROUND2_INVALID: { status: 400, summary: 'A round-2 submission does not hold exactly one message to each other participant, all from one sender' },
  // FROST signing rounds relayed by the coordinator (server/frost-signing)
  FROST_COMMITMENT_PENDING: { status: 409, summary: 'This keyholder already has an unused commitment for the withdrawal; it is used by the next session (send the same one again, or wait)' },
  FROST_SIGNER_EXCLUDED: { status: 403, summary: 'This keyholder sent an invalid signature share for the withdrawal and signs in none of its further sessions' },
  FROST_SESSION_NOT_FOUND: { status: 404, summary: 'No such FROST signing session for this withdrawal' },
  FROST_SESSION_CLOSED: { status: 409, summary: 'The FROST signing session is no longer collecting shares (complete, failed or timed out); commit again for a new one' },
  FROST_NOT_IN_SESSION: { status: 403, summary: 'The keyholder is not in the signing set of this FROST session' },
  FROST_SESSION_TIMEOUT: { status: 409, summary: 'The FROST signing session waited longer than the coordinator allows for its shares; signers commit again for a new one' },
  // FROST nonces in the signer's store (signer-cli/frost/nonce-store.ts)
  FROST_NONCE_USED: { status: 409, summary: 'These FROST nonces were already used or destroyed, or were never stored by this signer: a nonce pair signs at most once, so fresh ones must be committed' },
  // Offline signing by file and animated QR (signer-cli offline; never sent by the coordinator)
  OFFLINE_BUNDLE_INVALID: { status: 400, summary: 'A signing-request bundle or its UR parts are not a Conclave bundle: wrong format or version, altered content (hash mismatch), or inconsistent fields' },
  OFFLINE_BUNDLE_TRUNCATED: { status: 400, summary: 'A signing-request bundle, response or UR part set is incomplete (cut short, or parts missing)' },
  OFFLINE_BUNDLE_WRONG_VAULT: { status: 409, summary: 'The signing-request bundle is for a vault this signer has not pinned' },
  OFFLINE_RESPONSE_INVALID: { status: 400, summary: 'An offline signing response is not a Conclave response: wrong format or version, altered content, or a statement of an unexpected kind' },
  OFFLINE_NOTHING_TO_SIGN: { status: 409, summary: 'The bundle asks nothing of this signer now (already signed, not in signing, or waiting for the other signers)' },
  OFFLINE_PSBT_NOT_SIGNED: { status: 422, summary: "The PSBT carries no signature by this keyholder's key for the withdrawal's transaction" },
  // Local (signer CLI)
  KEYSTORE_PASSPHRASE: { status: 401, summary: 'The keystore passphrase is wrong or the file was altered' },
  KEYSTORE_MISSING: { status: 404, summary: 'No keystore at the given path' },
  KEYSTORE_EXISTS: { status: 409, summary: 'A keystore already exists at the given path' },
  KEYSTORE_CORRUPT: { status: 400, summary: 'The keystore file is not a Conclave keystore' },
  NOT_PINNED: { status: 409, summary: 'The vault is not pinned by this signer' },
  PIN_MISMATCH: { status: 409, summary: 'What the coordinator sent differs from what this signer pinned' },
  INTENT_REFUSED: { status: 422, summary: 'The signer refused the signing request' },
  USER_DECLINED: { status: 409, summary: 'The keyholder declined at the prompt' },
  COORDINATOR_UNREACHABLE: { status: 503, summary: 'The coordinator cannot be reached' },
  COORDINATOR_ERROR: { status: 502, summary: 'The coordinator answered with an error' },
  // Audit log verification (a signer checking the coordinator's history)
  AUDIT_CHAIN_BROKEN: { status: 422, summary: 'The audit log hash chain is broken: an event was edited, deleted, inserted or reordered' },
  AUDIT_COORDINATOR_SIG_INVALID: { status: 422, summary: 'An audit event is not signed by the pinned coordinator key' },
  AUDIT_EVIDENCE_INVALID: { status: 422, summary: "An audit event's evidence is not a valid statement of the kind its event implies, signed by its actor" },
  AUDIT_HISTORY_REWRITTEN: { status: 409, summary: 'The audit log no longer holds a head this signer saw before: history was rewritten or truncated' },
  COORDINATOR_KEY_NOT_PINNED: { status: 409, summary: "This signer has not pinned the coordinator's key" },
  // Chain backends (server/chain: Bitcoin Core JSON-RPC, Esplora REST)
  CHAIN_UNAVAILABLE: { status: 503, summary: 'The Bitcoin node or Esplora server cannot be reached, timed out, refused the credentials or is not ready' },
  CHAIN_RESPONSE_INVALID: { status: 502, summary: 'The chain backend answered something its API does not specify (malformed JSON, a wrong shape, another transaction than asked for)' },
  CHAIN_REQUEST_REFUSED: { status: 502, summary: 'The chain backend refused a request with an error of its own (details carry its code and message)' },
  CHAIN_WRONG_NETWORK: { status: 502, summary: 'The chain backend is on another network than the coordinator is configured for' },
  TX_REJECTED: { status: 422, summary: 'The node refused the transaction; details.reason is its reject reason (e.g. min relay fee not met)' },
  BROADCAST_NOT_REFUSED: { status: 409, summary: 'The withdrawal has no refused broadcast to retry (not sent yet, already accepted, or its transaction is not the one named)' },
  CHAIN_OFFLINE: { status: 409, summary: 'The coordinator has no chain backend (CONCLAVE_CHAIN=offline): it broadcasts nothing, so there is nothing to retry' },
  // Webhooks (server/webhooks): endpoints registered by administrators
  WEBHOOK_URL_INVALID: { status: 400, summary: 'A webhook URL is not an absolute http(s) URL, carries a user name or password, or has a fragment' },
  WEBHOOK_URL_PRIVATE: { status: 422, summary: 'A webhook URL points at a loopback, private or link-local address, which this coordinator refuses (CONCLAVE_WEBHOOK_ALLOW_PRIVATE=false)' },
  WEBHOOK_NOT_ADMIN: { status: 403, summary: 'The signer does not administer every vault the webhook names (admins of a governed vault; keyholders of a simple one), or administers none' },
  WEBHOOK_NOT_FOUND: { status: 404, summary: 'No such webhook endpoint (or none the caller may see)' },
  WEBHOOK_DISABLED: { status: 409, summary: 'The webhook endpoint is already disabled' },
  // Server side
  DATABASE_UNAVAILABLE: { status: 503, summary: 'The database cannot be reached' },
  CONFIG_INVALID: { status: 500, summary: 'The configuration is not valid' },
  INTERNAL: { status: 500, summary: 'An unexpected internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Every failure Conclave reports deliberately; `code` is stable, `message` says where and what to do. */
export class ConclaveError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ConclaveError';
  }

  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOG, value);
}
