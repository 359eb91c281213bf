/** The coordinator's choice of a FROST signing set: earliest first, identifier order, never an excluded keyholder. */
import { chooseSigningSet } from './signing-set';

const c = (identityKey: string, participantIndex: number, arrival: number) => ({ identityKey, participantIndex, arrival });

describe('chooseSigningSet', () => {
  it('takes the first t keyholders by arrival and orders them by FROST identifier', () => {
    const set = chooseSigningSet([c('carol', 2, 1), c('alice', 0, 3), c('bob', 1, 2)], 2, new Set());
    expect(set?.map((k) => k.identityKey)).toEqual(['bob', 'carol']);
  });

  it('waits while fewer than t keyholders have committed', () => {
    expect(chooseSigningSet([c('carol', 2, 1)], 2, new Set())).toBeNull();
  });

  it('leaves out a keyholder excluded for an invalid share, and never takes one keyholder twice', () => {
    expect(chooseSigningSet([c('bob', 1, 1), c('carol', 2, 2)], 2, new Set(['bob']))).toBeNull();
    expect(chooseSigningSet([c('bob', 1, 1), c('bob', 1, 2), c('alice', 0, 3)], 2, new Set())?.map((k) => k.identityKey)).toEqual(['alice', 'bob']);
  });
});
