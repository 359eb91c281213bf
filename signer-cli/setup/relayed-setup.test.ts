/**
 * A signer reads a relayed BSMS setup only through the envelopes that carried it: a coordinator
 * that shows other parameters than the opener signed, a key record under another member's name,
 * a record relayed for someone by a non-opener, or a descriptor record not signed by the opener
 * is caught (COORDINATOR_ERROR) before any record is opened.
 */
import { randomBytes } from 'node:crypto';
import { schnorr } from '@noble/curves/secp256k1.js';
import { MESSAGE_TYPES } from '../../protocol/api';
import { type Envelope, signEnvelope } from '../../protocol/envelope';
import { ConclaveError } from '../../protocol/errors';
import type { CoordinatorClient } from '../coordinator/client';
import { fetchSetup, type SetupViewParsed } from './relayed-setup';

const SETUP = '6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f';
const random = (n: number) => new Uint8Array(randomBytes(n));
const people = ['alice', 'bob', 'mallory'].map(() => schnorr.utils.randomSecretKey());
const [alice, bob, mallory] = people as [Uint8Array, Uint8Array, Uint8Array];
const keyOf = (secret: Uint8Array) => Buffer.from(schnorr.getPublicKey(secret)).toString('hex');
const sign = <T>(secret: Uint8Array, type: string, body: T): Envelope<T> => signEnvelope(type, body, secret, { now: new Date(), randomBytes: random });
const sealed = () => randomBytes(120).toString('hex');

const openBody = { name: 'treasury', network: 'regtest', threshold: 2, keyholders: 2, mode: 'STANDARD', expiresAt: '2030-01-01T00:00:00.000Z' } as const;

function keyRecordRow(by: Uint8Array, position: number, member?: Uint8Array) {
  const record = sealed();
  const envelope = sign(by, MESSAGE_TYPES.setupKeyRecord, { setupId: SETUP, record, ...(member ? { member: keyOf(member) } : {}) });
  return { position, member: keyOf(member ?? by), submittedBy: keyOf(by), record, envelope, createdAt: '2029-12-31T00:00:00.000Z' };
}

function view(overrides: Partial<SetupViewParsed> = {}): SetupViewParsed {
  return {
    id: SETUP, ...openBody, openedBy: keyOf(alice), createdAt: '2029-12-31T00:00:00.000Z', status: 'complete',
    openEnvelope: sign(alice, MESSAGE_TYPES.setupOpen, openBody),
    keyRecords: [keyRecordRow(alice, 0), keyRecordRow(bob, 1)],
    descriptorRecord: { envelope: sign(alice, MESSAGE_TYPES.setupDescriptorRecord, { setupId: SETUP, record: sealed() }), createdAt: '2029-12-31T00:00:00.000Z' },
    ...overrides,
  };
}

const client = (answer: SetupViewParsed) => ({ get: async () => answer }) as unknown as CoordinatorClient;

async function codeOf(answer: SetupViewParsed): Promise<string> {
  try {
    await fetchSetup(client(answer), SETUP);
  } catch (error) {
    if (error instanceof ConclaveError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('a relayed BSMS setup, read from its envelopes', () => {
  it('takes M, N, mode and expiry from the opener\u2019s statement, and each record with its sender', async () => {
    const setup = await fetchSetup(client(view()), SETUP);
    expect(setup.opener).toBe(keyOf(alice));
    expect(setup.open).toMatchObject({ threshold: 2, keyholders: 2, mode: 'STANDARD' });
    expect(setup.keyRecords.map((r) => r.member)).toEqual([keyOf(alice), keyOf(bob)]);
    expect(setup.descriptor?.record).toMatch(/^[0-9a-f]+$/);
  });

  it('accepts a record the opener relays for a member (import-key)', async () => {
    const setup = await fetchSetup(client(view({ keyRecords: [keyRecordRow(alice, 0), keyRecordRow(alice, 1, bob)] })), SETUP);
    expect(setup.keyRecords[1]).toMatchObject({ member: keyOf(bob), submittedBy: keyOf(alice) });
  });

  it('refuses a view whose parameters differ from what the opener signed', async () => {
    expect(await codeOf(view({ threshold: 1 }))).toBe('COORDINATOR_ERROR');
    expect(await codeOf(view({ mode: 'NO_ENCRYPTION' }))).toBe('COORDINATOR_ERROR');
    expect(await codeOf(view({ expiresAt: '2031-01-01T00:00:00.000Z' }))).toBe('COORDINATOR_ERROR');
    expect(await codeOf(view({ openedBy: keyOf(mallory) }))).toBe('COORDINATOR_ERROR');
  });

  it('refuses a key record shown under another member, swapped bytes, a relay by a non-opener, a duplicate', async () => {
    const bobs = keyRecordRow(bob, 1);
    expect(await codeOf(view({ keyRecords: [keyRecordRow(alice, 0), { ...bobs, member: keyOf(mallory) }] }))).toBe('COORDINATOR_ERROR');
    expect(await codeOf(view({ keyRecords: [keyRecordRow(alice, 0), { ...bobs, record: sealed() }] }))).toBe('COORDINATOR_ERROR');
    expect(await codeOf(view({ keyRecords: [keyRecordRow(alice, 0), keyRecordRow(mallory, 1, bob)] }))).toBe('COORDINATOR_ERROR');
    expect(await codeOf(view({ keyRecords: [keyRecordRow(alice, 0), keyRecordRow(alice, 1)] }))).toBe('COORDINATOR_ERROR');
    const forged = { ...bobs, envelope: { ...(bobs.envelope as Envelope<{ record: string }>), body: { setupId: SETUP, record: sealed() } } };
    expect(await codeOf(view({ keyRecords: [keyRecordRow(alice, 0), forged] }))).toBe('COORDINATOR_ERROR');
  });

  it('refuses a descriptor record that the opener did not sign', async () => {
    const byBob = { envelope: sign(bob, MESSAGE_TYPES.setupDescriptorRecord, { setupId: SETUP, record: sealed() }), createdAt: '2029-12-31T00:00:00.000Z' };
    expect(await codeOf(view({ descriptorRecord: byBob }))).toBe('COORDINATOR_ERROR');
    const otherSetup = { envelope: sign(alice, MESSAGE_TYPES.setupDescriptorRecord, { setupId: '00000000-0000-4000-8000-000000000000', record: sealed() }), createdAt: '2029-12-31T00:00:00.000Z' };
    expect(await codeOf(view({ descriptorRecord: otherSetup }))).toBe('COORDINATOR_ERROR');
  });
});
