/**
 * The coordinator's relay of a FROST key generation (protocol/frost/setup-api.ts) against a
 * real in-process coordinator and database: whole 2-of-3 and 3-of-5 DKGs driven over HTTP by
 * participants running protocol/frost, ending in an active tr(xpub/<0;1>/*) vault whose
 * descriptor every participant computes for itself; then each refusal with its stable code and
 * nothing half-written, equivocation ending in `aborted` naming the participant, and no secret
 * in any table (invariant 1).
 */
import { randomBytes } from 'node:crypto';
import { p2tr } from '@scure/btc-signer';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { MESSAGE_TYPES, type AuditEventView, type VaultView } from '../../protocol/api';
import { addChecksum, deriveVaultScript, formatVaultDescriptor, parseVaultDescriptor } from '../../protocol/descriptor';
import { verifyEnvelope } from '../../protocol/envelope';
import {
  baseKeyFromDkg, childPublicPackage, type DkgContext, type DkgResult, type DkgState, dkgRound2, DKG_MESSAGE_TYPES, finishDkg,
  FROST_SETUP_OPEN, type FrostSetupParams, type FrostSetupView, groupXpub, newSetupId, type Round1Message, type Round2Message,
  serializeDkgState, signDkgMessage, startDkg, verifyCertificate,
} from '../../protocol/frost';
import { DEFAULT_POLICY } from '../../protocol/policy';
import { Clock } from '../../server/common/clock';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
type Reply = FrostSetupView & ErrorBody;
const REGTEST = { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, wif: 0xef };
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin'];
const TABLES = ['frost_setups', 'frost_dkg_messages', 'vaults', 'vault_members', 'vault_confirmations', 'addresses', 'audit_events'];

const rng = (length: number) => new Uint8Array(randomBytes(length));
const ctxOf = (k: TestKeyholder): DkgContext => ({ identitySecret: k.identitySecret, randomBytes: rng, now: new Date() });
const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();

describe(`FROST key generation relay (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let coord: RunningCoordinator;
  let clock: Clock;
  let holders: TestKeyholder[];
  const realNow = Clock.prototype.now;
  /** Secrets the participants held during the runs: none may reach the coordinator. */
  const secrets: string[] = [];

  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    clock = coord.app.get(Clock);
    holders = NAMES.map((name) => testKeyholder(name, `${name} frost relay test words one two three four five six seven`));
    for (const k of holders) {
      const joined = await coord.call('POST', '/api/v1/members', k.sign(MESSAGE_TYPES.memberJoin, { name: k.name, network: 'regtest', accountKey: k.accountKey }));
      expect(joined.status).toBe(201);
    }
    // Reads need a member's session (server/auth): the first participant reads.
    coord.actAs(holders[0]!);
    await coord.sessionFor(holders[0]!);
  });
  afterEach(async () => {
    clock.now = realNow;
    await coord.close();
  });

  const paramsFor = (t: number, members: TestKeyholder[], overrides: Partial<FrostSetupParams> = {}): FrostSetupParams => ({
    setupId: newSetupId(rng), network: 'regtest', vault: { name: 'frost treasury', policy: DEFAULT_POLICY }, threshold: t,
    participants: members.map((k) => ({ identityKey: k.identityKey, name: k.name })), ...overrides,
  });
  const open = (by: TestKeyholder, params: unknown, expiresAt = inHours(24)) =>
    coord.call<Reply>('POST', '/api/v1/frost-setups', by.sign(FROST_SETUP_OPEN, { params, expiresAt }));
  const view = async (setupId: string) => (await coord.call<Reply>('GET', `/api/v1/frost-setups/${setupId}`)).body;
  const post = (setupId: string, step: 'round1' | 'round2' | 'confirm', body: unknown) => coord.call<Reply>('POST', `/api/v1/frost-setups/${setupId}/${step}`, body);
  const expectRefused = async (reply: Promise<{ status: number; body: Reply }>, status: number, code: string) => {
    const res = await reply;
    expect([res.status, res.body.error?.code]).toEqual([status, code]);
    return res.body.error;
  };
  const counts = async () => {
    const n = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    return Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await n(t)] as const)));
  };
  const verifyAudit = async () => (await coord.call<{ valid: boolean; reason: string | null }>('GET', '/api/v1/audit/verify')).body;

  interface Participant { k: TestKeyholder; index: number; state?: DkgState; round1?: Round1Message; result?: DkgResult }

  /** Round 1 for every participant: what `signer-cli frost join` does first, after checking the open statement. */
  async function round1All(setupId: string, members: TestKeyholder[]): Promise<Participant[]> {
    const shown = await view(setupId);
    const opened = verifyEnvelope<{ params: FrostSetupParams }>(shown.openEnvelope, { now: new Date(), expectedType: FROST_SETUP_OPEN });
    const participants: Participant[] = [];
    for (const [index, k] of members.entries()) {
      const { round1Message, state } = startDkg(opened.body.params, index, ctxOf(k));
      secrets.push(...serializeDkgState(state).secret.coefficients);
      participants.push({ k, index, state, round1: round1Message });
    }
    return participants;
  }

  async function runDkgOverHttp(t: number, members: TestKeyholder[]) {
    const params = paramsFor(t, members);
    const opened = await open(members[0]!, params);
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ setupId: params.setupId, state: 'round1', params, round1: [], round2Senders: [], confirmations: [], certificate: null, vaultId: null, abort: null });
    const participants = await round1All(params.setupId, members);
    for (const p of participants) expect((await post(params.setupId, 'round1', p.round1)).status).toBe(200);
    const afterRound1 = await view(params.setupId);
    expect(afterRound1.state).toBe('round2');
    expect(afterRound1.round1).toHaveLength(members.length);

    for (const p of participants) {
      const { round2Messages, state } = dkgRound2(p.state!, afterRound1.round1, ctxOf(p.k));
      p.state = state;
      const res = await post(params.setupId, 'round2', { messages: round2Messages });
      expect(res.status).toBe(200);
    }
    const afterRound2 = await view(params.setupId);
    expect(afterRound2.state).toBe('confirming');
    expect(afterRound2.round2Senders).toEqual(members.map((k) => k.identityKey));

    let last: Reply | undefined;
    for (const p of participants) {
      const sealed = await coord.call<Round2Message[]>('GET', `/api/v1/frost-setups/${params.setupId}/round2/${p.k.identityKey}`);
      expect(sealed.body).toHaveLength(members.length - 1);
      const { result, confirmation } = finishDkg(p.state!, sealed.body, ctxOf(p.k));
      p.result = result;
      const { share } = baseKeyFromDkg(result.keyPackage, hexToBytes(result.untweakedGroupKey));
      secrets.push(bytesToHex(result.keyPackage.secret.signingShare), bytesToHex(share.signingShare), bytesToHex(p.k.identitySecret));
      const res = await post(params.setupId, 'confirm', confirmation);
      expect(res.status).toBe(200);
      last = res.body;
    }
    return { params, participants, final: last! };
  }

  for (const [t, n] of [[2, 3], [3, 5]] as const) {
    it(`runs a whole ${t}-of-${n} DKG over HTTP into an active vault whose descriptor every participant computes`, async () => {
      const members = holders.slice(0, n);
      const { params, participants, final } = await runDkgOverHttp(t, members);
      expect(final).toMatchObject({ state: 'complete', abort: null });
      expect(final.vaultId).toEqual(expect.any(String));
      const vault = (await coord.call<VaultView>('GET', `/api/v1/vaults/${final.vaultId}`)).body;
      expect(vault).toMatchObject({ name: 'frost treasury', network: 'regtest', threshold: t, status: 'active' });
      expect(vault.members.map((m) => m.identityKey)).toEqual(members.map((k) => k.identityKey));
      expect(vault.confirmations.map((c) => c.identityKey).sort()).toEqual(members.map((k) => k.identityKey).sort());
      expect((vault.evidence as { create: unknown }).create).toEqual(final.openEnvelope);

      // What each participant computes from its own DKG result, with no help from the coordinator.
      for (const p of participants) {
        const result = p.result!;
        const { key } = baseKeyFromDkg(result.keyPackage, hexToBytes(result.untweakedGroupKey));
        const xpub = groupXpub(key, hexToBytes(result.chainCode), 'regtest');
        expect(vault.descriptor).toBe(addChecksum(`tr(${xpub}/<0;1>/*)`));
        expect(vault.descriptor).toBe(formatVaultDescriptor({ kind: 'tr-frost', network: 'regtest', groupXpub: xpub }));
        const verified = verifyCertificate(final.certificate, { transcriptHash: result.transcriptHash });
        expect(verified.params).toEqual(params);
        const child = childPublicPackage(key, hexToBytes(result.chainCode), 0, 0);
        expect(vault.confirmations[0]!.firstAddress).toBe(p2tr(child.internalKey, undefined, REGTEST).address);
      }
      const addresses = (await coord.call<Array<{ address: string }>>('GET', `/api/v1/vaults/${final.vaultId}/addresses?change=0&count=3`)).body;
      const descriptor = parseVaultDescriptor(vault.descriptor, 'regtest', ['tr-frost']);
      expect(addresses.map((a) => a.address)).toEqual([0, 1, 2].map((i) => deriveVaultScript(descriptor, 0, i).address));
      const [stored] = await coord.dataSource.query(`SELECT kind FROM vaults WHERE id = '${final.vaultId}'`);
      expect(stored.kind).toBe('tr-frost');

      const events = (await coord.call<AuditEventView[]>('GET', `/api/v1/audit?subject=${params.setupId}`)).body;
      expect(events.map((e) => e.kind)).toEqual([
        'frost.setup.opened', ...Array(n).fill('frost.round1'), ...Array(n * (n - 1)).fill('frost.round2'), ...Array(n).fill('frost.confirmed'),
      ]);
      const vaultEvents = (await coord.call<AuditEventView[]>('GET', `/api/v1/audit?subject=${final.vaultId}`)).body;
      expect(vaultEvents.map((e) => e.kind)).toEqual(['frost.vault.created', 'vault.activated']);
      expect(vaultEvents[0]!.payload).toMatchObject({ setupId: params.setupId, descriptor: vault.descriptor, transcriptHash: participants[0]!.result!.transcriptHash });
      expect(await verifyAudit()).toMatchObject({ valid: true });

      // Invariant 1: no share, polynomial coefficient or identity secret in any table.
      const dump = JSON.stringify(await Promise.all(coord.dataSource.entityMetadatas.map((m) => coord.dataSource.query(`SELECT * FROM ${m.tableName}`))));
      expect(dump).toContain(final.certificate!.round1[0]!.sig);
      for (const secret of secrets) expect(dump).not.toContain(secret);

      // Sent again after completion: the same answer, nothing new.
      const before = await counts();
      const again = await post(params.setupId, 'confirm', final.confirmations[0]);
      expect([again.status, again.body.state, again.body.vaultId]).toEqual([200, 'complete', final.vaultId]);
      expect(await counts()).toEqual(before);
    });
  }

  it('serves the routes in the OpenAPI document', async () => {
    const doc = (await coord.call<{ paths: Record<string, Record<string, { requestBody?: unknown }>> }>('GET', '/api/docs/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/api/v1/frost-setups', '/api/v1/frost-setups/{setupId}', '/api/v1/frost-setups/{setupId}/round1', '/api/v1/frost-setups/{setupId}/round2',
      '/api/v1/frost-setups/{setupId}/round2/{recipient}', '/api/v1/frost-setups/{setupId}/confirm',
    ]));
    expect(JSON.stringify(doc.paths['/api/v1/frost-setups']!.post!.requestBody)).toContain(FROST_SETUP_OPEN);
    expect(JSON.stringify(doc.paths['/api/v1/frost-setups/{setupId}/round1']!.post!.requestBody)).toContain(DKG_MESSAGE_TYPES.round1);
  });

  it('refuses bad frost.setup.open statements with stable codes, and writes nothing', async () => {
    const [alice, bob, carol, dave] = holders as [TestKeyholder, TestKeyholder, TestKeyholder, TestKeyholder];
    const mallory = testKeyholder('mallory', 'mallory is not a member of this coordinator one two three four');
    const trio = [alice, bob, carol];
    const before = await counts();
    await expectRefused(open(alice, paramsFor(2, trio, { network: 'testnet' })), 400, 'ADDRESS_WRONG_NETWORK');
    const outsider = await expectRefused(open(alice, paramsFor(2, [alice, bob, mallory])), 404, 'MEMBER_NOT_FOUND');
    expect(outsider.message).toContain('participants.2');
    await expectRefused(open(dave, paramsFor(2, trio)), 403, 'FORBIDDEN');
    await expectRefused(open(mallory, paramsFor(2, [mallory, alice, bob])), 403, 'NOT_A_MEMBER');
    await expectRefused(open(alice, paramsFor(1, trio)), 400, 'FROST_DKG_PARAMS_INVALID');
    await expectRefused(open(alice, paramsFor(2, [alice, alice, bob])), 400, 'FROST_DKG_PARAMS_INVALID');
    await expectRefused(open(alice, paramsFor(2, trio, { vault: { name: 'x', policy: { ...DEFAULT_POLICY, requiredApprovals: 3 } } })), 400, 'VALIDATION_FAILED');
    await expectRefused(open(alice, paramsFor(2, trio), inHours(-1)), 400, 'VALIDATION_FAILED');
    await expectRefused(open(alice, paramsFor(2, trio), inHours(24 * 8)), 400, 'VALIDATION_FAILED');
    await expectRefused(coord.call<Reply>('POST', '/api/v1/frost-setups', alice.sign(FROST_SETUP_OPEN, { params: paramsFor(2, trio), expiresAt: inHours(1), extra: 1 })), 400, 'VALIDATION_FAILED');
    const envelope = alice.sign(FROST_SETUP_OPEN, { params: paramsFor(2, trio), expiresAt: inHours(1) });
    await expectRefused(coord.call<Reply>('POST', '/api/v1/frost-setups', { ...envelope, body: { ...envelope.body, expiresAt: inHours(2) } }), 401, 'ENVELOPE_BAD_SIGNATURE');
    expect(await counts()).toEqual(before);

    const params = paramsFor(2, trio);
    expect((await open(alice, params)).status).toBe(201);
    const afterOpen = await counts();
    await expectRefused(open(bob, params), 409, 'FROST_SETUP_EXISTS');
    expect(await counts()).toEqual(afterOpen);
  });

  it('refuses bad DKG messages with their codes and keeps nothing of them', async () => {
    const [alice, bob, carol, dave] = holders as [TestKeyholder, TestKeyholder, TestKeyholder, TestKeyholder];
    const trio = [alice, bob, carol];
    const params = paramsFor(2, trio);
    expect((await open(alice, params)).status).toBe(201);
    const other = paramsFor(2, trio);
    expect((await open(bob, other)).status).toBe(201);
    const participants = await round1All(params.setupId, trio);
    const elsewhere = await round1All(other.setupId, trio);
    const [a, b, c] = participants as [Participant, Participant, Participant];

    await expectRefused(coord.call<Reply>('GET', `/api/v1/frost-setups/${'00'.repeat(16)}`), 404, 'FROST_SETUP_NOT_FOUND');
    await expectRefused(post('00'.repeat(16), 'round1', a.round1), 404, 'FROST_SETUP_NOT_FOUND');
    await expectRefused(coord.call<Reply>('GET', '/api/v1/frost-setups/not-hex'), 400, 'VALIDATION_FAILED');
    await expectRefused(coord.call<Reply>('GET', `/api/v1/frost-setups/${params.setupId}/round2/${dave.identityKey}`), 400, 'VALIDATION_FAILED');

    expect((await post(params.setupId, 'round1', a.round1)).status).toBe(200);
    expect((await post(params.setupId, 'round1', b.round1)).status).toBe(200);
    const before = await counts();
    await expectRefused(post(params.setupId, 'round1', elsewhere[2]!.round1), 422, 'FROST_DKG_WRONG_SETUP');
    const byOutsider = signDkgMessage(DKG_MESSAGE_TYPES.round1, c.round1!.body, ctxOf(dave));
    await expectRefused(post(params.setupId, 'round1', byOutsider), 422, 'FROST_DKG_WRONG_SENDER');
    const tampered = { ...c.round1!, body: { ...c.round1!.body, package: { ...c.round1!.body.package, proofOfKnowledge: a.round1!.body.package.proofOfKnowledge } } };
    await expectRefused(post(params.setupId, 'round1', tampered), 422, 'FROST_DKG_BAD_SIGNATURE');
    const badPackage = signDkgMessage(DKG_MESSAGE_TYPES.round1, tampered.body, ctxOf(carol));
    await expectRefused(post(params.setupId, 'round1', badPackage), 422, 'FROST_DKG_PACKAGE_INVALID');
    await expectRefused(post(params.setupId, 'round1', { ...c.round1!, type: 'frost.dkg.confirm' }), 400, 'FROST_DKG_MESSAGE_INVALID');
    // A body that names no sender: refused at the gate without a session, by the relay with one (server/auth).
    await expectRefused(post(params.setupId, 'round1', { junk: 1 }), 401, 'AUTH_REQUIRED');
    await expectRefused(coord.call<Reply>('POST', `/api/v1/frost-setups/${params.setupId}/round1`, { junk: 1 }, { as: holders[0]! }), 400, 'FROST_DKG_MESSAGE_INVALID');

    // Round 2 before round 1 is complete: alice has all three packages, the coordinator does not.
    const all = participants.map((p) => p.round1!);
    const early = dkgRound2(a.state!, all, ctxOf(alice));
    a.state = early.state;
    await expectRefused(post(params.setupId, 'round2', { messages: early.round2Messages }), 409, 'FROST_SETUP_STATE');
    await expectRefused(post(params.setupId, 'confirm', signDkgMessage(DKG_MESSAGE_TYPES.confirm, {
      setupId: params.setupId, paramsHash: a.round1!.body.paramsHash, transcriptHash: '11'.repeat(32), round1Digests: ['22'.repeat(32), '33'.repeat(32), '44'.repeat(32)],
    }, ctxOf(alice))), 409, 'FROST_SETUP_STATE');
    expect(await counts()).toEqual(before);

    // A message sent again is answered with the same view; so is a re-signed copy of it.
    const again = await post(params.setupId, 'round1', a.round1);
    expect([again.status, again.body.round1.length]).toEqual([200, 2]);
    expect((await post(params.setupId, 'round1', signDkgMessage(DKG_MESSAGE_TYPES.round1, a.round1!.body, ctxOf(alice)))).status).toBe(200);
    expect(await counts()).toEqual(before);

    expect((await post(params.setupId, 'round1', c.round1)).status).toBe(200);
    const inRound2 = await counts();
    const [toBob, toCarol] = early.round2Messages as [Round2Message, Round2Message];
    for (const messages of [[toBob], [toBob, toBob], [toBob, toCarol, toCarol], []]) {
      // An empty list names no sender: alice's session says who asks (server/auth).
      const res = await coord.call<Reply>('POST', `/api/v1/frost-setups/${params.setupId}/round2`, { messages }, { as: alice });
      expect([res.status, res.body.error.code]).toEqual(messages.length === 0 ? [400, 'VALIDATION_FAILED'] : [400, 'FROST_SETUP_ROUND2_INVALID']);
    }
    const bobs = dkgRound2(b.state!, all, ctxOf(bob));
    b.state = bobs.state;
    await expectRefused(post(params.setupId, 'round2', { messages: [toBob, bobs.round2Messages[1]] }), 400, 'FROST_SETUP_ROUND2_INVALID');
    await expectRefused(post(params.setupId, 'round2', { messages: [{ ...toBob, sig: toCarol.sig }, toCarol] }), 422, 'FROST_DKG_BAD_SIGNATURE');
    expect(await counts()).toEqual(inRound2);
    expect((await view(params.setupId)).state).toBe('round2');
    expect((await post(params.setupId, 'round2', { messages: early.round2Messages })).status).toBe(200);
    expect((await post(params.setupId, 'round2', { messages: early.round2Messages })).status).toBe(200);
    expect((await view(params.setupId)).round2Senders).toEqual([alice.identityKey]);
    expect(await verifyAudit()).toMatchObject({ valid: true });
  });

  it('aborts on equivocation in round 1, names the participant, keeps both packages as evidence and takes nothing more', async () => {
    const [alice, bob, carol] = holders as [TestKeyholder, TestKeyholder, TestKeyholder];
    const params = paramsFor(2, [alice, bob, carol]);
    expect((await open(alice, params)).status).toBe(201);
    const [a, b] = (await round1All(params.setupId, [alice, bob, carol])) as [Participant, Participant];
    expect((await post(params.setupId, 'round1', a.round1)).status).toBe(200);
    expect((await post(params.setupId, 'round1', b.round1)).status).toBe(200);
    const second = startDkg(params, 1, ctxOf(bob)).round1Message;
    const error = await expectRefused(post(params.setupId, 'round1', second), 409, 'FROST_DKG_EQUIVOCATION');
    expect(error.message).toMatch(/participant 2 "bob" \(key [0-9a-f]{8}…\) signed two different round-1 packages/);
    expect(error.details).toMatchObject({ participant: 2, identityKey: bob.identityKey });

    const shown = await view(params.setupId);
    expect(shown.state).toBe('aborted');
    expect(shown.abort).toEqual({ code: 'FROST_DKG_EQUIVOCATION', message: error.message });
    const events = (await coord.call<AuditEventView[]>('GET', `/api/v1/audit?subject=${params.setupId}`)).body;
    const aborted = events.at(-1)!;
    expect(aborted.kind).toBe('frost.setup.aborted');
    expect((aborted.payload as { details: { evidence: Array<{ sig: string }> } }).details.evidence.map((m) => m.sig)).toEqual([b.round1!.sig, second.sig]);
    expect(await verifyAudit()).toMatchObject({ valid: true });

    const before = await counts();
    const stopped = await expectRefused(post(params.setupId, 'round1', a.round1), 409, 'FROST_SETUP_ABORTED');
    expect(stopped.message).toContain('FROST_DKG_EQUIVOCATION');
    expect(await counts()).toEqual(before);
  });

  it('aborts, with no vault, when the last confirmation vouches for another transcript', async () => {
    const trio = holders.slice(0, 3);
    const params = paramsFor(2, trio);
    expect((await open(trio[0]!, params)).status).toBe(201);
    const participants = await round1All(params.setupId, trio);
    for (const p of participants) await post(params.setupId, 'round1', p.round1);
    const round1 = (await view(params.setupId)).round1;
    for (const p of participants) {
      const next = dkgRound2(p.state!, round1, ctxOf(p.k));
      p.state = next.state;
      await post(params.setupId, 'round2', { messages: next.round2Messages });
    }
    const confirmations = [];
    for (const p of participants) {
      const sealed = (await coord.call<Round2Message[]>('GET', `/api/v1/frost-setups/${params.setupId}/round2/${p.k.identityKey}`)).body;
      confirmations.push(finishDkg(p.state!, sealed, ctxOf(p.k)).confirmation);
    }
    expect((await post(params.setupId, 'confirm', confirmations[0])).status).toBe(200);
    expect((await post(params.setupId, 'confirm', confirmations[1])).status).toBe(200);
    // Carol says she saw another round-1 package from alice (a lie, or alice equivocated to her).
    const digests = [...confirmations[2]!.body.round1Digests];
    digests[0] = 'ee'.repeat(32);
    const dissent = signDkgMessage(DKG_MESSAGE_TYPES.confirm, { ...confirmations[2]!.body, transcriptHash: 'dd'.repeat(32), round1Digests: digests }, ctxOf(trio[2]!));
    const res = await post(params.setupId, 'confirm', dissent);
    expect([res.status, res.body.state, res.body.vaultId, res.body.abort?.code]).toEqual([200, 'aborted', null, 'FROST_DKG_EQUIVOCATION']);
    expect(res.body.abort!.message).toMatch(/participant 1 "alice"/);
    expect((await counts()).vaults).toBe(0);
    expect(await verifyAudit()).toMatchObject({ valid: true });
    await expectRefused(post(params.setupId, 'confirm', confirmations[2]), 409, 'FROST_SETUP_ABORTED');
  });

  it('makes one vault when the last two confirmations arrive together', async () => {
    const trio = holders.slice(0, 3);
    const params = paramsFor(2, trio);
    expect((await open(trio[0]!, params)).status).toBe(201);
    const participants = await round1All(params.setupId, trio);
    for (const p of participants) await post(params.setupId, 'round1', p.round1);
    const round1 = (await view(params.setupId)).round1;
    for (const p of participants) {
      const next = dkgRound2(p.state!, round1, ctxOf(p.k));
      p.state = next.state;
      await post(params.setupId, 'round2', { messages: next.round2Messages });
    }
    const confirmations = [];
    for (const p of participants) {
      const sealed = (await coord.call<Round2Message[]>('GET', `/api/v1/frost-setups/${params.setupId}/round2/${p.k.identityKey}`)).body;
      confirmations.push(finishDkg(p.state!, sealed, ctxOf(p.k)).confirmation);
    }
    expect((await post(params.setupId, 'confirm', confirmations[0])).status).toBe(200);
    const replies = await Promise.all([post(params.setupId, 'confirm', confirmations[1]), post(params.setupId, 'confirm', confirmations[2])]);
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    const shown = await view(params.setupId);
    expect(shown.state).toBe('complete');
    expect(await counts()).toMatchObject({ vaults: 1, vault_members: 3, vault_confirmations: 3 });
    expect(await verifyAudit()).toMatchObject({ valid: true });
  });

  it('refuses every message after the deadline and shows the setup expired', async () => {
    const trio = holders.slice(0, 3);
    const params = paramsFor(2, trio);
    expect((await open(trio[0]!, params, inHours(1))).status).toBe(201);
    const [a, b] = (await round1All(params.setupId, trio)) as [Participant, Participant];
    expect((await post(params.setupId, 'round1', a.round1)).status).toBe(200);
    const later = new Date(Date.now() + 2 * 3600_000);
    clock.now = () => later;
    const before = await counts();
    await expectRefused(post(params.setupId, 'round1', b.round1), 409, 'FROST_SETUP_EXPIRED');
    await expectRefused(post(params.setupId, 'round1', a.round1), 409, 'FROST_SETUP_EXPIRED');
    // No message names a sender: the participant's session says who asks (server/auth).
    await expectRefused(coord.call<Reply>('POST', `/api/v1/frost-setups/${params.setupId}/round2`, { messages: [] }, { as: trio[0]! }), 409, 'FROST_SETUP_EXPIRED');
    expect(await counts()).toEqual(before);
    expect((await view(params.setupId)).state).toBe('expired');
  });
});
