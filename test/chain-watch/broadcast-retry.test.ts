/**
 * A member's retry of a refused broadcast (POST /api/v1/withdrawals/:id/broadcast/retry, and
 * `signer-cli withdrawal rebroadcast`): the node refuses a finalized withdrawal, a keyholder's
 * signed statement makes it due again, and the same transaction goes out; the audit log names
 * who asked and still verifies. Bad statements get their codes, and nothing is re-armed by them.
 * Real coordinator, strict chain servers (test/chain).
 */
import { randomUUID } from 'node:crypto';
import { MESSAGE_TYPES, type BroadcastRetryView, type WithdrawalView } from '../../protocol/api';
import { ChainBroadcastEntity } from '../../server/chain-watch/chain-broadcast.entity';
import { startInProcessCoordinator } from '../support/in-process-coordinator';
import { keyholderHome } from '../support/keyholder-home';
import { type TestKeyholder, TRANSCRIPT_MNEMONICS, testKeyholder } from '../support/test-keyholder';
import { describeWithVectors } from '../vectors/locate';
import { type BackendKind, type ChainScenario, auditKinds, auditValid, pay, signedWithdrawal, startScenario, vaultAddress, withdrawalState } from './chain-harness';
import { runCliJson } from '../support/cli-in-process';

interface ErrorBody { error: { code: string; message: string; details?: Record<string, unknown> } }
const REFUSAL = { reason: 'min relay fee not met', details: 'min relay fee not met, 10 < 15' };

async function outboxState(s: ChainScenario, withdrawalId: string): Promise<string> {
  return (await s.coord.dataSource.getRepository(ChainBroadcastEntity).findOneOrFail({ where: { withdrawalId } })).state;
}

/** A funded vault and a withdrawal whose broadcast the node refused (it stays signed). */
async function refused(s: ChainScenario): Promise<WithdrawalView> {
  pay(s.server.chain, [{ address: vaultAddress(s.vault, 0, 0), amount: 1_000_000n }]);
  s.server.chain.mine();
  await s.poll();
  const signed = await signedWithdrawal(s, (w) => s.server.chain.refusals.set(w.unsignedTxid, REFUSAL));
  await s.broadcaster.runDue();
  expect(await outboxState(s, signed.id)).toBe('rejected');
  expect((await withdrawalState(s, signed.id)).state).toBe('signed');
  return signed;
}

function retryStatement(by: TestKeyholder, w: { id: string; txid: string | null }, txid = w.txid) {
  return by.sign(MESSAGE_TYPES.withdrawalBroadcastRetry, { withdrawalId: w.id, txid });
}

async function retry(s: ChainScenario, withdrawalId: string, statement: unknown) {
  return s.coord.call<BroadcastRetryView & ErrorBody>('POST', `/api/v1/withdrawals/${withdrawalId}/broadcast/retry`, statement);
}

/** signer-cli in this process, --json: its exit code and the one JSON object it printed. */
const cli = runCliJson;

describeWithVectors('chain watcher: a member retries a refused broadcast', (dir) => {
  let s: ChainScenario | undefined;
  afterEach(async () => {
    if (s) {
      expect(s.server.problems()).toEqual([]);
      await s.close();
      s = undefined;
    }
  });

  describe.each<BackendKind>(['core', 'esplora'])('with %s', (kind) => {
    it('refused, then retried by a keyholder\'s statement: the same transaction is broadcast and the log names who asked', async () => {
      s = await startScenario(kind, dir);
      const w = await refused(s);
      const alice = s.keyholders[0]!;

      // Still refused: the retry is taken, the node refuses again, and it stays signed.
      const first = await retry(s, w.id, retryStatement(alice, w));
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ retried: true, withdrawalId: w.id, txid: w.txid, refusedReason: REFUSAL.details, nextAttemptAt: expect.any(String) });
      await s.broadcaster.runDue();
      expect(await outboxState(s, w.id)).toBe('rejected');
      expect((await withdrawalState(s, w.id)).state).toBe('signed');

      // The fee is enough now: a new statement, by another keyholder, and it goes out.
      s.server.chain.refusals.clear();
      const second = await retry(s, w.id, retryStatement(s.keyholders[1]!, w));
      expect(second.status).toBe(200);
      await s.broadcaster.runDue();
      expect((await withdrawalState(s, w.id)).state).toBe('broadcast');
      expect(s.server.chain.mempool).toContain(w.txid);
      // Only ever the approved transaction.
      const final = await s.coord.call<{ hex: string }>('GET', `/api/v1/withdrawals/${w.id}/transaction`);
      expect([...new Set(s.server.broadcasts())]).toEqual([final.body.hex]);

      const events = await auditKinds(s.coord, 'withdrawal.');
      expect(events.map((e) => e.kind).slice(-5)).toEqual([
        'withdrawal.broadcast-rejected', 'withdrawal.broadcast-retried', 'withdrawal.broadcast-rejected', 'withdrawal.broadcast-retried', 'withdrawal.broadcast',
      ]);
      const rows: Array<{ actor: string | null }> = await s.coord.dataSource.query("SELECT actor FROM audit_events WHERE kind = 'withdrawal.broadcast-retried' ORDER BY seq");
      expect(rows.map((r) => r.actor)).toEqual([alice.identityKey, s.keyholders[1]!.identityKey]);
      expect(events.find((e) => e.kind === 'withdrawal.broadcast-retried')!.payload).toEqual({ txid: w.txid, refusedReason: REFUSAL.details });
      expect(await auditValid(s.coord)).toBe(true);
    });
  });

  it('refuses bad statements with their codes, and none of them re-arms the broadcast', async () => {
    s = await startScenario('core', dir);
    const w = await refused(s);
    const alice = s.keyholders[0]!;
    const code = async (withdrawalId: string, statement: unknown) => {
      const res = await retry(s!, withdrawalId, statement);
      return [res.status, res.body.error?.code];
    };

    const unknown = randomUUID();
    expect(await code(unknown, alice.sign(MESSAGE_TYPES.withdrawalBroadcastRetry, { withdrawalId: unknown, txid: w.txid }))).toEqual([404, 'WITHDRAWAL_NOT_FOUND']);
    expect(await code(w.id, retryStatement(alice, w, 'ab'.repeat(32)))).toEqual([409, 'BROADCAST_NOT_REFUSED']);
    expect(await code(w.id, alice.sign(MESSAGE_TYPES.withdrawalBroadcastRetry, { withdrawalId: unknown, txid: w.txid }))).toEqual([400, 'VALIDATION_FAILED']);
    expect(await code(w.id, alice.sign(MESSAGE_TYPES.withdrawalBroadcastRetry, { withdrawalId: w.id }))).toEqual([400, 'VALIDATION_FAILED']);
    expect(await code(w.id, alice.sign(MESSAGE_TYPES.withdrawalCancel, { withdrawalId: w.id, txid: w.txid }))).toEqual([400, 'ENVELOPE_WRONG_TYPE']);
    const forged = { ...retryStatement(alice, w), signer: s.keyholders[1]!.identityKey };
    expect(await code(w.id, forged)).toEqual([401, 'ENVELOPE_BAD_SIGNATURE']);
    // A key that is no member of this vault (nor of any).
    const mallory = testKeyholder('mallory', 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong');
    expect(await code(w.id, retryStatement(mallory, w))).toEqual([403, 'NOT_A_MEMBER']);
    // No statement at all: the gate asks for one.
    expect(await code(w.id, {})).toEqual([401, 'AUTH_REQUIRED']);
    expect(await outboxState(s, w.id)).toBe('rejected');
    expect(await auditKinds(s.coord, 'withdrawal.broadcast-retried')).toEqual([]);

    // A statement counts once: sent again while the broadcast is refused again, it is a replay.
    const statement = retryStatement(alice, w);
    expect((await retry(s, w.id, statement)).status).toBe(200);
    await s.broadcaster.runDue();
    expect(await outboxState(s, w.id)).toBe('rejected');
    expect(await code(w.id, statement)).toEqual([409, 'ENVELOPE_REPLAYED']);
    expect(await outboxState(s, w.id)).toBe('rejected');

    // Accepted: nothing is refused any more.
    s.server.chain.refusals.clear();
    expect((await retry(s, w.id, retryStatement(alice, w))).status).toBe(200);
    await s.broadcaster.runDue();
    expect((await withdrawalState(s, w.id)).state).toBe('broadcast');
    const after = await retry(s, w.id, retryStatement(alice, w));
    expect([after.status, after.body.error.code, after.body.error.details]).toEqual([409, 'BROADCAST_NOT_REFUSED', { withdrawalState: 'broadcast', broadcastState: 'accepted' }]);
    expect(await auditValid(s.coord)).toBe(true);
  });

  it('signer-cli withdrawal rebroadcast signs and sends the retry, and says when there is nothing to retry', async () => {
    s = await startScenario('esplora', dir);
    const w = await refused(s);
    const saved = process.env.CONCLAVE_PASSPHRASE;
    process.env.CONCLAVE_PASSPHRASE = 'rebroadcast test';
    try {
      const home = keyholderHome(s.keyholders[2]!, TRANSCRIPT_MNEMONICS[2]!, 'rebroadcast test');
      const args = ['--home', home, '--coordinator', s.coord.url, 'withdrawal', 'rebroadcast'];
      s.server.chain.refusals.clear();
      const done = await cli(...args, w.id);
      expect(done).toEqual({ code: 0, json: { retried: true, withdrawalId: w.id, txid: w.txid, refusedReason: REFUSAL.details, nextAttemptAt: expect.any(String) } });
      await s.broadcaster.runDue();
      expect((await withdrawalState(s, w.id)).state).toBe('broadcast');
      const rows: Array<{ actor: string | null }> = await s.coord.dataSource.query("SELECT actor FROM audit_events WHERE kind = 'withdrawal.broadcast-retried'");
      expect(rows).toEqual([{ actor: s.keyholders[2]!.identityKey }]);

      // Broadcast already: nothing to retry (exit 5, the coordinator's side), nothing signed.
      const again = await cli(...args, w.id);
      expect(again.code).toBe(5);
      expect(again.json).toMatchObject({ error: { code: 'BROADCAST_NOT_REFUSED', hint: expect.any(String) } });
      const usage = await cli(...args, 'not-a-uuid');
      expect([usage.code, (usage.json.error as { code: string }).code]).toEqual([2, 'VALIDATION_FAILED']);
    } finally {
      if (saved === undefined) delete process.env.CONCLAVE_PASSPHRASE;
      else process.env.CONCLAVE_PASSPHRASE = saved;
    }
  });
});

describe('broadcast retry without a chain backend', () => {
  it('answers CHAIN_OFFLINE: an offline coordinator broadcasts nothing', async () => {
    const coord = await startInProcessCoordinator({ CONCLAVE_CHAIN: 'offline' });
    try {
      const k = testKeyholder('alice', TRANSCRIPT_MNEMONICS[0]!);
      const id = randomUUID();
      const res = await coord.call<ErrorBody>('POST', `/api/v1/withdrawals/${id}/broadcast/retry`, k.sign(MESSAGE_TYPES.withdrawalBroadcastRetry, { withdrawalId: id, txid: 'cd'.repeat(32) }));
      expect([res.status, res.body.error.code]).toEqual([409, 'CHAIN_OFFLINE']);
    } finally {
      await coord.close();
    }
  });
});
