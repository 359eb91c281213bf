/**
 * The address book as a signer enforces it: a destination must be in an entry approved by the
 * quorum, past its cooling-off and not expired from disuse, by the signer's clock and journal.
 * Attacks: a freshly added address used before its delay; an expired entry; an address that is
 * not in the book at all; a coordinator that claims uses this signer never made.
 */
import { type AddressBookEntry, entryStatus } from './address-book';
import { evaluateWithdrawal } from './evaluate-withdrawal';
import { policyRulesHash } from './rules';
import {
  BTC, DAY, HOUR, NEW_ADDRESS, NOW, PAYEE, POLICY, SECOND, SUPPLIER, address, approval, at, cy, intent, pinned, record, refusal, withdrawal,
} from './test-fixture';

function withEntry(approvedAt: Date, addr = NEW_ADDRESS) {
  const entry: AddressBookEntry = { address: addr, label: 'new', approvedAt: approvedAt.toISOString(), changeId: '12'.repeat(32) };
  return { addressBook: { revision: 3, entries: [...pinned().addressBook.entries, entry] } };
}

function paying(addr: string, extra: Parameters<typeof withdrawal>[0] = {}) {
  const of = intent({ pay: [[addr, BTC / 10n]] });
  return withdrawal({ intent: of, approvals: [approval(of, cy)], ...extra });
}

describe('cooling-off of a new entry', () => {
  test('a freshly added address used before its delay is refused, with the time left', () => {
    expect(refusal(paying(NEW_ADDRESS, withEntry(at(-HOUR))))).toEqual([
      `intent.outputs[0]: ${NEW_ADDRESS} ("new") is cooling off until ${at(47 * HOUR).toISOString()} (1 d 23 h left)`,
    ]);
  });

  test('one second before the cooling-off ends: refused; at its end: accepted', () => {
    expect(refusal(paying(NEW_ADDRESS, withEntry(at(-48 * HOUR + SECOND))))).toEqual([
      `intent.outputs[0]: ${NEW_ADDRESS} ("new") is cooling off until ${at(SECOND).toISOString()} (1 s left)`,
    ]);
    expect(refusal(paying(NEW_ADDRESS, withEntry(at(-48 * HOUR))))).toEqual([]);
    expect(refusal(paying(NEW_ADDRESS, withEntry(at(-48 * HOUR - SECOND))))).toEqual([]);
  });

  test('a policy that lengthens the cooling-off holds back entries approved before it', () => {
    const policy = { ...POLICY, addressBook: { ...POLICY.addressBook, coolingOffSeconds: 72 * 3600 } };
    const of = intent({ pay: [[NEW_ADDRESS, BTC / 10n]], policyHash: policyRulesHash(policy) });
    expect(refusal(withdrawal({ ...withEntry(at(-48 * HOUR)), policy, intent: of, approvals: [approval(of, cy)] }))[0]).toMatch(/is cooling off until .* \(1 d left\)$/);
  });
});

describe('expiry after disuse', () => {
  test('an entry never used expires 90 days after its approval: one second before, usable; at it, refused', () => {
    expect(refusal(paying(NEW_ADDRESS, withEntry(at(-90 * DAY + SECOND))))).toEqual([]);
    expect(refusal(paying(NEW_ADDRESS, withEntry(at(-90 * DAY))))).toEqual([
      `intent.outputs[0]: the address-book entry for ${NEW_ADDRESS} ("new") expired at ${NOW.toISOString()} after 90 d unused; approve it again`,
    ]);
  });

  test("this signer's own uses keep an entry alive, counted from the last one", () => {
    const old = withEntry(at(-200 * DAY));
    const used = (when: Date) => [record(BTC, when, { destinations: [NEW_ADDRESS] })];
    expect(refusal(paying(NEW_ADDRESS, { ...old, journal: used(at(-90 * DAY + SECOND)) }))).toEqual([]);
    expect(refusal(paying(NEW_ADDRESS, { ...old, journal: used(at(-90 * DAY)) }))[0]).toMatch(/expired at .* after 90 d unused/);
  });

  test("another vault's payment to the same address does not keep the entry alive", () => {
    const journal = [record(BTC, at(-DAY), { destinations: [NEW_ADDRESS], vaultId: '11111111-2222-4333-8444-555555555555' })];
    expect(refusal(paying(NEW_ADDRESS, { ...withEntry(at(-200 * DAY)), journal }))[0]).toMatch(/expired at/);
  });

  test('a use recorded in the future (the clock went back) keeps the entry alive from now only', () => {
    const entry: AddressBookEntry = { address: PAYEE, label: 'p', approvedAt: at(-200 * DAY).toISOString(), changeId: '12'.repeat(32) };
    const status = entryStatus(entry, POLICY.addressBook, at(400 * DAY), NOW);
    expect(status).toEqual({ state: 'usable', expiresAt: at(90 * DAY) });
  });
});

describe('destinations outside the book', () => {
  test('an address not in the book is refused', () => {
    const stranger = address(60);
    expect(refusal(paying(stranger))).toEqual([`intent.outputs[0]: ${stranger} is not in the address book; add it through its quorum first`]);
  });

  test('each output is checked: one good, one unknown names the unknown one', () => {
    const stranger = address(61);
    const of = intent({ pay: [[PAYEE, 1000n], [stranger, 1000n]] });
    expect(refusal(withdrawal({ intent: of, approvals: [approval(of, cy)] }))).toEqual([`intent.outputs[1]: ${stranger} is not in the address book; add it through its quorum first`]);
  });

  test('addresses compare by script: the same address in capitals is the same entry', () => {
    const result = evaluateWithdrawal(paying(SUPPLIER.toUpperCase()));
    expect(result).toMatchObject({ ok: true, destinations: [{ label: 'supplier' }] });
  });

  test('an empty book refuses every destination', () => {
    expect(refusal(paying(PAYEE, { addressBook: { revision: 0, entries: [] } }))[0]).toMatch(/is not in the address book/);
  });
});

describe('entryStatus', () => {
  const entry: AddressBookEntry = { address: PAYEE, label: 'p', approvedAt: NOW.toISOString(), changeId: '12'.repeat(32) };
  test('cooling off, usable, expired', () => {
    expect(entryStatus(entry, POLICY.addressBook, undefined, at(HOUR))).toEqual({ state: 'cooling-off', usableFrom: at(48 * HOUR) });
    expect(entryStatus(entry, POLICY.addressBook, undefined, at(48 * HOUR))).toEqual({ state: 'usable', expiresAt: at(90 * DAY) });
    expect(entryStatus(entry, POLICY.addressBook, undefined, at(90 * DAY))).toEqual({ state: 'expired', expiredAt: at(90 * DAY) });
  });
});
