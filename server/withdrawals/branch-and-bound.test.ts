/** The branch-and-bound search on plain effective values: window, least excess, bounded tries, equal-coin shortcut. */
import { BNB_MAX_TRIES, branchAndBound } from './branch-and-bound';

const search = (values: bigint[], target: bigint, maxExcess = 0n, maxTries?: number) =>
  branchAndBound({ values, target, maxExcess: () => maxExcess, maxCount: 1000, accept: () => true, maxTries });

describe('branchAndBound', () => {
  it('finds a subset that hits the target exactly', () => {
    const values = [10n, 7n, 5n, 3n, 2n];
    const sum = (indexes: number[] | null) => (indexes ?? []).reduce((s, i) => s + values[i]!, 0n);
    for (const target of [2n, 9n, 12n, 15n, 27n]) expect(sum(search(values, target).indexes)).toBe(target);
    // Of equal excess, the set found last wins, as in Core (`<=`): 12 = 7 + 3 + 2 after 10 + 2.
    expect(search(values, 12n).indexes).toEqual([1, 3, 4]);
  });

  it('keeps the least excess within the window, and nothing above it', () => {
    expect(search([10n, 6n], 8n, 1n).indexes).toBeNull();
    expect(search([10n, 6n], 8n, 2n).indexes).toEqual([0]);
    expect(search([10n, 9n, 6n], 8n, 2n).indexes).toEqual([1]);
  });

  it('reports no set, without searching, when everything together is short', () => {
    expect(search([3n, 2n], 6n)).toEqual({ indexes: null, tries: 0 });
  });

  it('takes the accept hook as the last word', () => {
    const result = branchAndBound({ values: [5n, 5n, 4n, 1n], target: 5n, maxExcess: () => 0n, maxCount: 10, accept: (s) => s.length === 2 });
    expect(result.indexes).toEqual([2, 3]);
  });

  it('respects the count limit', () => {
    expect(branchAndBound({ values: [4n, 4n, 4n], target: 12n, maxExcess: () => 0n, maxCount: 2, accept: () => true }).indexes).toBeNull();
  });

  it('does not try a coin in place of an equal one just excluded', () => {
    // Twenty equal coins and an unreachable target: a few hundred steps; twenty distinct coins of
    // about the same size, where every branch differs, take the search to its bound.
    const result = search(Array(20).fill(5n), 51n);
    expect(result.indexes).toBeNull();
    expect(result.tries).toBeLessThan(1000);
    expect(search(Array.from({ length: 20 }, (_, i) => BigInt(1_000_000 + 2 * i)), 10_000_101n).tries).toBe(BNB_MAX_TRIES);
  });

  it('stops after the bound and keeps what it found by then', () => {
    const values = Array.from({ length: 60 }, (_, i) => BigInt(60_000 - i * 1000));
    expect(search(values, 1_234_500n)).toEqual({ indexes: null, tries: BNB_MAX_TRIES });
    expect(search(values, 1_234_500n, 0n, 777).tries).toBe(777);
    // A set found early is kept when the bound stops the search.
    const early = search([...values, 500n], 1_234_500n, 0n, 2000);
    expect(early.tries).toBe(2000);
    expect(early.indexes).not.toBeNull();
  });
});
