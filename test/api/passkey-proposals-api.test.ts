/**
 * Withdrawals proposed with a passkey (issue 6, the web app): a passkey statement of type
 * `withdrawal.propose` whose body is the intent, posted to POST /api/v1/vaults/:id/withdrawals
 * of a real coordinator. Bob (keyholder and approver, passkey pinned at formation) proposes;
 * re-sending the same statement answers the same withdrawal; Alice approves; two signers
 * verify the passkey proposal against their own pinned member set and sign; the audit log
 * verifies at the coordinator and at a signer. Every bad proposal is refused with a stable code
 * and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import { MESSAGE_TYPES, type AuditEventView, type VaultView, type WithdrawalIntent, type WithdrawalView } from '../../protocol/api';
import {
  type Cast, DAY, Governance, TestTime, addToAddressBook, approveWithdrawal, cast, createGovernedVault, governedPolicy,
} from '../support/governed-vault';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { inProcessSigner } from '../support/in-process-signer';
import { type CeremonyOptions, SoftwarePasskey } from '../support/software-passkey';
import type { TestKeyholder } from '../support/test-keyholder';
import { DESTINATION, deposit, intent as simpleIntent, setupVault, threeKeyholders } from '../support/vault-scenario';

const DB = process.env.DATABASE_URL ? 'postgres' : 'sqlite';
type Answer = WithdrawalView & Partial<{ error: { code: string; message: string } }>;

describe(`passkey proposals (${DB})`, () => {
  let coord: RunningCoordinator;
  let time: TestTime;
  let c: Cast;
  let vault: VaultView;
  const bobKey = new SoftwarePasskey();
  const adaKey = new SoftwarePasskey();

  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    time = new TestTime(coord);
    c = cast();
    const policy = governedPolicy(c);
    for (const m of policy.members.members) {
      if (m.identityKey === c.bob.identityKey) m.passkeys = [bobKey.pinned];
      if (m.identityKey === c.ada.identityKey) m.passkeys = [adaKey.pinned];
    }
    vault = await createGovernedVault(coord, c, policy);
    await deposit(coord, vault, c.alice, [400_000n, 400_000n]);
    await addToAddressBook(new Governance(coord, vault.id, time), c, DESTINATION);
    time.advance(DAY);
  });
  afterEach(async () => {
    time.restore();
    await coord.close();
  });

  const count = async (table: string) => Number((await coord.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
  const written = async () => Promise.all(['withdrawals', 'used_nonces', 'audit_events'].map(count));
  const intentOf = (amount: bigint, overrides: Partial<WithdrawalIntent> = {}): WithdrawalIntent => ({
    vaultId: vault.id, network: 'regtest', requestId: randomUUID(), outputs: [{ address: DESTINATION, amount: amount.toString() }],
    feeRate: '2', maxFee: '50000', memo: 'web', expiresAt: new Date(time.now.getTime() + 2 * DAY).toISOString(), policyHash: vault.policyHash, ...overrides,
  });
  const byPasskey = (body: unknown, key: SoftwarePasskey = bobKey, by: TestKeyholder = c.bob, created = time.now, options: CeremonyOptions = {}) =>
    key.statement(MESSAGE_TYPES.withdrawalPropose, body, by.identityKey, created, options);
  const post = (statement: unknown, vaultId = vault.id) => coord.call<Answer>('POST', `/api/v1/vaults/${vaultId}/withdrawals`, statement);

  it('takes a passkey proposal, answers a re-send with the same withdrawal, and signers sign it', async () => {
    const statement = byPasskey(intentOf(250_000n));
    const proposed = await post(statement);
    expect([proposed.status, proposed.body.state, proposed.body.proposedBy, proposed.body.proposal]).toEqual([201, 'awaiting_approval', c.bob.identityKey, statement]);
    const before = await written();
    const again = await post(statement);
    expect([again.status, again.body.id]).toEqual([200, proposed.body.id]);
    expect(await written()).toEqual(before);

    // The proposer never approves their own; Alice does.
    const own = await approveWithdrawal(coord, proposed.body, c.bob, time);
    expect([own.status, own.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    expect((await approveWithdrawal(coord, proposed.body, c.alice, time)).body.state).toBe('signing');

    const events = (await coord.call<AuditEventView[]>('GET', `/api/v1/audit?subject=${proposed.body.id}`)).body;
    expect(events[0]).toMatchObject({ kind: 'withdrawal.proposed', actor: c.bob.identityKey, evidence: statement, payload: { passkey: bobKey.pinned } });

    const carol = await inProcessSigner(coord.url, vault, c.carol, () => time.now);
    const alice = await inProcessSigner(coord.url, vault, c.alice, () => time.now);
    for (const signer of [carol, alice]) await signer.sync();
    expect(await carol.sign(proposed.body.id)).toMatchObject({ status: 'signed', signatures: 1 });
    expect(await alice.sign(proposed.body.id)).toMatchObject({ status: 'signed', signatures: 2 });
    expect((await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${proposed.body.id}`)).body.state).toBe('exported');
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body).toMatchObject({ valid: true });
    expect((await carol.verifyAudit()).verified.evidence).toBeGreaterThan(0);
  });

  it('refuses a bad passkey proposal with a stable code, and writes nothing', async () => {
    const body = intentOf(250_000n);
    const good = byPasskey(body);
    const before = await written();
    const attempts: Array<[string, unknown, number, string]> = [
      ['unknown credential', byPasskey(body, new SoftwarePasskey()), 403, 'PASSKEY_NOT_PINNED'],
      ['another member\'s passkey', byPasskey(body, adaKey, c.bob), 403, 'PASSKEY_NOT_PINNED'],
      ['tampered intent', { ...good, body: { ...body, memo: 'other' } }, 401, 'PASSKEY_CHALLENGE_MISMATCH'],
      ['stale created', byPasskey(body, bobKey, c.bob, new Date(time.now.getTime() - DAY - 60_000)), 401, 'PASSKEY_EXPIRED'],
      ['missing user verification', byPasskey(body, bobKey, c.bob, time.now, { flags: 0x01 }), 401, 'PASSKEY_USER_NOT_VERIFIED'],
      ['another origin', byPasskey(body, bobKey, c.bob, time.now, { origin: 'https://phish.example' }), 401, 'PASSKEY_CHALLENGE_MISMATCH'],
      ['an approval statement', bobKey.statement(MESSAGE_TYPES.withdrawalApprove, body, c.bob.identityKey, time.now), 400, 'ENVELOPE_WRONG_TYPE'],
      ['a member of no proposing group', byPasskey(body, adaKey, c.ada), 403, 'FORBIDDEN'],
      ['a destination outside the address book', byPasskey(intentOf(250_000n, { outputs: [{ address: 'bcrt1qcamf2mw7y3tpdhk6ev3m36wp6qfygj8ay3n9q4', amount: '250000' }] })), 422, 'DESTINATION_NOT_IN_ADDRESS_BOOK'],
      ['another vault in the body', byPasskey({ ...body, vaultId: randomUUID() }), 400, 'VALIDATION_FAILED'],
    ];
    for (const [what, statement, status, code] of attempts) {
      const res = await post(statement);
      expect([what, res.status, res.body.error?.code]).toEqual([what, status, code]);
      expect(await written()).toEqual(before);
    }
    expect((await post(good)).status).toBe(201);
  });
});

describe(`passkey proposals to a vault with a simple policy (${DB})`, () => {
  let coord: RunningCoordinator;
  afterEach(async () => coord.close());

  it('are refused clearly, since a version-1 policy pins no passkeys', async () => {
    coord = await startInProcessCoordinator();
    const keyholders = threeKeyholders();
    const [alice] = keyholders as [TestKeyholder];
    const vault = await setupVault(coord, keyholders, 2, { version: 1, requiredApprovals: 1, maxFeeSats: '20000', maxFeeRate: '20' });
    await deposit(coord, vault, alice, [1_000_000n]);
    const statement = new SoftwarePasskey().statement(MESSAGE_TYPES.withdrawalPropose, simpleIntent(vault), alice.identityKey);
    const res = await coord.call<{ error: { code: string; message: string } }>('POST', `/api/v1/vaults/${vault.id}/withdrawals`, statement);
    expect([res.status, res.body.error.code]).toEqual([409, 'POLICY_NOT_GOVERNED']);
    expect(Number((await coord.dataSource.query('SELECT COUNT(*) AS n FROM withdrawals'))[0].n)).toBe(0);
  });
});
