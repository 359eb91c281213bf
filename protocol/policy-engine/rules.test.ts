/**
 * Rule sets and pinned state on their own: strict parsing, the rules' own consistency, the
 * hash intents name, tier selection at its bounds, and the lock-out check that refuses a state
 * whose quorums its members cannot meet.
 */
import { ConclaveError } from '../errors';
import { policyRulesHash, policyRulesProblems, policyRulesSchema, tierFor, type PolicyRules } from './rules';
import { parsePinnedPolicyState, pinnedStateProblems } from './state';
import { formatDuration } from './time';
import { BTC, PAYEE, POLICY, pinned } from './test-fixture';

function refusedWith(input: unknown): string[] {
  try {
    parsePinnedPolicyState(input);
    return [];
  } catch (error) {
    if (!(error instanceof ConclaveError)) throw error;
    expect(error.code).toBe('POLICY_RULES_INVALID');
    return error.details!.problems as string[];
  }
}

describe('policyRulesHash', () => {
  test('is stable, and any change of a rule or the version changes it', () => {
    expect(policyRulesHash(POLICY)).toMatch(/^[0-9a-f]{64}$/);
    expect(policyRulesHash(JSON.parse(JSON.stringify(POLICY)) as PolicyRules)).toBe(policyRulesHash(POLICY));
    expect(policyRulesHash({ ...POLICY, version: 2 })).not.toBe(policyRulesHash(POLICY));
    expect(policyRulesHash({ ...POLICY, maxFeeRate: '101' })).not.toBe(policyRulesHash(POLICY));
  });
});

describe('tierFor', () => {
  test('bounds are inclusive; above the last bounded tier there is none', () => {
    expect(tierFor(POLICY, 0n)?.tier.name).toBe('small');
    expect(tierFor(POLICY, BTC)?.tier.name).toBe('small');
    expect(tierFor(POLICY, BTC + 1n)?.tier.name).toBe('large');
    expect(tierFor(POLICY, 10n * BTC)?.tier.name).toBe('large');
    expect(tierFor(POLICY, 10n * BTC + 1n)).toBeNull();
    const open = { ...POLICY, withdrawals: { ...POLICY.withdrawals, tiers: [POLICY.withdrawals.tiers[0]!, { ...POLICY.withdrawals.tiers[1]!, upToSats: undefined }] } };
    expect(tierFor(open, 21_000_000n * BTC)?.index).toBe(1);
  });
});

describe('schema and rule problems', () => {
  test('the fixture policy and state are sound', () => {
    expect(policyRulesSchema.parse(POLICY)).toEqual(POLICY);
    expect(pinnedStateProblems(pinned())).toEqual([]);
    expect(parsePinnedPolicyState(pinned())).toEqual(pinned());
  });

  test('unknown fields, a v1 policy, and amounts as numbers are refused', () => {
    expect(policyRulesSchema.safeParse({ ...POLICY, extra: 1 }).success).toBe(false);
    expect(policyRulesSchema.safeParse({ version: 1, requiredApprovals: 1, maxFeeSats: '1', maxFeeRate: '1' }).success).toBe(false);
    const numeric = { ...POLICY, withdrawals: { ...POLICY.withdrawals, velocity: [{ windowSeconds: 86400, capSats: 5 }] } };
    expect(policyRulesSchema.safeParse(numeric).success).toBe(false);
  });

  test('a change quorum of nobody is refused: a change always takes two people', () => {
    const alone = { ...POLICY, changes: { ...POLICY.changes, policy: { quorum: [], delaySeconds: 0 } } };
    expect(refusedWith({ ...pinned(), policy: alone })[0]).toMatch(/^policy\.changes\.policy\.quorum: /);
  });

  test('tiers must ascend, only the last may be unbounded, names unique', () => {
    const [small, large] = POLICY.withdrawals.tiers as [PolicyRules['withdrawals']['tiers'][0], PolicyRules['withdrawals']['tiers'][0]];
    const tiers = (list: typeof small[]) => ({ ...POLICY, withdrawals: { ...POLICY.withdrawals, tiers: list } });
    expect(policyRulesProblems(tiers([large, small]))).toEqual([`withdrawals.tiers[1].upToSats: ${BTC} is not above the previous tier's ${10n * BTC}`]);
    expect(policyRulesProblems(tiers([{ ...small, upToSats: undefined }, large]))).toEqual(['withdrawals.tiers[0].upToSats: only the last tier may be unbounded']);
    expect(policyRulesProblems(tiers([small, { ...large, name: 'small' }]))).toEqual(['withdrawals.tiers[1].name: "small" names two tiers']);
  });

  test('a quorum naming a group twice, an expiry within the cooling-off, two limits on one window', () => {
    const policy: PolicyRules = {
      ...POLICY,
      withdrawals: { ...POLICY.withdrawals, velocity: [POLICY.withdrawals.velocity[0]!, POLICY.withdrawals.velocity[0]!] },
      addressBook: { quorum: [{ group: 'admins', count: 1 }, { group: 'admins', count: 1 }], coolingOffSeconds: 100, expireAfterDisuseSeconds: 100 },
    };
    expect(policyRulesProblems(policy)).toEqual([
      'withdrawals.velocity: two limits over the same window',
      'addressBook.quorum: names a group twice; give one count per group',
      'addressBook.expireAfterDisuseSeconds: must be longer than the cooling-off, or new entries expire before they can be used',
    ]);
  });
});

describe('pinned state problems', () => {
  test('duplicate members, unsorted groups, book entries of another network or twice', () => {
    const state = pinned();
    const [first, second] = state.members.members;
    const members = { revision: 0, members: [...state.members.members, { ...first!, name: 'Ada again' }].map((m) => (m === second ? { ...m, groups: ['b', 'a'] } : m)) };
    const entry = state.addressBook.entries[0]!;
    const addressBook = { revision: 0, entries: [...state.addressBook.entries, { ...entry, address: PAYEE.toUpperCase() }, { ...entry, address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4' }] };
    expect(refusedWith({ ...state, members, addressBook })).toEqual(expect.arrayContaining([
      `members[7]: identity key ${first!.identityKey} belongs to two members`,
      'members[1].groups: must be sorted and unique',
      `addressBook.entries[2]: ${PAYEE.toUpperCase()} is in the book twice`,
      'addressBook.entries[3]: bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 is not a regtest address',
    ]));
  });

  test('quorums the members cannot meet lock the vault out, and are refused', () => {
    const tooMany = { ...POLICY, withdrawals: { ...POLICY.withdrawals, tiers: [{ ...POLICY.withdrawals.tiers[0]!, approvals: [{ group: 'approvers', count: 4 }] }] } };
    expect(refusedWith({ ...pinned(), policy: tooMany })).toEqual([
      'policy.withdrawals.tiers[0].approvals: 4 from approvers cannot be met by the members besides any proposer',
    ]);
    const noProposer = { ...POLICY, withdrawals: { ...POLICY.withdrawals, proposerGroups: ['treasury'] } };
    expect(refusedWith({ ...pinned(), policy: noProposer })).toEqual([
      'policy.withdrawals.proposerGroups: no member is in treasury, so nobody could propose',
    ]);
  });

  test('malformed input is refused with POLICY_RULES_INVALID, never a crash', () => {
    expect(refusedWith(null)[0]).toMatch(/^: /);
    expect(refusedWith({ ...pinned(), network: 'moon' })[0]).toMatch(/^network: /);
  });
});

test('formatDuration rounds up to the second', () => {
  expect(formatDuration(1)).toBe('1 s');
  expect(formatDuration(0)).toBe('0 s');
  expect(formatDuration(90_061_000)).toBe('1 d 1 h 1 min 1 s');
  expect(formatDuration(86_400_000)).toBe('1 d');
});
