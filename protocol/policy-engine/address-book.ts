/**
 * The destination address book (DESIGN.md, "Why it exists" and "Policy"): a withdrawal pays
 * only addresses of entries that a quorum approved, whose cooling-off delay has passed, and
 * which have not expired from disuse, all by the signer's own clock and records. Attackers who
 * took over accounts withdrew to new addresses; here a new address waits out the cooling-off
 * in plain view of every keyholder first.
 *
 * Addresses are compared by output script, so a bech32 address in capitals, or written for
 * another network, never passes for an entry. Change outputs are not destinations: they are
 * not in the intent, and intent verification proves them the vault's own.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { hash256Schema } from '../schemas';
import { addressToScript } from '../address';
import { canonicalBytes } from '../canonical-json';
import { ConclaveError } from '../errors';
import { taggedHashHex } from '../hashing';
import type { NetworkName } from '../network';
import { MAX_REVISION } from './members';
import type { PolicyRules } from './rules';
import { addSeconds, formatDuration, timestampSchema } from './time';
import type { PaidOutRecord } from './velocity';

export const MAX_ADDRESS_BOOK_ENTRIES = 10_000;

export const addressLabelSchema = z.string().max(80).refine((s) => !s.includes('\u0000'), 'must not contain NUL (U+0000)');

export const addressBookEntrySchema = z.object({
  address: z.string().min(1).max(100),
  label: addressLabelSchema,
  /** When the quorum approving the entry was reached (signed approval time): the cooling-off runs from here. */
  approvedAt: timestampSchema,
  /** The change that added it (`changeId` of its proposal), to find the evidence. */
  changeId: hash256Schema,
}).strict();
export type AddressBookEntry = z.infer<typeof addressBookEntrySchema>;

/** Entries with a revision that every accepted change raises, so the book's hash never repeats. */
export const addressBookSchema = z.object({
  revision: z.number().int().min(0).max(MAX_REVISION),
  entries: z.array(addressBookEntrySchema).max(MAX_ADDRESS_BOOK_ENTRIES),
}).strict();
export type AddressBook = z.infer<typeof addressBookSchema>;

export const ADDRESS_BOOK_HASH_TAG = 'Conclave/policy-engine/address-book';

export function addressBookHash(book: AddressBook): string {
  return taggedHashHex(ADDRESS_BOOK_HASH_TAG, canonicalBytes(book));
}

/** The output script of an address (hex), or null when it is not an address of `network`. */
export function scriptKey(address: string, network: NetworkName): string | null {
  try {
    return bytesToHex(addressToScript(address, network));
  } catch (error) {
    if (error instanceof ConclaveError) return null;
    throw error;
  }
}

export type EntryStatus =
  | { state: 'cooling-off'; usableFrom: Date }
  | { state: 'usable'; expiresAt: Date }
  | { state: 'expired'; expiredAt: Date };

/**
 * An entry is usable from `approvedAt + coolingOffSeconds` (inclusive) until
 * `lastUse + expireAfterDisuseSeconds` (exclusive), where the last use is the latest time this
 * signer signed a payment to it, or `approvedAt` when it never did. The current rules apply,
 * so a policy change that lengthens the cooling-off holds back entries approved before it.
 */
export function entryStatus(entry: AddressBookEntry, rules: PolicyRules['addressBook'], lastUse: Date | undefined, now: Date): EntryStatus {
  const approvedAt = new Date(entry.approvedAt);
  const usableFrom = addSeconds(approvedAt, rules.coolingOffSeconds);
  if (now.getTime() < usableFrom.getTime()) return { state: 'cooling-off', usableFrom };
  // A use dated after `now` (the clock went back since) keeps the entry alive from `now` only.
  const used = lastUse === undefined ? approvedAt : new Date(Math.min(lastUse.getTime(), now.getTime()));
  const since = used.getTime() > approvedAt.getTime() ? used : approvedAt;
  const expiresAt = addSeconds(since, rules.expireAfterDisuseSeconds);
  if (now.getTime() >= expiresAt.getTime()) return { state: 'expired', expiredAt: expiresAt };
  return { state: 'usable', expiresAt };
}

/** Latest time this signer paid each script of the vault, from its journal. */
export function lastUses(journal: readonly PaidOutRecord[], vaultId: string, network: NetworkName): Map<string, Date> {
  const uses = new Map<string, Date>();
  for (const record of journal) {
    const signedAt = Date.parse(record.signedAt);
    if (record.vaultId !== vaultId || Number.isNaN(signedAt)) continue;
    for (const address of record.destinations) {
      const script = scriptKey(address, network);
      if (script === null) continue;
      const known = uses.get(script);
      if (known === undefined || known.getTime() < signedAt) uses.set(script, new Date(signedAt));
    }
  }
  return uses;
}

/** Every destination of the intent that no valid entry covers, with why. */
export function checkDestinations(args: {
  outputs: ReadonlyArray<{ address: string }>;
  book: AddressBook;
  rules: PolicyRules['addressBook'];
  vaultId: string;
  network: NetworkName;
  journal: readonly PaidOutRecord[];
  now: Date;
}): { reasons: string[]; entries: Array<AddressBookEntry | null> } {
  const { book, rules, network, now } = args;
  const uses = lastUses(args.journal, args.vaultId, network);
  const byScript = new Map(book.entries.map((e) => [scriptKey(e.address, network), e] as const));
  const reasons: string[] = [];
  const entries = args.outputs.map((output, i) => {
    const where = `intent.outputs[${i}]`;
    const script = scriptKey(output.address, network);
    const entry = script === null ? undefined : byScript.get(script);
    if (entry === undefined) {
      reasons.push(`${where}: ${output.address} is not in the address book; add it through its quorum first`);
      return null;
    }
    const status = entryStatus(entry, rules, uses.get(script!), now);
    const named = `${output.address} ("${entry.label}")`;
    if (status.state === 'cooling-off') {
      reasons.push(`${where}: ${named} is cooling off until ${status.usableFrom.toISOString()} (${formatDuration(status.usableFrom.getTime() - now.getTime())} left)`);
      return null;
    }
    if (status.state === 'expired') {
      reasons.push(`${where}: the address-book entry for ${named} expired at ${status.expiredAt.toISOString()} after ${formatDuration(rules.expireAfterDisuseSeconds * 1000)} unused; approve it again`);
      return null;
    }
    return entry;
  });
  return { reasons, entries };
}

/** What the schema cannot say: every entry an address of the vault's network, each script once. */
export function addressBookProblems(book: AddressBook, network: NetworkName): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  book.entries.forEach((entry, i) => {
    const script = scriptKey(entry.address, network);
    if (script === null) return void problems.push(`addressBook.entries[${i}]: ${entry.address} is not a ${network} address`);
    if (seen.has(script)) problems.push(`addressBook.entries[${i}]: ${entry.address} is in the book twice`);
    seen.add(script);
  });
  return problems;
}
