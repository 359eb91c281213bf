/**
 * The coordinator's REST API against a real database (SQLite, or PostgreSQL when
 * DATABASE_URL is set): vault setup, deposits, proposals and signatures, and every bad input
 * answered with a 4xx and a stable code that leaves no partial state behind.
 */
import { MESSAGE_TYPES, type VaultView, type WithdrawalView } from '../../protocol/api';
import { intentHash } from '../../protocol/intent/intent-hash';
import { signVaultInputs } from '../../protocol/psbt';
import { type RunningCoordinator, startInProcessCoordinator } from '../support/in-process-coordinator';
import { type TestKeyholder, testKeyholder } from '../support/test-keyholder';
import { DESTINATION, deposit, intent, propose, setupVault, threeKeyholders } from '../support/vault-scenario';

type ErrorBody = { error: { code: string; message: string } };

/** The first half of a PSBT's bytes: well-formed base64, broken PSBT. */
function truncated(psbt: string): string {
  const bytes = Buffer.from(psbt, 'base64');
  return bytes.subarray(0, bytes.length >> 1).toString('base64');
}

async function snapshot(coord: RunningCoordinator) {
  const [audit] = await coord.dataSource.query('SELECT COUNT(*) AS n FROM audit_events');
  const [w] = await coord.dataSource.query('SELECT COUNT(*) AS n FROM withdrawals');
  const [reserved] = await coord.dataSource.query("SELECT COUNT(*) AS n FROM utxos WHERE status <> 'available'");
  const [sigs] = await coord.dataSource.query('SELECT COUNT(*) AS n FROM partial_signatures');
  return { audit: Number(audit.n), withdrawals: Number(w.n), reserved: Number(reserved.n), sigs: Number(sigs.n) };
}

function signatureEnvelope(k: TestKeyholder, w: WithdrawalView, sigs = signVaultInputs(w.psbt, k.account, { fingerprint: k.accountKey.fingerprint, path: k.accountPath }, [0]).partialSigs) {
  return k.sign(MESSAGE_TYPES.withdrawalSignature, { withdrawalId: w.id, intentHash: w.intentHash, unsignedTxid: w.unsignedTxid, partialSigs: sigs });
}

describe('withdrawal API', () => {
  let coord: RunningCoordinator;
  let keyholders: TestKeyholder[];
  let vault: VaultView;

  beforeEach(async () => {
    coord = await startInProcessCoordinator();
    keyholders = threeKeyholders();
    vault = await setupVault(coord, keyholders);
  });
  afterEach(async () => coord.close());

  it('runs a 2-of-3 withdrawal from proposal to an exported transaction, with an audit event per step', async () => {
    const txid = await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
    const proposed = await propose(coord, vault, keyholders[0]!, intent(vault));
    expect(proposed.status).toBe(201);
    expect(proposed.body.state).toBe('signing');
    expect(proposed.body.intentHash).toBe(intentHash(proposed.body.intent));
    const utxos = await coord.call<Array<{ txid: string; status: string; reservedBy: string }>>('GET', `/api/v1/vaults/${vault.id}/utxos`);
    expect(utxos.body).toEqual([expect.objectContaining({ txid, status: 'reserved', reservedBy: proposed.body.id })]);

    const first = await coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${proposed.body.id}/signatures`, signatureEnvelope(keyholders[1]!, proposed.body));
    expect(first.status).toBe(200);
    expect(first.body.state).toBe('signing');
    const second = await coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${proposed.body.id}/signatures`, signatureEnvelope(keyholders[2]!, proposed.body));
    expect(second.body.state).toBe('exported');
    expect(second.body.txid).toMatch(/^[0-9a-f]{64}$/);
    const tx = await coord.call<{ txid: string; hex: string }>('GET', `/api/v1/withdrawals/${proposed.body.id}/transaction`);
    expect(tx.body.txid).toBe(second.body.txid);
    const kinds = (await coord.call<Array<{ kind: string }>>('GET', '/api/v1/audit')).body.map((e) => e.kind);
    expect(kinds).toEqual(['member.joined', 'member.joined', 'member.joined', 'vault.created', 'vault.confirmed', 'vault.confirmed', 'vault.confirmed',
      'vault.activated', 'deposit.registered', 'withdrawal.proposed',
      'withdrawal.signing', 'signature.received', 'signature.received', 'withdrawal.signed', 'withdrawal.exported']);
    expect((await coord.call<{ valid: boolean }>('GET', '/api/v1/audit/verify')).body.valid).toBe(true);
    const spent = await coord.call<Array<{ status: string }>>('GET', `/api/v1/vaults/${vault.id}/utxos`);
    expect(spent.body.map((u) => u.status)).toEqual(['spent']);
  });

  it('returns the existing withdrawal for the same request id and content, and refuses other content', async () => {
    await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
    const body = intent(vault);
    const first = await propose(coord, vault, keyholders[0]!, body);
    const again = await propose(coord, vault, keyholders[0]!, body);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const before = await snapshot(coord);
    const other = await propose(coord, vault, keyholders[0]!, { ...body, outputs: [{ address: DESTINATION, amount: '300000' }] });
    expect(other.status).toBe(409);
    expect((other.body as unknown as ErrorBody).error.code).toBe('DUPLICATE_REQUEST');
    expect(await snapshot(coord)).toEqual(before);
  });

  const badProposals: Array<[string, (v: VaultView) => ReturnType<typeof intent>, number, string]> = [
    ['an address of the wrong network', (v) => intent(v, { outputs: [{ address: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', amount: '1000' }] }), 400, 'ADDRESS_WRONG_NETWORK'],
    ['an unparseable address', (v) => intent(v, { outputs: [{ address: 'bcrt1qnotanaddress', amount: '1000' }] }), 400, 'ADDRESS_INVALID'],
    ['an amount above the balance', (v) => intent(v, { outputs: [{ address: DESTINATION, amount: '5000000' }] }), 422, 'INSUFFICIENT_FUNDS'],
    ['a dust output', (v) => intent(v, { outputs: [{ address: DESTINATION, amount: '200' }] }), 400, 'DUST_OUTPUT'],
    ['an amount written as a number', (v) => ({ ...intent(v), outputs: [{ address: DESTINATION, amount: 1000 as unknown as string }] }), 400, 'VALIDATION_FAILED'],
    ['a fee cap below the fee', (v) => intent(v, { maxFee: '10' }), 400, 'FEE_RATE_INVALID'],
    ['an intent that already expired', (v) => intent(v, { expiresAt: new Date(Date.now() - 1000).toISOString() }), 400, 'VALIDATION_FAILED'],
  ];

  it.each(badProposals)('refuses %s with a stable code and leaves no state', async (_name, make, status, code) => {
    await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
    const before = await snapshot(coord);
    const res = await propose(coord, vault, keyholders[0]!, make(vault));
    expect(res.status).toBe(status);
    expect((res.body as unknown as ErrorBody).error.code).toBe(code);
    expect(await snapshot(coord)).toEqual(before);
  });

  it('refuses an unknown vault, malformed JSON and a replayed envelope', async () => {
    await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
    const unknown = await coord.call<ErrorBody>('POST', '/api/v1/vaults/00000000-0000-4000-8000-000000000000/withdrawals',
      keyholders[0]!.sign(MESSAGE_TYPES.withdrawalPropose, { ...intent(vault), vaultId: '00000000-0000-4000-8000-000000000000' }));
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'VAULT_NOT_FOUND']);
    const malformed = await coord.call<ErrorBody>('POST', `/api/v1/vaults/${vault.id}/withdrawals`, '{"v":1,');
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'MALFORMED_JSON']);
    const envelope = keyholders[0]!.sign(MESSAGE_TYPES.depositRegister, { vaultId: vault.id, rawTx: '00' });
    const tampered = { ...envelope, body: { ...envelope.body, vaultId: '00000000-0000-4000-8000-000000000000' } };
    const forged = await coord.call<ErrorBody>('POST', `/api/v1/vaults/${vault.id}/deposits`, tampered);
    expect([forged.status, forged.body.error.code]).toEqual([401, 'ENVELOPE_BAD_SIGNATURE']);
    const w = await propose(coord, vault, keyholders[0]!, intent(vault));
    const sig = signatureEnvelope(keyholders[1]!, w.body);
    expect((await coord.call('POST', `/api/v1/withdrawals/${w.body.id}/signatures`, sig)).status).toBe(200);
    const replay = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${w.body.id}/signatures`, sig);
    expect([replay.status, replay.body.error.code]).toEqual([409, 'ENVELOPE_REPLAYED']);
  });

  it('refuses an invalid partial signature and a signature by a key outside the vault, storing nothing', async () => {
    await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
    const w = (await propose(coord, vault, keyholders[0]!, intent(vault))).body;
    const before = await snapshot(coord);
    const good = signVaultInputs(w.psbt, keyholders[1]!.account, { fingerprint: keyholders[1]!.accountKey.fingerprint, path: keyholders[1]!.accountPath }, [0]).partialSigs;
    const flipped = good.map((s) => ({ ...s, signature: s.signature.slice(0, 20) + (s.signature[20] === '0' ? '1' : '0') + s.signature.slice(21) }));
    const invalid = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/signatures`, signatureEnvelope(keyholders[1]!, w, flipped));
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.code).toBe('SIGNATURE_INVALID');

    const outsider = testKeyholder('mallory', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
    await coord.call('POST', '/api/v1/members', outsider.sign(MESSAGE_TYPES.memberJoin, { name: 'mallory', network: 'regtest', accountKey: outsider.accountKey }));
    const afterJoin = await snapshot(coord);
    // Mallory's key is in no witness script, so she can only submit signatures she copied.
    const byOutsider = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/signatures`, signatureEnvelope(outsider, w, good));
    expect(byOutsider.status).toBe(403);
    expect(byOutsider.body.error.code).toBe('SIGNER_NOT_IN_VAULT');
    // Bob presenting Carol's valid signature as his own would count one person twice.
    const carols = signVaultInputs(w.psbt, keyholders[2]!.account, { fingerprint: keyholders[2]!.accountKey.fingerprint, path: keyholders[2]!.accountPath }, [0]).partialSigs;
    const borrowed = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/signatures`, signatureEnvelope(keyholders[1]!, w, carols));
    expect(borrowed.body.error.code).toBe('SIGNER_NOT_IN_VAULT');
    expect({ ...(await snapshot(coord)), audit: before.audit }).toEqual({ ...afterJoin, audit: before.audit });
    expect((await snapshot(coord)).sigs).toBe(0);
  });

  it('takes a PSBT signed in another wallet, and refuses a malformed one or one for another transaction', async () => {
    await deposit(coord, vault, keyholders[0]!, [1_000_000n, 900_000n]);
    const w = (await propose(coord, vault, keyholders[0]!, intent(vault))).body;
    const other = (await propose(coord, vault, keyholders[0]!, intent(vault))).body;
    const bob = keyholders[1]!;
    const withPsbt = (psbt: string, target = w) => bob.sign(MESSAGE_TYPES.withdrawalSignature, { withdrawalId: target.id, intentHash: target.intentHash, unsignedTxid: target.unsignedTxid, psbt });
    const before = await snapshot(coord);
    const malformed = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/signatures`, withPsbt(truncated(w.psbt)));
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'PSBT_MALFORMED']);
    const signedOther = signVaultInputs(other.psbt, bob.account, { fingerprint: bob.accountKey.fingerprint, path: bob.accountPath }, [0]).psbt;
    const mismatch = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/signatures`, withPsbt(signedOther));
    expect([mismatch.status, mismatch.body.error.code]).toEqual([422, 'PSBT_MISMATCH']);
    const unsigned = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${w.id}/signatures`, withPsbt(w.psbt));
    expect(unsigned.body.error.code).toBe('SIGNATURE_INVALID');
    expect(await snapshot(coord)).toEqual(before);

    const signed = signVaultInputs(w.psbt, bob.account, { fingerprint: bob.accountKey.fingerprint, path: bob.accountPath }, [0]).psbt;
    expect((await coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${w.id}/signatures`, withPsbt(signed))).status).toBe(200);
    const done = await coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${w.id}/signatures`, signatureEnvelope(keyholders[2]!, w));
    expect(done.body.state).toBe('exported');
  });

  it('finalizes when the last two signatures arrive at the same moment', async () => {
    await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
    const w = (await propose(coord, vault, keyholders[0]!, intent(vault))).body;
    const answers = await Promise.all([keyholders[1]!, keyholders[2]!].map((k) => coord.call<WithdrawalView>('POST', `/api/v1/withdrawals/${w.id}/signatures`, signatureEnvelope(k, w))));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const final = await coord.call<WithdrawalView>('GET', `/api/v1/withdrawals/${w.id}`);
    expect(final.body.state).toBe('exported');
    expect(final.body.signatures).toHaveLength(2);
  });

  it('never gives one coin to two concurrent proposals', async () => {
    await deposit(coord, vault, keyholders[0]!, [1_000_000n]);
    const attempts = await Promise.all([0, 1, 2, 3].map(() => propose(coord, vault, keyholders[0]!, intent(vault, { outputs: [{ address: DESTINATION, amount: '600000' }] }))));
    const statuses = attempts.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 422, 422, 422]);
    const rows: Array<{ reserved_by: string | null }> = await coord.dataSource.query('SELECT reserved_by FROM utxos');
    const winner = attempts.find((a) => a.status === 201)!.body.id;
    expect(rows.map((r) => r.reserved_by)).toEqual([winner]);
    const [count] = await coord.dataSource.query('SELECT COUNT(*) AS n FROM withdrawals');
    expect(Number(count.n)).toBe(1);
  });
});
