/**
 * A signer reads a relayed FROST setup through the opener's signed frost.setup.open statement:
 * a coordinator that shows other params, another deadline or another setup than the opener
 * signed, or a setup opened by someone outside it, is caught (COORDINATOR_ERROR) before any
 * DKG message is made.
 */
import { randomBytes } from 'node:crypto';
import { schnorr } from '@noble/curves/secp256k1.js';
import { identityPublicKey, signEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import { FROST_SETUP_OPEN, setupParamsHash, type FrostSetupOpen, type FrostSetupParams } from '../../protocol/frost';
import { DEFAULT_POLICY } from '../../protocol/policy';
import { readFrostSetupView, round1Senders, type FrostSetupViewParsed } from './relayed-frost-setup';

const random = (n: number) => new Uint8Array(randomBytes(n));
const [alice, bob, mallory] = [0, 1, 2].map(() => schnorr.utils.randomSecretKey()) as [Uint8Array, Uint8Array, Uint8Array];
const SETUP = '5e'.repeat(16);
const params: FrostSetupParams = {
  setupId: SETUP, network: 'regtest', vault: { name: 'treasury', policy: DEFAULT_POLICY }, threshold: 2,
  participants: [{ identityKey: identityPublicKey(alice), name: 'alice' }, { identityKey: identityPublicKey(bob), name: 'bob' }],
};
const body: FrostSetupOpen = { params, expiresAt: '2030-01-01T00:00:00.000Z' };

function view(overrides: Partial<FrostSetupViewParsed> = {}, by: Uint8Array = alice, signed: FrostSetupOpen = body): FrostSetupViewParsed {
  return {
    setupId: SETUP, state: 'round1', params, paramsHash: setupParamsHash(params), expiresAt: body.expiresAt,
    openEnvelope: signEnvelope(FROST_SETUP_OPEN, signed, by, { now: new Date(), randomBytes: random }),
    round1: [], round2Senders: [], confirmations: [], certificate: null, vaultId: null, abort: null, createdAt: '2029-12-31T00:00:00.000Z',
    ...overrides,
  };
}

function codeOf(v: FrostSetupViewParsed, setupId = SETUP): string {
  try {
    readFrostSetupView(v, setupId);
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('a relayed FROST setup, read from the opener\u2019s statement', () => {
  test('takes params, opener and deadline from the signed statement', () => {
    const setup = readFrostSetupView(view(), SETUP);
    expect(setup).toMatchObject({ setupId: SETUP, opener: identityPublicKey(alice), expiresAt: body.expiresAt, params });
    expect(round1Senders(setup).size).toBe(0);
  });

  test('refuses a view that differs from what the opener signed', () => {
    expect(codeOf(view({ params: { ...params, threshold: 1 } }))).toBe('COORDINATOR_ERROR');
    expect(codeOf(view({ params: { ...params, vault: { ...params.vault, policy: { ...DEFAULT_POLICY, maxFeeSats: '99999999' } } } }))).toBe('COORDINATOR_ERROR');
    expect(codeOf(view({ expiresAt: '2031-01-01T00:00:00.000Z' }))).toBe('COORDINATOR_ERROR');
    expect(codeOf(view({ paramsHash: 'ff'.repeat(32) }))).toBe('COORDINATOR_ERROR');
    expect(codeOf(view(), '6f'.repeat(16))).toBe('COORDINATOR_ERROR');
  });

  test('refuses a statement that is forged, of another type, or by someone outside the setup', () => {
    const forged = view();
    (forged.openEnvelope as { sig: string }).sig = '00'.repeat(64);
    expect(codeOf(forged)).toBe('COORDINATOR_ERROR');
    expect(codeOf(view({}, mallory))).toBe('COORDINATOR_ERROR');
    expect(codeOf(view({ openEnvelope: signEnvelope('setup.open', body, alice, { now: new Date(), randomBytes: random }) }))).toBe('COORDINATOR_ERROR');
  });
});
