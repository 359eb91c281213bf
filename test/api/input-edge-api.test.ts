/**
 * Bad input at the edge, on both databases (invariant 7: a clear 4xx with a stable code, never
 * a 500, never partial state): timestamps too long to store, NUL in text, integers beyond the
 * database's; and the vaults nobody may create: 1-of-n (invariant 2), and one keyholder
 * claiming another's key origin.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { MESSAGE_TYPES, type VaultView, type WithdrawalView } from '../../protocol/api';
import { addChecksum, formatVaultDescriptor } from '../../protocol/descriptor';
import { ENVELOPE_VERSION, envelopeDigest } from '../../protocol/envelope';
import { DEFAULT_POLICY } from '../../protocol/policy';
import { signVaultInputs } from '../../protocol/psbt';
import { MemberEntity } from '../../server/members/member.entity';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';
import { deposit, intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';

type ErrorBody = { error: { code: string; message: string } };

describe(`input the databases cannot hold, and vaults nobody may create (${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'})`, () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  let alice: TestKeyholder;
  let bob: TestKeyholder;
  let vault: VaultView;
  const mallory = testKeyholder('mallory', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');

  beforeAll(async () => {
    coord = await startInProcessCoordinator();
    keyholders = threeKeyholders();
    [alice, bob] = keyholders as [TestKeyholder, TestKeyholder];
    vault = await setupVault(coord, keyholders);
    await deposit(coord, vault, alice, [1_000_000n, 500_000n]);
  });
  afterAll(async () => coord.close());

  const count = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  async function expectRefused(res: Promise<{ status: number; body: unknown }>, status: number, code: string): Promise<string> {
    const { status: got, body } = await res;
    expect([got, (body as ErrorBody).error?.code]).toEqual([status, code]);
    return (body as ErrorBody).error.message;
  }
  const join = (k: TestKeyholder, body: Record<string, unknown>) => coord.call('POST', '/api/v1/members', k.sign(MESSAGE_TYPES.memberJoin, body));

  it('refuses an envelope whose timestamps are not in millisecond precision (too long to store as a used nonce)', async () => {
    const before = { nonces: await count('used_nonces'), members: await count('members') };
    const stranger = testKeyholder('stranger', 'all all all all all all all all all all all all');
    // Signed by hand, validly: only the form of a timestamp is wrong.
    const signedWith = (created: string, expires: string) => {
      const unsigned = {
        v: ENVELOPE_VERSION as typeof ENVELOPE_VERSION, type: MESSAGE_TYPES.memberJoin, body: { name: 'stranger', network: 'regtest', accountKey: stranger.accountKey },
        signer: stranger.identityKey, nonce: randomBytes(16).toString('hex'), created, expires,
      };
      return { ...unsigned, sig: bytesToHex(schnorr.sign(envelopeDigest(unsigned), stranger.identitySecret, randomBytes(32))) };
    };
    const now = Date.now();
    const created = new Date(now).toISOString();
    const expires = new Date(now + 600_000).toISOString();
    const long = await expectRefused(coord.call('POST', '/api/v1/members', signedWith(created, expires.replace(/Z$/, '000000000000000Z'))), 400, 'ENVELOPE_INVALID');
    expect(long).toMatch(/^envelope\.expires:/);
    const short = await expectRefused(coord.call('POST', '/api/v1/members', signedWith(created.replace(/\.\d{3}Z$/, 'Z'), expires)), 400, 'ENVELOPE_INVALID');
    expect(short).toMatch(/^envelope\.created:/);
    expect({ nonces: await count('used_nonces'), members: await count('members') }).toEqual(before);
  });

  it('refuses NUL in a name, in any other field, and in a key', async () => {
    const members = await count('members');
    const message = await expectRefused(join(mallory, { name: 'mal\u0000lory', network: 'regtest', accountKey: mallory.accountKey }), 400, 'VALIDATION_FAILED');
    expect(message).toMatch(/NUL/);
    expect(await count('members')).toBe(members);
    const memo = await expectRefused(propose(coord, vault, alice, intent(vault, { memo: 'rent\u0000' })), 400, 'VALIDATION_FAILED');
    expect(memo).toBe('body.body.memo: contains NUL (U+0000), which no field accepts');
    await expectRefused(coord.call('POST', '/api/v1/members', { 'ma\u0000': 1 }), 400, 'VALIDATION_FAILED');
    expect(await count('withdrawals')).toBe(0);
  });

  it('finds a NUL at the bottom of a body nested far deeper than the call stack', async () => {
    const envelope = JSON.stringify({ ...alice.sign(MESSAGE_TYPES.memberJoin, {}), body: null });
    const depth = 200_000;
    const text = envelope.replace('"body":null', `"body":${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`);
    const message = await expectRefused(coord.call('POST', '/api/v1/members', text), 400, 'VALIDATION_FAILED');
    expect(message).toBe('body.body[0][0][0][0][0][0]...[0][0][0]: contains NUL (U+0000), which no field accepts');
  });

  it('refuses query values beyond what the database compares: a huge integer, a NUL, a non-id', async () => {
    await expectRefused(coord.call('GET', '/api/v1/audit?after=3000000000'), 400, 'VALIDATION_FAILED');
    expect((await coord.call('GET', `/api/v1/audit?after=${2 ** 31 - 1}`)).body).toEqual([]);
    await expectRefused(coord.call('GET', '/api/v1/audit?subject=%00'), 400, 'VALIDATION_FAILED');
    await expectRefused(coord.call('GET', '/api/v1/audit?subject=a%20b'), 400, 'VALIDATION_FAILED');
    expect((await coord.call<unknown[]>('GET', `/api/v1/audit?subject=${vault.id}`)).body.length).toBeGreaterThan(0);
  });

  it('refuses a 1-of-n vault: one keyholder alone could spend (invariant 2)', async () => {
    const vaults = await count('vaults');
    const descriptor = formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: 'regtest', threshold: 1, keys: keyholders.map((k) => k.accountKey) });
    const message = await expectRefused(coord.call('POST', '/api/v1/vaults', alice.sign(MESSAGE_TYPES.vaultCreate, {
      name: 'single', network: 'regtest', threshold: 1, members: keyholders.map((k) => k.identityKey), descriptor, policy: DEFAULT_POLICY,
    })), 400, 'VALIDATION_FAILED');
    expect(message).toMatch(/^envelope\.body\.threshold:/);
    expect(await count('vaults')).toBe(vaults);
  });

  it("refuses a vault in which one keyholder claims another's master fingerprint and origin path", async () => {
    // Mallory registers her own xpub under Alice's origin [fingerprint/48h/1h/0h/2h].
    const forged = { ...mallory.accountKey, fingerprint: alice.accountKey.fingerprint, path: alice.accountKey.path };
    expect((await join(mallory, { name: 'mallory', network: 'regtest', accountKey: forged })).status).toBe(201);
    const members = [alice, mallory, bob];
    const keys = [alice.accountKey, forged, bob.accountKey];
    const descriptor = `wsh(sortedmulti(2,${keys.map((k) => `[${k.fingerprint}/${k.path}]${k.xpub}/<0;1>/*`).join(',')}))`;
    const vaults = await count('vaults');
    const message = await expectRefused(coord.call('POST', '/api/v1/vaults', mallory.sign(MESSAGE_TYPES.vaultCreate, {
      name: 'shared origin', network: 'regtest', threshold: 2, members: members.map((k) => k.identityKey), descriptor: addChecksum(descriptor), policy: DEFAULT_POLICY,
    })), 400, 'KEY_INVALID');
    expect(message).toBe(`descriptor keys[1]: has the same origin [${alice.accountKey.fingerprint}/${alice.accountKey.path}] as keys[0] but another xpub; `
      + 'one master key cannot derive two keys at one path');
    expect(await count('vaults')).toBe(vaults);
  });

  it("finds a keyholder's key by their account xpub, not by the fingerprint and path they claim", async () => {
    const w = (await propose(coord, vault, alice, intent(vault, { requestId: randomUUID() }))).body;
    // Bob's member row now claims Alice's origin: the coordinator must still credit Bob with
    // his own key only, and never take Alice's key for his.
    await coord.dataSource.getRepository(MemberEntity).update({ identityKey: bob.identityKey }, { accountFingerprint: alice.accountKey.fingerprint });
    const signature = (signer: TestKeyholder, by: TestKeyholder) => by.sign(MESSAGE_TYPES.withdrawalSignature, {
      withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid,
      partialSigs: signVaultInputs(w.psbt, signer.account, { fingerprint: signer.accountKey.fingerprint, path: signer.accountPath }, [0]).partialSigs,
    });
    await expectRefused(coord.call('POST', `/api/v1/withdrawals/${w.id}/signatures`, signature(alice, bob)), 403, 'SIGNER_NOT_IN_VAULT');
    const signed = await coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${w.id}/signatures`, signature(bob, bob));
    expect(signed.status).toBe(200);
    expect(signed.body.signatures.map((s) => s.identityKey)).toEqual([bob.identityKey]);
  });
});
