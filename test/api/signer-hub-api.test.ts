/**
 * The signer WebSocket (/ws) against a real coordinator: login by signing this connection's
 * challenge, each refusal with its own code (a signer gives up on a refusal and retries on the
 * coordinator's own failures), no session left behind by a socket that closed during login,
 * and pushes that can never turn committed work into an error answer.
 */
import { Logger } from '@nestjs/common';
import { WebSocket } from 'ws';
import { MESSAGE_TYPES, type ServerFrame, type VaultView, type WithdrawalView } from '../../protocol/api';
import { signVaultInputs } from '../../protocol/psbt';
import { SignerHub } from '../../server/events/signer-hub';
import { MemberEntity } from '../../server/members/member.entity';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';
import { deposit, intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';

const POLICY = { version: 1 as const, requiredApprovals: 1, maxFeeSats: '20000', maxFeeRate: '20' };

interface Client {
  socket: WebSocket;
  frames: ServerFrame[];
  closed: Promise<{ code: number; reason: string }>;
  frame(type: ServerFrame['type'], match?: (f: ServerFrame) => boolean): Promise<ServerFrame>;
}

function connect(coord: RunningCoordinator): Client {
  const socket = new WebSocket(`${coord.url.replace(/^http/, 'ws')}/ws`);
  const frames: ServerFrame[] = [];
  let notify = () => undefined as void;
  socket.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as ServerFrame);
    notify();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const frame = (type: ServerFrame['type'], match: (f: ServerFrame) => boolean = () => true) => new Promise<ServerFrame>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} frame; got ${JSON.stringify(frames)}`)), 5000);
    const check = () => {
      const found = frames.find((f) => f.type === type && match(f));
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    const previous = notify;
    notify = () => {
      previous();
      check();
    };
    check();
  });
  return { socket, frames, closed, frame };
}

async function challengeOf(client: Client): Promise<string> {
  const f = await client.frame('challenge');
  return (f as Extract<ServerFrame, { type: 'challenge' }>).challenge;
}

async function login(coord: RunningCoordinator, k: TestKeyholder): Promise<Client> {
  const client = connect(coord);
  client.socket.send(JSON.stringify({ type: 'auth', envelope: k.sign(MESSAGE_TYPES.wsAuth, { challenge: await challengeOf(client) }) }));
  await client.frame('ready');
  return client;
}

async function refusal(client: Client, frame: string): Promise<{ code: string; closeCode: number }> {
  await challengeOf(client);
  client.socket.send(frame);
  const error = await client.frame('error') as Extract<ServerFrame, { type: 'error' }>;
  return { code: error.error.code, closeCode: (await client.closed).code };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

describe(`signer WebSocket (${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'})`, () => {
  let coord: RunningCoordinator;
  let hub: SignerHub;
  let keyholders: TestKeyholder[];
  let vault: VaultView;
  const open: Client[] = [];
  const track = (c: Client) => {
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    coord = await startInProcessCoordinator();
    hub = coord.app.get(SignerHub);
    keyholders = threeKeyholders();
    vault = await setupVault(coord, keyholders, 2, POLICY);
    await deposit(coord, vault, keyholders[0]!, [1_000_000n, 1_000_000n]);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    for (const c of open.splice(0)) c.socket.terminate();
    await until(() => hub.connectedCount === 0);
  });
  afterAll(async () => coord.close());

  it('accepts a member who signs the challenge of this connection', async () => {
    const alice = keyholders[0]!;
    const client = track(await login(coord, alice));
    const ready = client.frames.find((f) => f.type === 'ready');
    expect(ready).toMatchObject({ type: 'ready', identityKey: alice.identityKey });
    expect(hub.connectedCount).toBe(1);
  });

  it('refuses a wrong challenge, a key that is no member, and malformed frames, each with its code', async () => {
    const alice = keyholders[0]!;
    const outsider = testKeyholder('mallory', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
    const signedFor = (k: TestKeyholder, challenge: string, type: string = MESSAGE_TYPES.wsAuth) => JSON.stringify({ type: 'auth', envelope: k.sign(type, { challenge }) });

    const wrong = track(connect(coord));
    expect(await refusal(wrong, signedFor(alice, 'ab'.repeat(32)))).toEqual({ code: 'UNAUTHENTICATED', closeCode: 4003 });

    const stranger = track(connect(coord));
    const strangerChallenge = await challengeOf(stranger);
    expect(await refusal(stranger, signedFor(outsider, strangerChallenge))).toEqual({ code: 'NOT_A_MEMBER', closeCode: 4003 });

    expect(await refusal(track(connect(coord)), '{"type":"auth",')).toEqual({ code: 'MALFORMED_JSON', closeCode: 4003 });
    expect(await refusal(track(connect(coord)), JSON.stringify({ type: 'hello' }))).toEqual({ code: 'UNAUTHENTICATED', closeCode: 4003 });
    expect(await refusal(track(connect(coord)), JSON.stringify({ type: 'auth', envelope: { v: 1 } }))).toEqual({ code: 'ENVELOPE_INVALID', closeCode: 4003 });
    const other = track(connect(coord));
    expect(await refusal(other, signedFor(alice, await challengeOf(other), MESSAGE_TYPES.vaultConfirm))).toEqual({ code: 'ENVELOPE_WRONG_TYPE', closeCode: 4003 });
    const forged = track(connect(coord));
    const envelope = alice.sign(MESSAGE_TYPES.wsAuth, { challenge: await challengeOf(forged) });
    expect(await refusal(forged, JSON.stringify({ type: 'auth', envelope: { ...envelope, signer: keyholders[1]!.identityKey } })))
      .toEqual({ code: 'ENVELOPE_BAD_SIGNATURE', closeCode: 4003 });
    expect(hub.connectedCount).toBe(0);
  });

  it('answers a database failure during login with a code the signer retries on, not a refusal, and logs it', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const real = coord.dataSource.getRepository.bind(coord.dataSource);
    jest.spyOn(coord.dataSource, 'getRepository').mockImplementation(((target: never) => {
      const repo = real(target);
      return target === MemberEntity ? Object.assign(Object.create(repo) as object, { findOne: () => Promise.reject(new Error('connection reset by peer')) }) : repo;
    }) as typeof coord.dataSource.getRepository);
    const client = track(connect(coord));
    const challenge = await challengeOf(client);
    expect(await refusal(client, JSON.stringify({ type: 'auth', envelope: keyholders[0]!.sign(MESSAGE_TYPES.wsAuth, { challenge }) })))
      .toEqual({ code: 'DATABASE_UNAVAILABLE', closeCode: 1013 });
    expect(hub.connectedCount).toBe(0);
    expect(JSON.stringify(logged.mock.calls)).toMatch(/connection reset by peer/);
  });

  it('keeps no session for a socket that closed while its member was looked up', async () => {
    const real = coord.dataSource.getRepository.bind(coord.dataSource);
    let release = () => undefined as void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let looked = false;
    jest.spyOn(coord.dataSource, 'getRepository').mockImplementation(((target: never) => {
      const repo = real(target) as unknown as { findOne: (...args: unknown[]) => Promise<unknown> };
      if (target !== MemberEntity) return repo;
      return Object.assign(Object.create(repo) as object, {
        findOne: async (...args: unknown[]) => {
          looked = true;
          await held;
          return repo.findOne(...args);
        },
      });
    }) as typeof coord.dataSource.getRepository);
    const client = track(connect(coord));
    const challenge = await challengeOf(client);
    client.socket.send(JSON.stringify({ type: 'auth', envelope: keyholders[0]!.sign(MESSAGE_TYPES.wsAuth, { challenge }) }));
    await until(() => looked);
    client.socket.close();
    await client.closed;
    // The server has seen the close (its client set no longer holds the socket).
    const server = (hub as unknown as { server: { clients: Set<unknown> } }).server;
    await until(() => server.clients.size === 0);
    release();
    await new Promise((r) => setTimeout(r, 50));
    expect(hub.connectedCount).toBe(0);
  });

  it('pushes events to the vault members after the change commits', async () => {
    const [alice, bob] = keyholders as [TestKeyholder, TestKeyholder];
    const listener = track(await login(coord, bob));
    const w = (await propose(coord, vault, alice, intent(vault))).body;
    await listener.frame('event', (f) => JSON.stringify(f).includes(w.id));
    expect(listener.frames.filter((f) => f.type === 'event' && (f.event as { withdrawalId?: string }).withdrawalId === w.id))
      .toEqual([{ type: 'event', event: { kind: 'withdrawal.state', vaultId: vault.id, withdrawalId: w.id, state: 'awaiting_approval' } }]);
  });

  it('answers committed work with success even when every push fails', async () => {
    const [alice, bob, carol] = keyholders as [TestKeyholder, TestKeyholder, TestKeyholder];
    for (const k of keyholders) track(await login(coord, k));
    const send = WebSocket.prototype.send;
    jest.spyOn(WebSocket.prototype, 'send').mockImplementation(function mocked(this: WebSocket, ...args: Parameters<WebSocket['send']>) {
      if (typeof args[0] === 'string' && args[0].includes('"type":"event"')) throw new Error('socket buffer full');
      return send.apply(this, args);
    });
    const proposed = await propose(coord, vault, alice, intent(vault));
    expect(proposed.status).toBe(201);
    const w = proposed.body;
    const approved = await coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${w.id}/approvals`, bob.sign(MESSAGE_TYPES.withdrawalApprove, { withdrawalId: w.id, vaultId: vault.id, intentHash: w.intentHash }));
    expect([approved.status, approved.body.state]).toEqual([200, 'signing']);
    const sign = (k: TestKeyholder) => coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${w.id}/signatures`, k.sign(MESSAGE_TYPES.withdrawalSignature, {
      withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid,
      partialSigs: signVaultInputs(w.psbt, k.account, { fingerprint: k.accountKey.fingerprint, path: k.accountPath }, [0]).partialSigs,
    }));
    expect((await sign(bob)).status).toBe(200);
    const last = await sign(carol);
    expect([last.status, last.body.state]).toEqual([200, 'exported']);
  });
});
