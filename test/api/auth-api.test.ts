/**
 * Signing in and out (issue 5): sessions by identity key (bound to this coordinator, single
 * use), passkey sign-in against the passkeys pinned in a governed vault's member set (with
 * @simplewebauthn/server, single-use challenges), passkey registration that pins nothing, and
 * API tokens listed for their grantor only.
 */
import { MESSAGE_TYPES } from '../../protocol/api';
import { type AccessCast, accessCast, grantToken } from '../support/access-cast';
import { type RunningCoordinator, sessionOpenEnvelope, startInProcessCoordinator } from '../support/in-process-coordinator';
import { SoftwarePasskey } from '../support/software-passkey';
import { testKeyholder } from '../support/test-keyholder';

type Reply = { error?: { code: string; message: string } };
type SessionReply = Reply & { token: string; expiresAt: string; member: { identityKey: string; name: string; roles: string[] } };

describe('sessions, passkeys and tokens', () => {
  let coord: RunningCoordinator;
  let cast: AccessCast;
  let coordinatorKey: string;
  const apoPasskey = new SoftwarePasskey();
  beforeAll(async () => {
    coord = await startInProcessCoordinator();
    cast = await accessCast(coord, { apo: [apoPasskey.pinned] });
    coordinatorKey = (await coord.call<{ coordinatorKey: string }>('GET', '/api/v1/info')).body.coordinatorKey;
  }, 120_000);
  afterAll(async () => coord.close());

  const open = (envelope: unknown) => coord.call<SessionReply>('POST', '/api/v1/auth/session', envelope, { bearer: null });

  it('opens a session with a session.open envelope, answers the member with their roles, and signs out', async () => {
    const opened = await open(sessionOpenEnvelope(cast.ian, coordinatorKey));
    expect(opened.status).toBe(201);
    expect(opened.body.member).toEqual({ identityKey: cast.ian.identityKey, name: 'ian', roles: ['initiator'] });
    expect((await coord.call('GET', '/api/v1/vaults', undefined, { bearer: opened.body.token })).status).toBe(200);
    expect((await coord.call('DELETE', '/api/v1/auth/session', undefined, { bearer: opened.body.token })).status).toBe(200);
    const after = await coord.call<Reply>('GET', '/api/v1/vaults', undefined, { bearer: opened.body.token });
    expect([after.status, after.body.error?.code]).toEqual([401, 'AUTH_REQUIRED']);
  });

  it('refuses a session.open for another coordinator, a replayed one, a stranger\'s, and the wrong type', async () => {
    const other = await open(sessionOpenEnvelope(cast.ian, 'ab'.repeat(32)));
    expect([other.status, other.body.error?.code]).toEqual([400, 'ENVELOPE_INVALID']);
    const envelope = sessionOpenEnvelope(cast.ian, coordinatorKey);
    expect((await open(envelope)).status).toBe(201);
    const replay = await open(envelope);
    expect([replay.status, replay.body.error?.code]).toEqual([409, 'ENVELOPE_REPLAYED']);
    const stranger = await open(sessionOpenEnvelope(testKeyholder('zed', 'zed words one two three four five six seven eight nine ten'), coordinatorKey));
    expect([stranger.status, stranger.body.error?.code]).toEqual([403, 'NOT_A_MEMBER']);
    const wrongType = await open(cast.ian.sign(MESSAGE_TYPES.memberJoin, { coordinatorKey }));
    expect([wrongType.status, wrongType.body.error?.code]).toEqual([400, 'ENVELOPE_WRONG_TYPE']);
  });

  it('signs in with a pinned passkey, once per challenge', async () => {
    const options = await coord.call<{ challenge: string; rpId: string; userVerification: string }>('POST', '/api/v1/auth/passkey/options', {}, { bearer: null });
    expect(options.status).toBe(200);
    expect(options.body).toMatchObject({ rpId: 'localhost', userVerification: 'required' });
    const assertion = apoPasskey.assert(options.body.challenge);
    const signedIn = await coord.call<SessionReply>('POST', '/api/v1/auth/passkey', { response: assertion }, { bearer: null });
    expect(signedIn.status).toBe(201);
    expect(signedIn.body.member).toMatchObject({ identityKey: cast.apo.identityKey, roles: ['approver'] });
    expect((await coord.call('GET', '/api/v1/audit', undefined, { bearer: signedIn.body.token })).status).toBe(200);
    const again = await coord.call<Reply>('POST', '/api/v1/auth/passkey', { response: assertion }, { bearer: null });
    expect([again.status, again.body.error?.code]).toEqual([401, 'PASSKEY_CHALLENGE_UNKNOWN']);
  });

  it('refuses a passkey that is not pinned, an assertion without user verification, and another origin', async () => {
    const challenge = async () => (await coord.call<{ challenge: string }>('POST', '/api/v1/auth/passkey/options', {}, { bearer: null })).body.challenge;
    const stranger = await coord.call<Reply>('POST', '/api/v1/auth/passkey', { response: new SoftwarePasskey().assert(await challenge()) }, { bearer: null });
    expect([stranger.status, stranger.body.error?.code]).toEqual([403, 'PASSKEY_NOT_PINNED']);
    const noUv = await coord.call<Reply>('POST', '/api/v1/auth/passkey', { response: apoPasskey.assert(await challenge(), { flags: 0x01 }) }, { bearer: null });
    expect([noUv.status, noUv.body.error?.code]).toEqual([401, 'PASSKEY_BAD_SIGNATURE']);
    const phishing = await coord.call<Reply>('POST', '/api/v1/auth/passkey', { response: apoPasskey.assert(await challenge(), { origin: 'https://conclave.evil' }) }, { bearer: null });
    expect([phishing.status, phishing.body.error?.code]).toEqual([401, 'PASSKEY_BAD_SIGNATURE']);
    const unknown = await coord.call<Reply>('POST', '/api/v1/auth/passkey', { response: apoPasskey.assert('bm90LWEtY2hhbGxlbmdl') }, { bearer: null });
    expect([unknown.status, unknown.body.error?.code]).toEqual([401, 'PASSKEY_CHALLENGE_UNKNOWN']);
  });

  it('registers a passkey for a signed-in member and answers it verified, without pinning it', async () => {
    const fresh = new SoftwarePasskey();
    const options = await coord.call<{ challenge: string; pubKeyCredParams: Array<{ alg: number }> }>('POST', '/api/v1/auth/passkeys/registration/options', {}, { as: cast.ian });
    expect(options.status).toBe(200);
    expect(options.body.pubKeyCredParams.map((p) => p.alg)).toEqual([-7]);
    const registered = await coord.call<{ passkey: { credentialId: string; publicKey: string }; pinned: boolean }>('POST', '/api/v1/auth/passkeys/registration', { response: fresh.register(options.body.challenge) }, { as: cast.ian });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ passkey: fresh.pinned, pinned: false });
    // Not pinned: it cannot sign in.
    const challenge = (await coord.call<{ challenge: string }>('POST', '/api/v1/auth/passkey/options', {}, { bearer: null })).body.challenge;
    const signIn = await coord.call<Reply>('POST', '/api/v1/auth/passkey', { response: fresh.assert(challenge) }, { bearer: null });
    expect([signIn.status, signIn.body.error?.code]).toEqual([403, 'PASSKEY_NOT_PINNED']);
    // Another member's challenge does not register for ian.
    const apoOptions = await coord.call<{ challenge: string }>('POST', '/api/v1/auth/passkeys/registration/options', {}, { as: cast.apo });
    const crossed = await coord.call<Reply>('POST', '/api/v1/auth/passkeys/registration', { response: fresh.register(apoOptions.body.challenge) }, { as: cast.ian });
    expect([crossed.status, crossed.body.error?.code]).toEqual([401, 'PASSKEY_CHALLENGE_UNKNOWN']);
  });

  it('lists only the caller\'s tokens, and lets an admin but no other member revoke one', async () => {
    const secret = await grantToken(coord, cast.ian, 'propose');
    const ian = await coord.call<Array<{ name: string; scope: string; identityKey: string; status: string }>>('GET', '/api/v1/tokens', undefined, { as: cast.ian });
    expect(ian.body).toEqual([expect.objectContaining({ scope: 'propose', identityKey: cast.ian.identityKey, status: 'active' })]);
    expect(JSON.stringify(ian.body)).not.toContain(secret);
    const alice = await coord.call<unknown[]>('GET', '/api/v1/tokens', undefined, { as: cast.alice });
    expect(alice.body).toHaveLength(4);
    const tokenId = (ian.body[0] as unknown as { id: string }).id;
    const byOther = await coord.call<Reply>('POST', '/api/v1/tokens/revoke', cast.apo.sign(MESSAGE_TYPES.tokenRevoke, { tokenId }));
    expect([byOther.status, byOther.body.error?.code]).toEqual([403, 'ACCESS_DENIED']);
    const byAdmin = await coord.call<{ status: string; revokedBy: string }>('POST', '/api/v1/tokens/revoke', cast.ada.sign(MESSAGE_TYPES.tokenRevoke, { tokenId }));
    expect(byAdmin.body).toMatchObject({ status: 'revoked', revokedBy: cast.ada.identityKey });
  });

  it('refuses a token beyond its longest lifetime, and a propose token for a member who may not propose', async () => {
    const long = await coord.call<Reply>('POST', '/api/v1/tokens', cast.ian.sign(MESSAGE_TYPES.tokenCreate, {
      name: 'forever', scope: 'read', secretHash: 'ee'.repeat(32), expiresAt: new Date(Date.now() + 91 * 86_400_000).toISOString(),
    }));
    expect([long.status, long.body.error?.code]).toEqual([422, 'TOKEN_INVALID']);
    const approver = await coord.call<Reply>('POST', '/api/v1/tokens', cast.apo.sign(MESSAGE_TYPES.tokenCreate, {
      name: 'bot', scope: 'propose', secretHash: 'ef'.repeat(32), expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    }));
    expect([approver.status, approver.body.error?.code]).toEqual([403, 'ACCESS_DENIED']);
  });
});
