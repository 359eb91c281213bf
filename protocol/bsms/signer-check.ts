/**
 * BIP129 "Setup Process", Round 2, Signer: the checks a Signer makes on a descriptor record
 * before it shows the wallet for confirmation and persists it.
 *
 * - its own KEY is in the descriptor, by exact match of fingerprint, origin path and key
 *   ("not using shortcuts such as matching fingerprints, which is trivial to spoof");
 * - it is compatible with the derivation path restrictions (Conclave: `/0/*,/1/*` only);
 * - the first address it derives itself equals the record's FIRST_ADDRESS;
 * - it returns what the keyholder MUST be shown: the first address, the restrictions, M, N and
 *   every position of its own KEY (N guards against a KEY insertion; positions matter for multi).
 *
 * The record is decrypted (and its MAC verified) before this; see encryption.ts.
 */
import { equalBytes } from '@noble/curves/utils.js';
import { addressToScript } from '../address';
import { ConclaveError } from '../errors';
import { networkParams, type NetworkName } from '../network';
import { parseKeyExpression, type KeyExpression } from '../descriptor';
import {
  descriptorRecordFirstAddress, formatPathRestrictions, parseDescriptorRecord, type MultisigScriptType,
} from './descriptor-record';

/** The one shape of path restrictions a Conclave vault accepts: receive and change chains. */
export const CONCLAVE_PATH_RESTRICTIONS = '/0/*,/1/*';

export interface SignerCheckOptions {
  network: NetworkName;
  /** This signer's KEY, as on its own key record: `[fingerprint/path]xpub` (or a public key). */
  ownKey: string;
  /**
   * Path-restriction lines this signer accepts, compared with what the keys derive along
   * (`No path restrictions` for fixed keys). Default: only CONCLAVE_PATH_RESTRICTIONS.
   */
  acceptedPathRestrictions?: readonly string[];
}

/** What the keyholder confirms, and compares with the other keyholders out of band. */
export interface SignerConfirmation {
  /** M. */
  readonly threshold: number;
  /** N. */
  readonly keyCount: number;
  /** Every position of the signer's own KEY in the descriptor, 1-based as people count ("key 2 of 3"). */
  readonly positions: readonly number[];
  /** Derived by this signer, equal to the record's. */
  readonly firstAddress: string;
  /** The restrictions the keys derive along, as a record line. */
  readonly pathRestrictions: string;
  readonly scriptType: MultisigScriptType;
  readonly sorted: boolean;
  /** Line 2 as received, for review on request. */
  readonly descriptor: string;
  /** The concrete descriptors it stands for, with checksums. */
  readonly descriptors: readonly string[];
}

function samePath(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Exact match: fingerprint, origin path and the key itself (the full xpub, or the public key bytes). */
function isOwnKey(k: KeyExpression, own: KeyExpression): boolean {
  if (!k.origin || !own.origin) return false;
  if (k.origin.fingerprint !== own.origin.fingerprint || !samePath(k.origin.path, own.origin.path)) return false;
  if (k.type === 'const' && own.type === 'const') return equalBytes(k.pubkey, own.pubkey);
  if (k.type === 'extended' && own.type === 'extended') return k.text === own.text;
  return false;
}

/**
 * Runs the Signer's checks on a plaintext descriptor record. Refusals: BSMS_KEY_NOT_IN_DESCRIPTOR,
 * BSMS_PATH_RESTRICTIONS, BSMS_FIRST_ADDRESS_MISMATCH, ADDRESS_WRONG_NETWORK / ADDRESS_INVALID
 * for the FIRST_ADDRESS line, KEY_INVALID for keys of another network; BSMS_RECORD_INVALID,
 * DESCRIPTOR_INVALID and DESCRIPTOR_CHECKSUM for a malformed record.
 */
export function checkDescriptorRecord(text: string, options: SignerCheckOptions): SignerConfirmation {
  networkParams(options.network);
  const own = parseKeyExpression(options.ownKey, { compressedOnly: true, xOnly: false }, 'own key');
  if (!own.origin) throw new ConclaveError('KEY_INVALID', 'own key: needs its origin, [fingerprint/path]xpub, as on the key record');
  const record = parseDescriptorRecord(text);

  const positions = record.keys.flatMap((k, i) => (isOwnKey(k, own) ? [i + 1] : []));
  if (positions.length === 0) {
    throw new ConclaveError('BSMS_KEY_NOT_IN_DESCRIPTOR',
      `bsms descriptor record: this signer's key [${own.origin.text}] is not in the descriptor (exact match of fingerprint, path and key); do not use this wallet`);
  }

  const pathRestrictions = formatPathRestrictions(record.effectivePathRestrictions);
  const accepted = options.acceptedPathRestrictions ?? [CONCLAVE_PATH_RESTRICTIONS];
  if (!accepted.includes(pathRestrictions)) {
    throw new ConclaveError('BSMS_PATH_RESTRICTIONS',
      `bsms descriptor record line 3: path restrictions ${JSON.stringify(pathRestrictions)} are not accepted; this signer accepts ${accepted.map((a) => JSON.stringify(a)).join(' or ')}`);
  }

  const derived = descriptorRecordFirstAddress(record, options.network);
  const claimed = addressToScript(record.firstAddress, options.network, 'bsms descriptor record line 4');
  if (!equalBytes(claimed, addressToScript(derived, options.network))) {
    throw new ConclaveError('BSMS_FIRST_ADDRESS_MISMATCH',
      `bsms descriptor record line 4: first address ${record.firstAddress} is not ${derived}, which this signer derives from the descriptor; do not use this wallet`,
      { claimed: record.firstAddress, derived });
  }

  return {
    threshold: record.threshold, keyCount: record.keys.length, positions, firstAddress: derived, pathRestrictions,
    scriptType: record.scriptType, sorted: record.sorted, descriptor: record.descriptor, descriptors: record.descriptors,
  };
}
