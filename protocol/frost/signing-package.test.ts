/**
 * A whole FROST signing round for a two-input withdrawal (coins on two different addresses),
 * in one process, through the same checks a signer runs on a coordinator's session; then each
 * way a coordinator could bend a session, refused before any share is made.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { signEnvelope, type Envelope } from '../envelope';
import { ConclaveError } from '../errors';
import { type DkgRun, runDkg, seededRandom } from './dkg.fixture';
import { baseKeyFromDkg } from './group-key';
import { childSigningKey } from './child-key';
import { aggregateSignature, commitNonces, signShare, type Nonces } from './signing';
import { FROST_SIGN_MESSAGE_TYPES, type FrostCommitBody } from './signing-api';
import { checkSigningPackage, commitmentHex } from './signing-package';

const WITHDRAWAL = {
  withdrawalId: '0b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c', vaultId: '6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f',
  intentHash: 'aa'.repeat(32), unsignedTxid: 'bb'.repeat(32), inputCount: 2,
};
const SESSION_ID = '7a2d3b5f-9e4c-4d6b-8f80-1b2c3d4e5f60';
const ADDRESSES: Array<[0 | 1, number]> = [[0, 0], [0, 7]];
const NOW = new Date('2026-03-02T12:00:00Z');

interface Keyholder {
  index: number;
  identityKey: string;
  secret: Uint8Array;
  keys: ReturnType<typeof childSigningKey>[];
  nonces: Nonces[];
  commit: Envelope<FrostCommitBody>;
}

/** Each call makes fresh nonces (a new seed): a nonce pair signs in one session only. */
function keyholders(run: DkgRun, seed: string): Keyholder[] {
  return run.results.map((result, index) => {
    const { key, share } = baseKeyFromDkg(result.keyPackage, hexToBytes(result.untweakedGroupKey));
    const keys = ADDRESSES.map(([change, i]) => childSigningKey(key, share, hexToBytes(result.chainCode), change, i));
    const random = seededRandom(`${seed}/nonces/${index}`);
    const made = keys.map((k) => commitNonces(k.secret, random));
    const body: FrostCommitBody = {
      ...WITHDRAWAL, commitmentId: `${index}`.repeat(32).slice(0, 32),
      inputs: made.map((m, input) => ({ input, ...commitmentHex(m.commitments) })),
    };
    delete (body as Partial<typeof WITHDRAWAL>).inputCount;
    const secret = run.holders[index]!.secret;
    const commit = signEnvelope(FROST_SIGN_MESSAGE_TYPES.commit, body, secret, { now: NOW, randomBytes: seededRandom(`${seed}/env/${index}`) });
    return { index, identityKey: run.holders[index]!.key, secret, keys, nonces: made.map((m) => m.nonces), commit };
  });
}

describe('FROST signing session checked by each signer', () => {
  const run = runDkg(2, 3, 'signing-package');
  const group = { participants: run.holders.map((h) => h.key), threshold: 2 };
  const holders = keyholders(run, 'checks');
  const session = (set: Keyholder[], commits = set.map((k) => k.commit as unknown)) => ({
    sessionId: SESSION_ID, signers: set.map((k) => k.identityKey), commits,
  });
  const check = (k: Keyholder, s: unknown) => checkSigningPackage({
    session: s, withdrawal: WITHDRAWAL, group,
    me: { identityKey: k.identityKey, commitmentId: k.commit.body.commitmentId, commitments: k.commit.body.inputs },
  });
  const refusal = (fn: () => unknown): ConclaveError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof ConclaveError) return error;
      throw error;
    }
    throw new Error('expected a refusal');
  };

  test('any two of three sign both inputs, and each signature verifies under its own output key', () => {
    for (const ids of [[0, 1], [0, 2], [1, 2]]) {
      const fresh = keyholders(run, `set ${ids.join('+')}`);
      const set = ids.map((i) => fresh[i]!);
      const shown = session(set);
      const packages = set.map((k) => check(k, shown));
      for (let input = 0; input < ADDRESSES.length; input++) {
        const message = new Uint8Array(32).fill(input + 1);
        const list = packages[0]!.commitmentLists[input]!;
        const shares = Object.fromEntries(set.map((k, i) => [k.keys[input]!.secret.identifier,
          signShare(k.keys[input]!.secret, k.keys[input]!.public, k.nonces[input]!, packages[i]!.commitmentLists[input]!, message)]));
        const outputKey = set[0]!.keys[input]!.outputKey;
        const signature = aggregateSignature(set[0]!.keys[input]!.public, list, message, shares, outputKey);
        expect(schnorr.verify(signature, message, outputKey)).toBe(true);
      }
    }
    expect(holders[0]!.keys[0]!.outputKey).not.toEqual(holders[0]!.keys[1]!.outputKey);
  });

  test('a commitment of another signer swapped by the coordinator is refused (its signature breaks)', () => {
    const swapped = structuredClone(holders[1]!.commit);
    swapped.body.inputs[0]!.hiding = holders[2]!.commit.body.inputs[0]!.hiding;
    expect(refusal(() => check(holders[0]!, session([holders[0]!, holders[1]!], [holders[0]!.commit, swapped]))).message).toMatch(/commits\[1\]: ENVELOPE_BAD_SIGNATURE/);
  });

  test('this signer\'s own commitments altered, or another commitment id of its own, are refused', () => {
    const mine = holders[0]!;
    const other = { ...mine };
    other.commit = signEnvelope(FROST_SIGN_MESSAGE_TYPES.commit, { ...mine.commit.body, commitmentId: 'ff'.repeat(16) }, mine.secret, { now: NOW, randomBytes: seededRandom('x') });
    expect(refusal(() => check(mine, session([other, holders[1]!]))).message).toMatch(/is not the one it is asked to sign with/);
    const altered = signEnvelope(FROST_SIGN_MESSAGE_TYPES.commit, { ...mine.commit.body, inputs: holders[1]!.commit.body.inputs }, mine.secret, { now: NOW, randomBytes: seededRandom('y') });
    expect(refusal(() => check(mine, session([holders[0]!, holders[1]!], [altered, holders[1]!.commit]))).message).toMatch(/commitments were altered/);
  });

  test('a set below the threshold (a participant dropped), without this signer, or with a keyholder twice is refused', () => {
    expect(refusal(() => check(holders[0]!, session([holders[0]!]))).message).toMatch(/needs 2 \(a participant was dropped\)/);
    expect(refusal(() => check(holders[0]!, session([holders[1]!, holders[2]!]))).message).toMatch(/not in the signing set/);
    expect(refusal(() => check(holders[0]!, session([holders[0]!, holders[0]!]))).message).toMatch(/appears twice/);
  });

  test('a stranger\'s commitment, one signed by someone else than the listed member, or for another transaction is refused', () => {
    const strangerSecret = new Uint8Array(32).fill(9);
    const stranger = signEnvelope(FROST_SIGN_MESSAGE_TYPES.commit, holders[1]!.commit.body, strangerSecret, { now: NOW, randomBytes: seededRandom('s') });
    const listed = { sessionId: SESSION_ID, signers: [holders[0]!.identityKey, stranger.signer], commits: [holders[0]!.commit, stranger] };
    expect(refusal(() => check(holders[0]!, listed)).message).toMatch(/is not a keyholder of this vault/);
    const misattributed = { sessionId: SESSION_ID, signers: [holders[0]!.identityKey, holders[1]!.identityKey], commits: [holders[0]!.commit, holders[2]!.commit] };
    expect(refusal(() => check(holders[0]!, misattributed)).message).toMatch(/not by the set's member/);
    const otherTx = signEnvelope(FROST_SIGN_MESSAGE_TYPES.commit, { ...holders[1]!.commit.body, unsignedTxid: 'cc'.repeat(32) }, holders[1]!.secret, { now: NOW, randomBytes: seededRandom('t') });
    expect(refusal(() => check(holders[0]!, session([holders[0]!, holders[1]!], [holders[0]!.commit, otherTx]))).message).toMatch(/another unsignedTxid/);
  });

  test('different sets shown to different signers give shares that never combine into a signature', () => {
    const fresh = keyholders(run, 'split view');
    const [a, b, c] = [fresh[0]!, fresh[1]!, fresh[2]!];
    const message = new Uint8Array(32).fill(7);
    const seenByA = check(a, session([a, b])).commitmentLists[0]!;
    const seenByB = check(b, session([b, c])).commitmentLists[0]!;
    const shareA = signShare(a.keys[0]!.secret, a.keys[0]!.public, a.nonces[0]!, seenByA, message);
    const shareB = signShare(b.keys[0]!.secret, b.keys[0]!.public, b.nonces[0]!, seenByB, message);
    const combined = refusal(() => aggregateSignature(a.keys[0]!.public, seenByA, message, {
      [a.keys[0]!.secret.identifier]: shareA, [b.keys[0]!.secret.identifier]: shareB,
    }, a.keys[0]!.outputKey));
    expect(combined.code).toBe('FROST_SHARE_INVALID');
    expect(combined.details).toMatchObject({ identifiers: [b.keys[0]!.secret.identifier] });
  });

  test('a malformed session is refused with FROST_SESSION_INVALID, never a crash', () => {
    for (const bad of [null, 42, {}, { sessionId: 'x', signers: [], commits: [] }, { ...session([holders[0]!, holders[1]!]), commits: [holders[0]!.commit] }]) {
      expect(refusal(() => check(holders[0]!, bad)).code).toBe('FROST_SESSION_INVALID');
    }
  });
});
