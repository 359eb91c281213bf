/**
 * A Bitcoin Core `importdescriptors` request for a vault (Bitcoin Core RPC `importdescriptors`,
 * descriptor wallets): the receive (`/0/*`) and change (`/1/*`) descriptors, each with its own
 * BIP380 checksum, both active, so a watch-only Core wallet derives and watches exactly the
 * vault's addresses. Works for both kinds of vault (wsh(sortedmulti) and FROST tr(xpub)).
 *
 * Core splits a BIP389 `<0;1>` descriptor itself only from v28 on; the two single-path
 * descriptors import on every descriptor-wallet version. Watch-only is a property of the Core
 * wallet, not of the request: create it with `disable_private_keys=true` (importdescriptors has
 * no `watchonly` field; that was importmulti's).
 */
import { ConclaveError } from '../errors';
import { type VaultDescriptor, singlePathDescriptors } from '../descriptor';

export interface CoreImportDescriptor {
  desc: string;
  active: true;
  /** false: the receive chain; true: the change chain. */
  internal: boolean;
  /** First and last index to derive, both inclusive (Core's `range: [begin, end]`). */
  range: [number, number];
  /** UNIX seconds from which Core rescans blocks, or "now" for no rescan. */
  timestamp: number | 'now';
}

export interface CoreImportOptions {
  /** When the vault was created (UNIX seconds): no coin can be older, so Core rescans from there. */
  timestamp: number | 'now';
  /** Last index of the initial range (Core tops it up as addresses are used). */
  rangeEnd: number;
}

/** BIP32 unhardened indexes stop at 2^31 - 1. */
const MAX_INDEX = 0x7fffffff;

export function coreImportDescriptors(d: VaultDescriptor, options: CoreImportOptions): CoreImportDescriptor[] {
  const { timestamp, rangeEnd } = options;
  if (timestamp !== 'now' && (!Number.isSafeInteger(timestamp) || timestamp < 0)) {
    throw new ConclaveError('VALIDATION_FAILED', `importdescriptors: timestamp must be UNIX seconds (an integer >= 0) or "now", got ${String(timestamp)}`);
  }
  if (!Number.isSafeInteger(rangeEnd) || rangeEnd < 0 || rangeEnd > MAX_INDEX) {
    throw new ConclaveError('VALIDATION_FAILED', `importdescriptors: range end must be an integer from 0 to ${MAX_INDEX}, got ${String(rangeEnd)}`);
  }
  const { receive, change } = singlePathDescriptors(d);
  return [
    { desc: receive, active: true, internal: false, range: [0, rangeEnd], timestamp },
    { desc: change, active: true, internal: true, range: [0, rangeEnd], timestamp },
  ];
}

/** The request as `bitcoin-cli -rpcwallet=<w> importdescriptors '<this>'` takes it: one JSON array. */
export function coreImportDescriptorsText(d: VaultDescriptor, options: CoreImportOptions): string {
  return `${JSON.stringify(coreImportDescriptors(d, options), null, 2)}\n`;
}
