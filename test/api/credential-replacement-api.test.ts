/**
 * A keyholder's lost identity key replaced by the quorum (issue 5 point 1; DESIGN.md: no
 * support-desk reset), through the REST API and WebSocket of a real coordinator. Before the
 * `member.replace-credentials` change applies, the old key works and the new one is nobody;
 * once it applies, the reverse: the new key signs in, logs in on the WebSocket, approves (and
 * counts) and submits signatures for the same account key, while the old key's sessions, API
 * tokens and socket end and it is refused everywhere. The audit log verifies, by the
 * coordinator's own check and by signer-cli's, and a statement by the old key after the
 * replacement is refused by the verifier.
 */
import { randomBytes } from 'node:crypto';
import { bytesToHex } from '@noble/hashes/utils.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { WebSocket } from 'ws';
import { MESSAGE_TYPES, type MemberView, type ServerFrame, type VaultView } from '../../protocol/api';
import { type AuditRecord, auditEventHash, verifyAuditChain } from '../../protocol/audit';
import { canonicalJson } from '../../protocol/canonical-json';
import { signEnvelope } from '../../protocol/envelope';
import { CoordinatorIdentity } from '../../server/audit/coordinator-identity';
import { secretHash } from '../../server/auth/secrets';
import { fetchAuditLog, checkAuditLog } from '../../signer-cli/audit/audit-log';
import { type RunningCoordinator, sessionOpenEnvelope } from '../support/in-process-coordinator';
import { DAY, type ErrorBody, type Reply, approveWithdrawal, proposeWithdrawal, signWithdrawal } from '../support/governed-vault';
import { type GovernedVaultStage, closeGovernedVault, stageGovernedVault } from '../support/governed-vault-stage';
import type { TestKeyholder } from '../support/test-keyholder';
import { DESTINATION } from '../support/vault-scenario';

/** Bob after the lost laptop: the same seed (so the same account key), a new identity key. */
function restoredWithNewIdentity(old: TestKeyholder): TestKeyholder {
  const identitySecret = new Uint8Array(randomBytes(32));
  return {
    ...old,
    identitySecret,
    identityKey: bytesToHex(schnorr.getPublicKey(identitySecret)),
    sign: (type, body, now = new Date()) => signEnvelope(type, body, identitySecret, { now, randomBytes: (n) => new Uint8Array(randomBytes(n)) }),
  };
}

/** A WebSocket login: the first frame after the answer (ready or error), and the close code once closed. */
async function wsLogin(coord: RunningCoordinator, k: TestKeyholder): Promise<{ answer: ServerFrame; events: ServerFrame[]; closed: Promise<number>; close(): void }> {
  const socket = new WebSocket(`${coord.url.replace(/^http/, 'ws')}/ws`);
  const events: ServerFrame[] = [];
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  const answer = await new Promise<ServerFrame>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer to the ws login')), 5000);
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if (frame.type === 'challenge') {
        socket.send(JSON.stringify({ type: 'auth', envelope: k.sign(MESSAGE_TYPES.wsAuth, { challenge: frame.challenge }) }));
      } else if (frame.type === 'ready' || (frame.type === 'error' && events.length === 0)) {
        clearTimeout(timer);
        events.push(frame);
        resolve(frame);
      } else {
        events.push(frame);
      }
    });
    socket.on('error', reject);
  });
  return { answer, events, closed, close: () => socket.close() };
}

describe(`credential replacement API (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  // Filled in afresh by beforeEach: every test starts from its own coordinator and vault.
  let { coord, time, c, vault, gov } = {} as GovernedVaultStage;
  let newBob: TestKeyholder;

  beforeEach(async () => {
    ({ coord, time, c, vault, gov } = await stageGovernedVault({ deposits: [400_000n, 400_000n, 400_000n], payees: [DESTINATION] }));
    newBob = restoredWithNewIdentity(c.bob);
  });
  afterEach(() => closeGovernedVault({ coord, time }));

  const signIn = async (k: TestKeyholder): Promise<Reply<{ token: string; member: { roles: string[] } }>> => {
    const info = await coord.call<{ coordinatorKey: string }>('GET', '/api/v1/info', undefined, { bearer: null });
    return coord.call('POST', '/api/v1/auth/session', sessionOpenEnvelope(k, info.body.coordinatorKey, time.now), { bearer: null });
  };
  const bobMember = async (): Promise<MemberView> => (await coord.call<MemberView[]>('GET', '/api/v1/members')).body.find((m) => m.name === 'bob')!;
  /** The quorum for a keyholder: two admins besides the proposer (ben, carol) and another keyholder (alice); ada proposes. */
  const replaceBob = async (): Promise<string> => {
    const view = await gov.pass(c.ada, { op: 'member.replace-credentials', identityKey: c.bob.identityKey, newIdentityKey: newBob.identityKey }, [c.ben, c.carol, c.alice]);
    expect(view).toMatchObject({ status: 'pending', quorum: { met: true } });
    return view.changeId;
  };
  const auditLog = (): Promise<AuditRecord[]> => fetchAuditLog({
    baseUrl: coord.url,
    get: async (path, schema) => schema.parse((await coord.call('GET', path)).body),
  } as Parameters<typeof fetchAuditLog>[0]);

  it('before the change applies, the old key works and the new key is nobody', async () => {
    const changeId = await replaceBob();
    expect((await signIn(c.bob)).status).toBe(201);
    const refused = await signIn(newBob);
    expect([refused.status, refused.body.error?.code]).toEqual([403, 'NOT_A_MEMBER']);
    const ws = await wsLogin(coord, newBob);
    expect(ws.answer).toMatchObject({ type: 'error', error: { code: 'NOT_A_MEMBER' } });
    const w = (await proposeWithdrawal(coord, vault, c.alice, time, [[DESTINATION, 100_000n]])).body;
    const early = await approveWithdrawal(coord, w, newBob, time);
    expect([early.status, early.body.error?.code]).toEqual([403, 'NOT_A_MEMBER']);
    expect((await approveWithdrawal(coord, w, c.bob, time)).body.state).toBe('signing');
    const notYet = await signWithdrawal(coord, w, newBob, time);
    expect([notYet.status, notYet.body.error?.code]).toEqual([403, 'SIGNER_NOT_IN_VAULT']);
    expect((await signWithdrawal(coord, w, c.bob, time)).status).toBe(200);
    // A day minus a second: still the old key.
    time.advance(DAY - 1000);
    expect((await gov.get(changeId)).status).toBe('pending');
    expect((await bobMember()).identityKey).toBe(c.bob.identityKey);
  });

  it('once it applies, the new key signs in, logs in, approves, counts and signs for the same account key; the old key is refused everywhere', async () => {
    const before = await bobMember();
    // What the old key holds when the change applies: a session, an API token, a live socket, and a half-signed withdrawal.
    const oldSession = (await signIn(c.bob)).body.token;
    const tokenSecret = `ct_${bytesToHex(randomBytes(24))}`;
    const grant = await coord.call('POST', '/api/v1/tokens', c.bob.sign(MESSAGE_TYPES.tokenCreate, {
      name: 'bob reports', scope: 'read', secretHash: secretHash(tokenSecret), expiresAt: new Date(time.now.getTime() + 10 * DAY).toISOString(),
    }, time.now));
    expect(grant.status).toBe(201);
    expect((await coord.call('GET', `/api/v1/vaults/${vault.id}`, undefined, { bearer: tokenSecret })).status).toBe(200);
    const oldSocket = await wsLogin(coord, c.bob);
    expect(oldSocket.answer.type).toBe('ready');
    const halfSigned = (await proposeWithdrawal(coord, vault, c.alice, time, [[DESTINATION, 100_000n]])).body;
    expect((await approveWithdrawal(coord, halfSigned, c.bob, time)).body.state).toBe('signing');
    expect((await signWithdrawal(coord, halfSigned, c.alice, time)).body.state).toBe('signing');

    const changeId = await replaceBob();
    time.advance(DAY);
    expect((await gov.get(changeId)).status).toBe('applied');

    // The member row keeps its id, name and account key; the vault still counts Bob as confirmed.
    const after = await bobMember();
    expect(after).toMatchObject({ id: before.id, name: 'bob', identityKey: newBob.identityKey, accountKey: before.accountKey });
    const shown = (await coord.call<VaultView>('GET', `/api/v1/vaults/${vault.id}`)).body;
    expect(shown.members.map((m) => m.identityKey)).toEqual([c.alice.identityKey, newBob.identityKey, c.carol.identityKey]);
    expect(shown.status).toBe('active');

    // The old key: its socket closed, its session and token ended, and it can start nothing new.
    expect(await oldSocket.closed).toBe(4003);
    expect(oldSocket.events.at(-1)).toMatchObject({ type: 'error', error: { code: 'CREDENTIALS_REPLACED' } });
    expect((await coord.call<ErrorBody>('GET', `/api/v1/vaults/${vault.id}`, undefined, { bearer: oldSession })).body.error.code).toBe('AUTH_REQUIRED');
    const token = await coord.call<ErrorBody>('GET', `/api/v1/vaults/${vault.id}`, undefined, { bearer: tokenSecret });
    expect([token.status, token.body.error.code, token.body.error.message]).toEqual([401, 'AUTH_REQUIRED', expect.stringMatching(/revoked/)]);
    const oldSignIn = await signIn(c.bob);
    expect([oldSignIn.status, oldSignIn.body.error?.code]).toEqual([403, 'NOT_A_MEMBER']);
    expect((await wsLogin(coord, c.bob)).answer).toMatchObject({ type: 'error', error: { code: 'NOT_A_MEMBER' } });
    const w = (await proposeWithdrawal(coord, vault, c.alice, time, [[DESTINATION, 100_000n]])).body;
    const oldApproval = await approveWithdrawal(coord, w, c.bob, time);
    expect([oldApproval.status, oldApproval.body.error?.code]).toEqual([403, 'NOT_A_MEMBER']);
    const oldSignature = await signWithdrawal(coord, halfSigned, c.bob, time);
    expect([oldSignature.status, oldSignature.body.error?.code]).toEqual([403, 'SIGNER_NOT_IN_VAULT']);
    const oldGovernance = await gov.propose(c.bob, { op: 'address-book.remove', address: DESTINATION });
    expect(oldGovernance.body.error?.code).toBe('NOT_A_MEMBER');

    // The new key: signs in with Bob's roles, hears the vault's events, approves (and counts), signs.
    const newSignIn = await signIn(newBob);
    expect([newSignIn.status, newSignIn.body.member.roles]).toEqual([201, ['approver', 'keyholder']]);
    const newSocket = await wsLogin(coord, newBob);
    expect(newSocket.answer).toMatchObject({ type: 'ready', identityKey: newBob.identityKey, memberId: before.id });
    const approved = await approveWithdrawal(coord, w, newBob, time);
    expect([approved.status, approved.body.state]).toEqual([200, 'signing']);
    await new Promise((r) => setTimeout(r, 50));
    expect(newSocket.events.some((f) => f.type === 'event' && f.event.kind === 'signing.requested')).toBe(true);
    newSocket.close();
    const completed = await signWithdrawal(coord, halfSigned, newBob, time);
    expect([completed.status, completed.body.state]).toEqual([200, 'exported']);
    expect((await signWithdrawal(coord, w, newBob, time)).body.state).toBe('signing');
    expect((await signWithdrawal(coord, w, c.carol, time)).body.state).toBe('exported');

    // The log: the change and what it did, verified by the coordinator and by signer-cli's check.
    const applied = (await coord.call<Array<{ kind: string; payload: Record<string, unknown> }>>('GET', `/api/v1/audit?subject=${changeId}`)).body.find((e) => e.kind === 'governance.applied')!;
    expect(applied.payload.credentials).toEqual({
      oldIdentityKey: c.bob.identityKey, newIdentityKey: newBob.identityKey, memberId: before.id, sessionsEnded: 1, tokensRevoked: [secretHash(tokenSecret)],
    });
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body).toMatchObject({ valid: true });
    const records = await auditLog();
    const coordinatorKey = coord.app.get(CoordinatorIdentity).publicKey;
    expect(checkAuditLog(records, coordinatorKey, []).count).toBe(records.length);
    // The old key's statements before the change stay evidence of their own events; the new key's follow.
    expect(records.filter((r) => r.actor === c.bob.identityKey).map((r) => r.kind)).toEqual(['member.joined', 'vault.confirmed', 'token.created', 'approval.received']);
    expect(records.filter((r) => r.actor === newBob.identityKey).map((r) => r.kind)).toEqual(['approval.received', 'signature.received', 'signature.received']);
  });

  it('the audit verifier refuses a statement by the old key logged after the replacement, and a replacement that misstates the tokens it revoked', async () => {
    const w = (await proposeWithdrawal(coord, vault, c.alice, time, [[DESTINATION, 100_000n]])).body;
    const changeId = await replaceBob();
    time.advance(DAY);
    expect((await gov.get(changeId)).status).toBe('applied');
    const records = await auditLog();
    const identity = coord.app.get(CoordinatorIdentity);
    // A coordinator (holding its own key) that logs an approval by the thief of Bob's old key.
    const forged = appendEvent(records, identity, {
      kind: 'approval.received', actor: c.bob.identityKey, subject: w.id, payload: { counted: 1 },
      evidence: c.bob.sign(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: w.id, vaultId: vault.id, intentHash: w.intentHash }, time.now),
    }, time.now);
    const check = verifyAuditChain(forged, { coordinatorKey: identity.publicKey });
    expect(check).toMatchObject({ valid: false, code: 'AUDIT_EVIDENCE_INVALID', firstBadSeq: records.length + 1 });
    expect(check.reason).toMatch(/an identity key a quorum replaced in vault/);
    // The same approval by the new key verifies.
    const honest = appendEvent(records, identity, {
      kind: 'approval.received', actor: newBob.identityKey, subject: w.id, payload: { counted: 1 },
      evidence: newBob.sign(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: w.id, vaultId: vault.id, intentHash: w.intentHash }, time.now),
    }, time.now);
    expect(verifyAuditChain(honest, { coordinatorKey: identity.publicKey })).toMatchObject({ valid: true });
    // A log that claims the replacement revoked other tokens than the old key's is refused too.
    const appliedAt = records.findIndex((r) => r.kind === 'governance.applied' && r.subject === changeId);
    const edited = resign(records.slice(0, appliedAt + 1), identity, appliedAt, (payload) => ({
      ...payload, credentials: { ...(payload.credentials as object), tokensRevoked: ['ab'.repeat(32)] },
    }));
    expect(verifyAuditChain(edited, { coordinatorKey: identity.publicKey }).reason).toMatch(/payload\.credentials\.tokensRevoked/);
  });
});

type Link = { kind: string; actor: string | null; subject: string | null; payload: Record<string, unknown>; evidence: unknown };

/** The log with one more event, linked and signed with the coordinator's key (what a dishonest operator could do). */
function appendEvent(records: readonly AuditRecord[], identity: CoordinatorIdentity, link: Link, at: Date): AuditRecord[] {
  const last = records[records.length - 1]!;
  const body = {
    seq: last.seq + 1, kind: link.kind, actor: link.actor, subject: link.subject, payload: canonicalJson(link.payload),
    evidence: link.evidence === null ? null : canonicalJson(link.evidence), prevHash: last.hash, createdAt: at.toISOString(),
  };
  const hash = auditEventHash(body);
  return [...records, { ...body, hash, coordinatorSig: identity.signHead({ seq: body.seq, hash }) }];
}

/** `records` with the payload of event `index` edited and the chain re-linked and re-signed from there. */
function resign(records: readonly AuditRecord[], identity: CoordinatorIdentity, index: number, edit: (p: Record<string, unknown>) => Record<string, unknown>): AuditRecord[] {
  const out = records.slice(0, index);
  for (const record of records.slice(index)) {
    const prevHash = out.length === 0 ? record.prevHash : out[out.length - 1]!.hash;
    const payload = out.length === index ? canonicalJson(edit(JSON.parse(record.payload) as Record<string, unknown>)) : record.payload;
    const body = { ...record, payload, prevHash };
    const hash = auditEventHash(body);
    out.push({ ...body, hash, coordinatorSig: identity.signHead({ seq: body.seq, hash }) });
  }
  return out;
}
