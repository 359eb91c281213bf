/**
 * Enrolment links (`signer-cli passkey link`): a session opened with the identity key for one
 * purpose, registering a passkey in a browser. It lives ten minutes, opens no other route (no
 * read, no live updates), and ends with the first registration; an unknown purpose is refused.
 */
import { WebSocket } from 'ws';
import { ENROLMENT_LINK_SECONDS } from '../../protocol/auth/access';
import { type AccessCast, accessCast } from '../support/access-cast';
import { type RunningCoordinator, sessionOpenEnvelope, startInProcessCoordinator } from '../support/in-process-coordinator';
import { SoftwarePasskey } from '../support/software-passkey';

type Reply = { error?: { code: string; message: string } };
type SessionReply = Reply & { token: string; expiresAt: string };

describe('passkey enrolment links', () => {
  let coord: RunningCoordinator;
  let cast: AccessCast;
  let coordinatorKey: string;
  beforeAll(async () => {
    coord = await startInProcessCoordinator();
    cast = await accessCast(coord);
    coordinatorKey = (await coord.call<{ coordinatorKey: string }>('GET', '/api/v1/info')).body.coordinatorKey;
  }, 120_000);
  afterAll(async () => coord.close());

  async function enrolmentLink(): Promise<SessionReply> {
    const opened = await coord.call<SessionReply>('POST', '/api/v1/auth/session', sessionOpenEnvelope(cast.ian, coordinatorKey, new Date(), 'passkey-enrolment'), { bearer: null });
    expect(opened.status).toBe(201);
    return opened.body;
  }

  it('tells signers where the web app is opened, for the link', async () => {
    const info = await coord.call<{ webOrigin: string | null }>('GET', '/api/v1/info');
    expect(info.body.webOrigin).toBe('http://localhost');
  });

  it('lives ten minutes instead of a sign-in\'s twelve hours', async () => {
    const before = Date.now();
    const link = await enrolmentLink();
    const lifetime = Date.parse(link.expiresAt) - before;
    expect(lifetime).toBeGreaterThan((ENROLMENT_LINK_SECONDS - 60) * 1000);
    expect(lifetime).toBeLessThanOrEqual((ENROLMENT_LINK_SECONDS + 1) * 1000);
  });

  it('opens nothing but passkey registration', async () => {
    const { token } = await enrolmentLink();
    for (const path of ['/api/v1/vaults', '/api/v1/audit', '/api/v1/tokens', `/api/v1/vaults/${cast.governed.id}/policy`]) {
      const read = await coord.call<Reply>('GET', path, undefined, { bearer: token });
      expect([path, read.status, read.body.error?.code]).toEqual([path, 403, 'ACCESS_DENIED']);
      expect(read.body.error?.message).toContain('only registers a passkey');
    }
    const options = await coord.call<{ challenge: string; user: { name: string } }>('POST', '/api/v1/auth/passkeys/registration/options', {}, { bearer: token });
    expect(options.status).toBe(200);
    expect(options.body.user.name).toBe('ian');
  });

  it('registers one passkey, verified, and then ends', async () => {
    const { token } = await enrolmentLink();
    const passkey = new SoftwarePasskey();
    const options = await coord.call<{ challenge: string }>('POST', '/api/v1/auth/passkeys/registration/options', {}, { bearer: token });
    const registered = await coord.call<{ passkey: { credentialId: string; publicKey: string }; pinned: boolean }>(
      'POST', '/api/v1/auth/passkeys/registration', { response: passkey.register(options.body.challenge) }, { bearer: token });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ passkey: passkey.pinned, pinned: false });
    const again = await coord.call<Reply>('POST', '/api/v1/auth/passkeys/registration/options', {}, { bearer: token });
    expect([again.status, again.body.error?.code]).toEqual([401, 'AUTH_REQUIRED']);
  });

  it('keeps the link alive through a failed ceremony, so the member can try again', async () => {
    const { token } = await enrolmentLink();
    const passkey = new SoftwarePasskey();
    const options = await coord.call<{ challenge: string }>('POST', '/api/v1/auth/passkeys/registration/options', {}, { bearer: token });
    const noVerification = await coord.call<Reply>('POST', '/api/v1/auth/passkeys/registration', { response: passkey.register(options.body.challenge, { flags: 0x01 }) }, { bearer: token });
    expect([noVerification.status, noVerification.body.error?.code]).toEqual([401, 'PASSKEY_BAD_SIGNATURE']);
    const retry = await coord.call<{ challenge: string }>('POST', '/api/v1/auth/passkeys/registration/options', {}, { bearer: token });
    expect(retry.status).toBe(200);
  });

  it('is refused after its ten minutes', async () => {
    const { token } = await enrolmentLink();
    jest.useFakeTimers({ now: Date.now() + (ENROLMENT_LINK_SECONDS + 1) * 1000, doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask'] });
    try {
      const late = await coord.call<Reply>('POST', '/api/v1/auth/passkeys/registration/options', {}, { bearer: token });
      expect([late.status, late.body.error?.code]).toEqual([401, 'AUTH_REQUIRED']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('gets no live updates on the web app\'s socket', async () => {
    const { token } = await enrolmentLink();
    const socket = new WebSocket(`${coord.url.replace(/^http/, 'ws')}/ws/web`, { origin: 'http://localhost' });
    const frames: Array<{ type: string; error?: { code: string } }> = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as { type: string }));
    const closed = new Promise<number>((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'auth', session: token }));
    expect(await closed).toBe(4003);
    expect(frames[0]).toMatchObject({ type: 'error', error: { code: 'AUTH_REQUIRED' } });
  });

  it('may be ended by its holder, and refuses an unknown purpose', async () => {
    const { token } = await enrolmentLink();
    expect((await coord.call('DELETE', '/api/v1/auth/session', undefined, { bearer: token })).status).toBe(200);
    const ended = await coord.call<Reply>('POST', '/api/v1/auth/passkeys/registration/options', {}, { bearer: token });
    expect([ended.status, ended.body.error?.code]).toEqual([401, 'AUTH_REQUIRED']);
    const odd = await coord.call<Reply>('POST', '/api/v1/auth/session', cast.ian.sign('session.open', { coordinatorKey, purpose: 'admin' }), { bearer: null });
    expect(odd.status).toBe(400);
    expect(odd.body.error?.message).toContain('purpose');
  });
});
