/**
 * The coordinator's side of vault setup by BIP129 (BSMS 1.0): a relay of sealed records it
 * cannot read. The happy path with opaque blobs, in one-token and per-keyholder (EXTENDED)
 * form; then each refusal with its stable code and no partial state (setups, key records,
 * audit log and used nonces unchanged).
 */
import { randomBytes } from 'node:crypto';
import { MESSAGE_TYPES, type AuditEventView, type SetupView } from '../../protocol/api';
import { Clock } from '../../server/common/clock';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';
import { threeKeyholders } from '../support/vault-scenario';

type ErrorBody = { error: { code: string; message: string } };
type Reply = SetupView & ErrorBody;

/** Stands for hex(MAC || ciphertext): the coordinator never learns more than its length. */
const blob = (bytes = 180): string => randomBytes(bytes).toString('hex');

async function counts(coord: RunningCoordinator) {
  const n = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  return { setups: await n('setups'), keyRecords: await n('setup_key_records'), audit: await n('audit_events'), nonces: await n('used_nonces') };
}

describe('BSMS setup relay', () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  let alice: TestKeyholder;
  let bob: TestKeyholder;
  let carol: TestKeyholder;
  let dave: TestKeyholder;
  let clock: Clock;
  const realNow = Clock.prototype.now;

  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    clock = coord.app.get(Clock);
    keyholders = threeKeyholders();
    [alice, bob, carol] = keyholders as [TestKeyholder, TestKeyholder, TestKeyholder];
    dave = testKeyholder('dave', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
    for (const k of [...keyholders, dave]) {
      const joined = await coord.call('POST', '/api/v1/members', k.sign(MESSAGE_TYPES.memberJoin, { name: k.name, network: 'regtest', accountKey: k.accountKey }));
      expect(joined.status).toBe(201);
    }
    // Reads need a member's session (server/auth): alice reads.
    coord.actAs(alice);
    await coord.sessionFor(alice);
  });
  afterEach(async () => {
    clock.now = realNow;
    await coord.close();
  });

  const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();
  const openBody = (overrides: Record<string, unknown> = {}) => ({ name: 'treasury', network: 'regtest', threshold: 2, keyholders: 3, mode: 'STANDARD', expiresAt: inHours(24), ...overrides });
  const open = (by: TestKeyholder, overrides: Record<string, unknown> = {}) => coord.call<Reply>('POST', '/api/v1/setups', by.sign(MESSAGE_TYPES.setupOpen, openBody(overrides)));
  const keyRecord = (setupId: string, by: TestKeyholder, body: Record<string, unknown> = {}, now?: Date) =>
    coord.call<Reply>('POST', `/api/v1/setups/${setupId}/key-records`, by.sign(MESSAGE_TYPES.setupKeyRecord, { setupId, record: blob(), ...body }, now));
  const descriptorRecord = (setupId: string, by: TestKeyholder, body: Record<string, unknown> = {}, now?: Date) => {
    const full = Object.fromEntries(Object.entries({ setupId, record: blob(300), ...body }).filter(([, v]) => v !== undefined));
    return coord.call<Reply>('POST', `/api/v1/setups/${setupId}/descriptor-record`, by.sign(MESSAGE_TYPES.setupDescriptorRecord, full, now));
  };
  const openWithRecords = async (overrides: Record<string, unknown> = {}, by: TestKeyholder[] = keyholders) => {
    const setup = (await open(alice, overrides)).body;
    for (const k of by) expect((await keyRecord(setup.id, k)).status).toBe(201);
    return setup;
  };
  const expectRefused = async (reply: Promise<{ status: number; body: Reply }>, status: number, code: string) => {
    const res = await reply;
    expect([res.status, res.body.error?.code]).toEqual([status, code]);
  };

  it('relays sealed key records in arrival order and the opener\u2019s descriptor record, with an audit event for each step', async () => {
    const opened = await open(alice);
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ name: 'treasury', threshold: 2, keyholders: 3, mode: 'STANDARD', openedBy: alice.identityKey, status: 'collecting', keyRecords: [], descriptorRecord: null });
    const id = opened.body.id;
    const records = [blob(), blob(), blob()];
    for (const [i, k] of [alice, carol, bob].entries()) {
      const res = await keyRecord(id, k, { record: records[i] });
      expect(res.status).toBe(201);
      expect(res.body.keyRecords).toHaveLength(i + 1);
    }
    const ready = (await coord.call<SetupView>('GET', `/api/v1/setups/${id}`)).body;
    expect(ready.status).toBe('ready');
    expect(ready.keyRecords.map((r) => [r.position, r.member, r.submittedBy, r.record])).toEqual([
      [0, alice.identityKey, alice.identityKey, records[0]], [1, carol.identityKey, carol.identityKey, records[1]], [2, bob.identityKey, bob.identityKey, records[2]],
    ]);
    expect(ready.keyRecords[1]!.envelope).toMatchObject({ type: 'setup.key-record', signer: carol.identityKey, body: { setupId: id, record: records[1] } });

    const sealed = blob(400);
    const done = await descriptorRecord(id, alice, { record: sealed });
    expect(done.status).toBe(201);
    expect(done.body.status).toBe('complete');
    expect(done.body.descriptorRecord!.envelope).toMatchObject({ type: 'setup.descriptor-record', signer: alice.identityKey, body: { setupId: id, record: sealed } });

    const events = (await coord.call<AuditEventView[]>('GET', `/api/v1/audit?subject=${id}`)).body;
    expect(events.map((e) => [e.kind, e.actor])).toEqual([
      ['setup.opened', alice.identityKey], ['setup.key-record', alice.identityKey], ['setup.key-record', carol.identityKey],
      ['setup.key-record', bob.identityKey], ['setup.descriptor-record', alice.identityKey],
    ]);
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
  });

  it('takes one sealed record per keyholder in EXTENDED mode, for exactly those who sent key records', async () => {
    const setup = await openWithRecords({ mode: 'EXTENDED' });
    const before = await counts(coord);
    const per = Object.fromEntries(keyholders.map((k) => [k.identityKey, blob(300)]));
    await expectRefused(descriptorRecord(setup.id, alice), 400, 'VALIDATION_FAILED');
    await expectRefused(descriptorRecord(setup.id, alice, { record: undefined, records: { [alice.identityKey]: blob(300), [bob.identityKey]: blob(300) } }), 400, 'VALIDATION_FAILED');
    await expectRefused(descriptorRecord(setup.id, alice, { record: undefined, records: { ...per, [dave.identityKey]: blob(300) } }), 400, 'VALIDATION_FAILED');
    expect({ ...(await counts(coord)), nonces: 0 }).toEqual({ ...before, nonces: 0 });
    const done = await descriptorRecord(setup.id, alice, { record: undefined, records: per });
    expect(done.status).toBe(201);
    expect((done.body.descriptorRecord!.envelope as { body: { records: Record<string, string> } }).body.records).toEqual(per);
  });

  it('lets the opener relay another wallet\u2019s key record for a member, and nobody else', async () => {
    const setup = (await open(alice)).body;
    await expectRefused(keyRecord(setup.id, bob, { member: carol.identityKey }), 403, 'SETUP_NOT_OPENER');
    await expectRefused(keyRecord(setup.id, alice, { member: 'ab'.repeat(32) }), 404, 'MEMBER_NOT_FOUND');
    const relayed = await keyRecord(setup.id, alice, { member: carol.identityKey });
    expect(relayed.status).toBe(201);
    expect(relayed.body.keyRecords).toEqual([expect.objectContaining({ member: carol.identityKey, submittedBy: alice.identityKey })]);
    await expectRefused(keyRecord(setup.id, carol), 409, 'SETUP_KEY_RECORD_EXISTS');
  });

  it('refuses bad setup.open statements: outsider, other network, bad expiry, M > N or M < 2, a token in the body, bad envelopes', async () => {
    const before = await counts(coord);
    const outsider = testKeyholder('mallory', 'all all all all all all all all all all all all');
    await expectRefused(open(outsider), 403, 'NOT_A_MEMBER');
    await expectRefused(open(alice, { network: 'testnet' }), 400, 'ADDRESS_WRONG_NETWORK');
    await expectRefused(open(alice, { expiresAt: inHours(-1) }), 400, 'VALIDATION_FAILED');
    await expectRefused(open(alice, { expiresAt: inHours(24 * 8) }), 400, 'VALIDATION_FAILED');
    await expectRefused(open(alice, { threshold: 4 }), 400, 'VALIDATION_FAILED');
    await expectRefused(open(alice, { threshold: 1 }), 400, 'VALIDATION_FAILED');
    await expectRefused(open(alice, { mode: 'NONE' }), 400, 'VALIDATION_FAILED');
    // No token ever reaches the coordinator: a body that carries one is not a setup.open.
    await expectRefused(open(alice, { token: 'a1b2c3d4e5f60718' }), 400, 'VALIDATION_FAILED');
    const envelope = alice.sign(MESSAGE_TYPES.setupOpen, openBody());
    await expectRefused(coord.call<Reply>('POST', '/api/v1/setups', { ...envelope, body: { ...openBody(), keyholders: 2 } }), 401, 'ENVELOPE_BAD_SIGNATURE');
    await expectRefused(coord.call<Reply>('POST', '/api/v1/setups', alice.sign(MESSAGE_TYPES.vaultCreate, openBody())), 400, 'ENVELOPE_WRONG_TYPE');
    expect({ ...(await counts(coord)), nonces: 0 }).toEqual({ ...before, nonces: 0 });
    expect((await coord.call<Reply>('POST', '/api/v1/setups', envelope)).status).toBe(201);
    await expectRefused(coord.call<Reply>('POST', '/api/v1/setups', envelope), 409, 'ENVELOPE_REPLAYED');
  });

  it('refuses a second key record from one member, more than N, a non-member, malformed records and a wrong route', async () => {
    const setup = (await open(alice, { keyholders: 2, threshold: 2 })).body;
    expect((await keyRecord(setup.id, alice)).status).toBe(201);
    const outsider = testKeyholder('mallory', 'all all all all all all all all all all all all');
    const before = await counts(coord);
    await expectRefused(keyRecord(setup.id, alice), 409, 'SETUP_KEY_RECORD_EXISTS');
    await expectRefused(keyRecord(setup.id, outsider), 403, 'NOT_A_MEMBER');
    await expectRefused(keyRecord(setup.id, bob, { record: 'BSMS 1.0\n00\n[00000000/48h]tpub\nbob' }), 400, 'BSMS_RECORD_INVALID');
    await expectRefused(keyRecord(setup.id, bob, { record: blob(20) }), 400, 'BSMS_RECORD_INVALID');
    await expectRefused(keyRecord(setup.id, bob, { record: blob().toUpperCase() }), 400, 'BSMS_RECORD_INVALID');
    await expectRefused(keyRecord(setup.id, bob, { setupId: '00000000-0000-4000-8000-000000000000' }), 400, 'VALIDATION_FAILED');
    await expectRefused(keyRecord('00000000-0000-4000-8000-000000000000', bob), 404, 'SETUP_NOT_FOUND');
    expect({ ...(await counts(coord)), nonces: 0 }).toEqual({ ...before, nonces: 0 });
    expect((await keyRecord(setup.id, bob)).status).toBe(201);
    const full = await counts(coord);
    await expectRefused(keyRecord(setup.id, carol), 409, 'SETUP_FULL');
    expect({ ...(await counts(coord)), nonces: 0 }).toEqual({ ...full, nonces: 0 });
  });

  it('accepts a plain record only without encryption, and refuses a sealed one there', async () => {
    const setup = (await open(alice, { mode: 'NO_ENCRYPTION' })).body;
    await expectRefused(keyRecord(setup.id, alice), 400, 'BSMS_RECORD_INVALID');
    expect((await keyRecord(setup.id, alice, { record: 'BSMS 1.0\n00\n[73c5da0a/48h/1h/0h/2h]tpub...\nalice' })).status).toBe(201);
  });

  it('takes the descriptor record only from the opener, once, and only when every key record is in', async () => {
    const setup = await openWithRecords({}, [alice, bob]);
    await expectRefused(descriptorRecord(setup.id, alice), 409, 'SETUP_INCOMPLETE');
    expect((await keyRecord(setup.id, carol)).status).toBe(201);
    const before = await counts(coord);
    await expectRefused(descriptorRecord(setup.id, bob), 403, 'SETUP_NOT_OPENER');
    await expectRefused(descriptorRecord(setup.id, alice, { records: { [alice.identityKey]: blob(300) } }), 400, 'VALIDATION_FAILED');
    await expectRefused(descriptorRecord(setup.id, alice, { record: undefined, records: Object.fromEntries(keyholders.map((k) => [k.identityKey, blob(300)])) }), 400, 'VALIDATION_FAILED');
    await expectRefused(descriptorRecord(setup.id, alice, { record: 'BSMS 1.0\nwsh(...)' }), 400, 'BSMS_RECORD_INVALID');
    expect({ ...(await counts(coord)), nonces: 0 }).toEqual({ ...before, nonces: 0 });
    expect((await descriptorRecord(setup.id, alice)).status).toBe(201);
    const done = await counts(coord);
    await expectRefused(descriptorRecord(setup.id, alice), 409, 'SETUP_COMPLETE');
    await expectRefused(keyRecord(setup.id, dave), 409, 'SETUP_COMPLETE');
    expect({ ...(await counts(coord)), nonces: 0 }).toEqual({ ...done, nonces: 0 });
  });

  it('refuses every record after the setup expired, and shows it expired', async () => {
    const setup = await openWithRecords({ expiresAt: inHours(1) }, [alice, bob]);
    const later = new Date(Date.now() + 2 * 3600_000);
    clock.now = () => later;
    const before = await counts(coord);
    await expectRefused(keyRecord(setup.id, carol, {}, later), 409, 'BSMS_SESSION_EXPIRED');
    await expectRefused(descriptorRecord(setup.id, alice, {}, later), 409, 'BSMS_SESSION_EXPIRED');
    expect({ ...(await counts(coord)), nonces: 0 }).toEqual({ ...before, nonces: 0 });
    expect((await coord.call<SetupView>('GET', `/api/v1/setups/${setup.id}`)).body.status).toBe('expired');
  });

  it('answers an unknown setup and a bad id with stable codes', async () => {
    await expectRefused(coord.call<Reply>('GET', '/api/v1/setups/00000000-0000-4000-8000-000000000000'), 404, 'SETUP_NOT_FOUND');
    await expectRefused(coord.call<Reply>('GET', '/api/v1/setups/not-a-uuid'), 400, 'VALIDATION_FAILED');
  });
});
