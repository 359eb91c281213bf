/**
 * Exit codes of the signer CLI, by error class, so scripts can branch without parsing text:
 *   0 success, 1 unexpected failure, 2 usage or invalid input, 3 refused (verification failed,
 *   pin mismatch, declined), 4 keystore or authentication, 5 coordinator unreachable or erring.
 * Every ErrorCode has a class here (the Record type makes a new code a compile error until it is
 * placed), and a short hint of what to do next.
 */
import type { ErrorCode } from '../protocol/errors';

export const EXIT = { ok: 0, unexpected: 1, usage: 2, refused: 3, auth: 4, coordinator: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const CLASS: Record<ErrorCode, ExitCode> = {
  VALIDATION_FAILED: EXIT.usage,
  MALFORMED_JSON: EXIT.usage,
  AMOUNT_INVALID: EXIT.usage,
  ADDRESS_INVALID: EXIT.usage,
  ADDRESS_WRONG_NETWORK: EXIT.usage,
  DUST_OUTPUT: EXIT.usage,
  FEE_RATE_INVALID: EXIT.usage,
  DESCRIPTOR_INVALID: EXIT.usage,
  DESCRIPTOR_CHECKSUM: EXIT.usage,
  KEY_INVALID: EXIT.usage,
  PSBT_MALFORMED: EXIT.usage,
  PSBT_UNSUPPORTED_VERSION: EXIT.usage,
  TX_MALFORMED: EXIT.usage,
  NOT_FOUND: EXIT.usage,
  BSMS_TOKEN_INVALID: EXIT.usage,
  BSMS_RECORD_INVALID: EXIT.usage,
  PSBT_MISMATCH: EXIT.refused,
  TX_PAYS_NO_VAULT_ADDRESS: EXIT.refused,
  NOT_PINNED: EXIT.refused,
  PIN_MISMATCH: EXIT.refused,
  INTENT_REFUSED: EXIT.refused,
  USER_DECLINED: EXIT.refused,
  AUDIT_CHAIN_BROKEN: EXIT.refused,
  AUDIT_COORDINATOR_SIG_INVALID: EXIT.refused,
  AUDIT_EVIDENCE_INVALID: EXIT.refused,
  AUDIT_HISTORY_REWRITTEN: EXIT.refused,
  COORDINATOR_KEY_NOT_PINNED: EXIT.refused,
  BSMS_SESSION_EXPIRED: EXIT.refused,
  BSMS_DECRYPT: EXIT.refused,
  BSMS_SIGNATURE_INVALID: EXIT.refused,
  BSMS_KEY_NOT_IN_DESCRIPTOR: EXIT.refused,
  BSMS_PATH_RESTRICTIONS: EXIT.refused,
  BSMS_FIRST_ADDRESS_MISMATCH: EXIT.refused,
  BSMS_KEY_MISMATCH: EXIT.refused,
  SETUP_NOT_OPENER: EXIT.auth,
  SETUP_NOT_FOUND: EXIT.coordinator,
  SETUP_KEY_RECORD_EXISTS: EXIT.coordinator,
  SETUP_FULL: EXIT.coordinator,
  SETUP_INCOMPLETE: EXIT.coordinator,
  SETUP_COMPLETE: EXIT.coordinator,
  // FROST keys: a package, nonce or share that does not check out is refused, never signed with
  FROST_KEY_INVALID: EXIT.refused,
  FROST_COMMITMENT_INVALID: EXIT.refused,
  FROST_NONCE_INVALID: EXIT.refused,
  FROST_SHARE_INVALID: EXIT.refused,
  FROST_SESSION_INVALID: EXIT.refused,
  FROST_SIGNATURE_INVALID: EXIT.refused,
  // FROST DKG: bad params or state are usage errors; a message that fails a check is refused;
  // a missing message means the coordinator or a participant has not delivered yet
  FROST_DKG_PARAMS_INVALID: EXIT.usage,
  FROST_DKG_STATE_INVALID: EXIT.usage,
  FROST_DKG_MESSAGE_INVALID: EXIT.refused,
  FROST_DKG_WRONG_SETUP: EXIT.refused,
  FROST_DKG_WRONG_SENDER: EXIT.refused,
  FROST_DKG_MISROUTED: EXIT.refused,
  FROST_DKG_BAD_SIGNATURE: EXIT.refused,
  FROST_DKG_PACKAGE_INVALID: EXIT.refused,
  FROST_DKG_MISSING_MESSAGE: EXIT.coordinator,
  FROST_DKG_DECRYPT: EXIT.refused,
  FROST_DKG_SHARE_INVALID: EXIT.refused,
  FROST_DKG_EQUIVOCATION: EXIT.refused,
  FROST_DKG_CERTIFICATE_INVALID: EXIT.refused,
  // FROST key generation: a dead setup is refused; lost local secrets are a keystore matter
  FROST_SETUP_EXPIRED: EXIT.refused,
  FROST_SETUP_ABORTED: EXIT.refused,
  FROST_DKG_STATE_MISSING: EXIT.auth,
  FROST_SHARE_MISSING: EXIT.auth,
  // FROST setups at the coordinator: an unknown, duplicate or out-of-step setup is the coordinator's answer; a bad submission is a usage error
  FROST_SETUP_NOT_FOUND: EXIT.coordinator,
  FROST_SETUP_EXISTS: EXIT.coordinator,
  FROST_SETUP_STATE: EXIT.coordinator,
  FROST_SETUP_ROUND2_INVALID: EXIT.usage,
  // FROST signing rounds: the coordinator is not (yet) at the step this request is for
  FROST_COMMITMENT_PENDING: EXIT.coordinator,
  FROST_SIGNER_EXCLUDED: EXIT.refused,
  FROST_SESSION_NOT_FOUND: EXIT.coordinator,
  FROST_SESSION_CLOSED: EXIT.coordinator,
  FROST_NOT_IN_SESSION: EXIT.refused,
  FROST_SESSION_TIMEOUT: EXIT.coordinator,
  // A nonce pair signs once: asked to sign again with spent (or unknown) nonces, the signer refuses
  FROST_NONCE_USED: EXIT.refused,
  ENVELOPE_INVALID: EXIT.auth,
  ENVELOPE_BAD_SIGNATURE: EXIT.auth,
  ENVELOPE_EXPIRED: EXIT.auth,
  ENVELOPE_REPLAYED: EXIT.auth,
  ENVELOPE_WRONG_TYPE: EXIT.auth,
  UNAUTHENTICATED: EXIT.auth,
  FORBIDDEN: EXIT.auth,
  NOT_A_MEMBER: EXIT.auth,
  SIGNER_NOT_IN_VAULT: EXIT.auth,
  KEYSTORE_PASSPHRASE: EXIT.auth,
  KEYSTORE_MISSING: EXIT.auth,
  KEYSTORE_EXISTS: EXIT.auth,
  KEYSTORE_CORRUPT: EXIT.auth,
  COORDINATOR_UNREACHABLE: EXIT.coordinator,
  COORDINATOR_ERROR: EXIT.coordinator,
  MEMBER_NOT_FOUND: EXIT.coordinator,
  VAULT_NOT_FOUND: EXIT.coordinator,
  WITHDRAWAL_NOT_FOUND: EXIT.coordinator,
  MEMBER_EXISTS: EXIT.coordinator,
  VAULT_EXISTS: EXIT.coordinator,
  VAULT_NOT_ACTIVE: EXIT.coordinator,
  DUPLICATE_REQUEST: EXIT.coordinator,
  CONFLICT_RETRY: EXIT.coordinator,
  INSUFFICIENT_FUNDS: EXIT.coordinator,
  WITHDRAWAL_STATE: EXIT.coordinator,
  FEE_BUMP_INVALID: EXIT.refused,
  SIGNATURE_INVALID: EXIT.coordinator,
  DEPOSIT_CONFLICT: EXIT.coordinator,
  POLICY_MISMATCH: EXIT.refused,
  APPROVAL_INVALID: EXIT.refused,
  // Policy engine (issue 5): a malformed rule set is bad input; a change without its quorum or delay is refused
  POLICY_RULES_INVALID: EXIT.usage,
  POLICY_CHANGE_REFUSED: EXIT.refused,
  // Vault kinds: a FROST vault given to a multisig-only operation, or the reverse
  VAULT_KIND_UNSUPPORTED: EXIT.usage,
  // Chain backends: the coordinator's node or Esplora server failed it; a refused transaction is refused
  CHAIN_UNAVAILABLE: EXIT.coordinator,
  CHAIN_RESPONSE_INVALID: EXIT.coordinator,
  CHAIN_REQUEST_REFUSED: EXIT.coordinator,
  CHAIN_WRONG_NETWORK: EXIT.coordinator,
  TX_REJECTED: EXIT.refused,
  DATABASE_UNAVAILABLE: EXIT.coordinator,
  CONFIG_INVALID: EXIT.coordinator,
  INTERNAL: EXIT.coordinator,
};

const AUDIT_TAMPERED = 'the coordinator\'s history was altered: sign nothing more through it; keep state.json and this output as evidence, '
  + 'and tell the other keyholders and the coordinator\'s operator';

const HINTS: Partial<Record<ErrorCode, string>> = {
  VALIDATION_FAILED: 'check the arguments (run with --help)',
  KEYSTORE_PASSPHRASE: 'try the passphrase again; if it is right, the keystore file was altered: restore it from backup or re-init from the mnemonic',
  KEYSTORE_MISSING: 'run "conclave-signer init", or point --home / CONCLAVE_HOME at your keystore',
  KEYSTORE_EXISTS: 'this home already has a keystore; use another --home',
  KEYSTORE_CORRUPT: 'restore keystore.json from backup or re-init from the mnemonic in a new --home',
  NOT_PINNED: 'check the vault with "conclave-signer vault pin <vaultId>" first',
  PIN_MISMATCH: 'the coordinator disagrees with what you pinned: do not use this vault until the keyholders have compared notes out of band',
  INTENT_REFUSED: 'nothing was signed; tell the other keyholders why',
  USER_DECLINED: 'nothing was done',
  COORDINATOR_UNREACHABLE: 'check the coordinator URL (join --coordinator <url>) and that it is running',
  COORDINATOR_ERROR: 'the coordinator failed; retry later or ask its operator',
  CHAIN_UNAVAILABLE: 'the coordinator cannot reach its Bitcoin node or Esplora server: retry later or ask its operator',
  CHAIN_WRONG_NETWORK: 'the coordinator\'s chain backend is on another network: its operator must fix the configuration before anything is broadcast',
  TX_REJECTED: 'the node refused the transaction for the reason shown; nothing was broadcast',
  CONFLICT_RETRY: 'another request changed the same record at the same moment and nothing of yours was written: run the command again',
  NOT_A_MEMBER: 'join the coordinator first: "conclave-signer join --coordinator <url> --name <name>"',
  UNAUTHENTICATED: 'join the coordinator first: "conclave-signer join --coordinator <url> --name <name>"',
  ENVELOPE_EXPIRED: 'check this machine\'s clock',
  AUDIT_CHAIN_BROKEN: AUDIT_TAMPERED,
  AUDIT_COORDINATOR_SIG_INVALID: 'events are not signed by the coordinator key you pinned: the history was forged or the key replaced; '
    + 'sign nothing more through this coordinator until its operator explains out of band, and keep this output as evidence',
  AUDIT_EVIDENCE_INVALID: AUDIT_TAMPERED,
  AUDIT_HISTORY_REWRITTEN: AUDIT_TAMPERED,
  COORDINATOR_KEY_NOT_PINNED: 'run "conclave-signer join --name <name>" again: it pins the coordinator key (compare its fingerprint with the operator out of band)',
  VAULT_NOT_ACTIVE: 'every keyholder must first check and confirm the vault with "conclave-signer vault pin <vaultId>"',
  BSMS_SESSION_EXPIRED: 'the setup session is over; the opener starts a new one with "conclave-signer setup open" and shares new tokens',
  BSMS_DECRYPT: 'check the token with whoever opened the setup (read it again out of band)',
  BSMS_KEY_MISMATCH: 'the key record is not that member\'s registered account key: do not use it; ask the keyholder out of band',
  SETUP_INCOMPLETE: 'wait until every keyholder has run "conclave-signer setup join"',
  // FROST DKG
  FROST_DKG_EQUIVOCATION: 'participants saw different key-generation transcripts: never use this key; keep this output as evidence and compare notes out of band',
  FROST_DKG_MISSING_MESSAGE: 'a participant has not sent its message yet: wait and retry, or ask them out of band',
  FROST_DKG_CERTIFICATE_INVALID: 'the participants did not all sign this key: never use it; keep this output as evidence and compare notes out of band',
  FROST_DKG_STATE_INVALID: 'the saved DKG state does not fit this setup or this keystore: restore frost/<setupId>.dkg from backup, or have the opener start a new setup',
  FROST_DKG_PARAMS_INVALID: 'check --threshold and --members (2 <= threshold <= members <= 15, each member once)',
  FROST_SETUP_EXPIRED: 'the setup is over and its key must not be used; the opener starts a new one with "conclave-signer frost open"',
  FROST_SETUP_ABORTED: 'the key of this setup must not be used; read the reason, compare notes out of band, and open a new setup with "conclave-signer frost open"',
  FROST_DKG_STATE_MISSING: 'restore frost/<setupId>.dkg from a backup of this signer\'s home and run "frost join" again; without it, the opener must start a new setup',
  FROST_SHARE_MISSING: 'restore frost/<setupId>.share from a backup of this signer\'s home; without it this signer cannot sign for the vault',
  FROST_SESSION_CLOSED: 'the session ended without this signer\'s shares: nothing more is signed with its nonces; commit fresh ones for the next session',
  FROST_SESSION_TIMEOUT: 'a keyholder of the session did not answer in time: commit fresh nonces for a new session',
  FROST_NONCE_USED: 'nothing was signed with these nonces again; the session times out at the coordinator and "listen" commits fresh nonces for the next one',
  FROST_SIGNER_EXCLUDED: 'this signer\'s share did not verify, so the others sign without it; check this machine\'s key share and keep this output for the other keyholders',
};

export function exitCodeFor(code: ErrorCode): ExitCode {
  return CLASS[code];
}

export function hintFor(code: ErrorCode): string | undefined {
  return HINTS[code];
}
