/**
 * A fee bump with a chain backend, and which of the two transactions is mined: the replacement
 * takes the original's place in the node's mempool and confirms; or the original is mined
 * anyway (before the replacement is signed, or by a miner that never saw the replacement), and
 * the withdrawal is settled on it: confirmed with the original's txid, the audit event saying
 * so, nothing resent, the replacement's signatures dropped; and after a reorg in which the
 * replacement is mined instead, settled on the replacement. Real coordinator, strict servers.
 */
import { ChainBroadcastEntity } from '../../server/chain-watch/chain-broadcast.entity';
import { WithdrawalTransactionEntity } from '../../server/withdrawals/withdrawal-transaction.entity';
import { describeWithVectors } from '../vectors/locate';
import {
  type BackendKind, type ChainScenario, auditKinds, auditValid, bumpFee, coins, pay, signCurrent, signedWithdrawal, startScenario, vaultAddress, withdrawalState,
} from './chain-harness';

async function outbox(s: ChainScenario, withdrawalId: string): Promise<ChainBroadcastEntity> {
  return s.coord.dataSource.getRepository(ChainBroadcastEntity).findOneOrFail({ where: { withdrawalId } });
}

async function replacedTxids(s: ChainScenario, withdrawalId: string): Promise<Array<string | null>> {
  return (await s.coord.dataSource.getRepository(WithdrawalTransactionEntity).find({ where: { withdrawalId } })).map((t) => t.txid);
}

/** A funded vault and a withdrawal broadcast into the node's mempool. */
async function broadcastWithdrawal(s: ChainScenario, depth = 1) {
  pay(s.server.chain, [{ address: vaultAddress(s.vault, 0, 0), amount: 1_000_000n }]);
  s.server.chain.mine(depth);
  await s.poll();
  const signed = await signedWithdrawal(s);
  await s.broadcaster.runDue();
  const original = await withdrawalState(s, signed.id);
  expect(original.state).toBe('broadcast');
  expect(s.server.chain.mempool).toEqual([original.txid]);
  return original;
}

describeWithVectors('chain watcher: a fee-bumped withdrawal and the transaction that is mined', (dir) => {
  describe.each<BackendKind>(['core', 'esplora'])('with %s', (kind) => {
    let s: ChainScenario;
    afterEach(async () => {
      if (s) {
        expect(s.server.problems()).toEqual([]);
        await s.close();
      }
    });

    it('the replacement replaces the original in the mempool and confirms', async () => {
      s = await startScenario(kind, dir);
      const chain = s.server.chain;
      const original = await broadcastWithdrawal(s);
      const bumped = await bumpFee(s, original, '6');
      expect(bumped.state).toBe('signing');
      // Meanwhile the original is followed in the mempool; nothing changes.
      expect((await s.poll()).withdrawals).toEqual([]);
      expect((await signCurrent(s, bumped)).body.state).toBe('signed');
      await s.broadcaster.runDue();
      const replaced = await withdrawalState(s, original.id);
      expect(replaced.state).toBe('broadcast');
      expect(replaced.txid).not.toBe(original.txid);
      expect(BigInt(replaced.fee)).toBeGreaterThan(BigInt(original.fee));
      expect(chain.mempool).toEqual([replaced.txid]);

      chain.mine();
      expect((await s.poll()).withdrawals).toEqual([{ withdrawalId: original.id, txid: replaced.txid, change: 'confirmed' }]);
      expect(await withdrawalState(s, original.id)).toMatchObject({ state: 'confirmed', txid: replaced.txid, fee: replaced.fee });
      expect(await outbox(s, original.id)).toMatchObject({ txid: replaced.txid, state: 'accepted' });
      expect(await replacedTxids(s, original.id)).toEqual([original.txid]);
      const confirmed = (await auditKinds(s.coord, 'withdrawal.confirmed')).at(-1)!;
      expect(confirmed.payload.txid).toBe(replaced.txid);
      expect(confirmed.payload.replacedTxConfirmed).toBeUndefined();
      expect(await auditValid(s.coord)).toBe(true);
    });

    it('the original mined before the replacement is signed: confirmed on the original, nothing resent, the replacement moot', async () => {
      s = await startScenario(kind, dir);
      const chain = s.server.chain;
      const original = await broadcastWithdrawal(s);
      const bumped = await bumpFee(s, original, '6');
      // One keyholder signed the replacement before the original was mined.
      expect((await signCurrent(s, bumped, [1])).body.state).toBe('signing');
      chain.mine(1, [original.txid!]);

      expect((await s.poll()).withdrawals).toEqual([{ withdrawalId: original.id, txid: original.txid, change: 'replaced-confirmed' }]);
      const settled = await withdrawalState(s, original.id);
      expect(settled).toMatchObject({ state: 'confirmed', txid: original.txid, txHex: original.txHex, fee: original.fee, unsignedTxid: original.unsignedTxid, signatures: [] });
      // It keeps the latest intent its members signed; the event says which transaction paid it.
      expect(settled.intentHash).toBe(bumped.intentHash);
      const confirmed = (await auditKinds(s.coord, 'withdrawal.')).at(-1)!;
      expect(confirmed).toEqual({
        kind: 'withdrawal.confirmed',
        payload: {
          txid: original.txid, blockHash: chain.tip.hash, blockHeight: chain.tip.height, confirmations: 1,
          replacedTxConfirmed: true, intentHash: original.intentHash, fee: original.fee,
          replacementIntentHash: bumped.intentHash, replacementTxid: null, replacementState: 'signing',
          discarded: { approvals: 0, signatures: 1 },
        },
      });
      // The outbox follows the mined transaction; the replacement's row is gone, and the
      // replacement (never signed) is kept among the transactions the withdrawal had.
      expect(await outbox(s, original.id)).toMatchObject({ txid: original.txid, state: 'accepted', blockHash: chain.tip.hash });
      expect(await replacedTxids(s, original.id)).toEqual([null]);
      expect((await coins(s.coord)).filter((c) => c.reserved_by === original.id).map((c) => c.status)).toEqual(['spent']);

      // The last signature comes too late, with a clear refusal; nothing is sent, and later passes change nothing.
      const late = await signCurrent(s, bumped, [2]);
      expect(late.status).toBe(409);
      expect(late.body.error!.code).toBe('WITHDRAWAL_STATE');
      const sent = s.server.broadcasts().length;
      expect(await s.broadcaster.runDue()).toEqual([]);
      chain.mine();
      expect((await s.poll()).withdrawals).toEqual([]);
      expect(s.server.broadcasts().length).toBe(sent);
      expect((await withdrawalState(s, original.id)).state).toBe('confirmed');
      expect(await auditValid(s.coord)).toBe(true);
    });

    it('the original mined by a miner that never saw the replacement: held until deep enough, settled, and a reorg that mines the replacement instead settles on it', async () => {
      s = await startScenario(kind, dir, { CONCLAVE_MIN_CONFIRMATIONS: '2' });
      const chain = s.server.chain;
      const original = await broadcastWithdrawal(s, 2);
      const bumped = await bumpFee(s, original, '6');
      await signCurrent(s, bumped);
      await s.broadcaster.runDue();
      const replacement = await withdrawalState(s, original.id);
      expect(chain.mempool).toEqual([replacement.txid]);

      chain.mine(1, [original.txid!]);
      expect(chain.mempool).toEqual([]);
      // One block deep, two needed: not settled yet, and the replacement (which can never confirm now) is not sent again.
      const sent = s.server.broadcasts().length;
      const held = await s.poll();
      await s.broadcaster.runDue();
      expect([held.withdrawals, s.server.broadcasts().length]).toEqual([[], sent]);
      expect(await withdrawalState(s, original.id)).toMatchObject({ state: 'broadcast', txid: replacement.txid });
      chain.mine();
      expect((await s.poll()).withdrawals).toEqual([{ withdrawalId: original.id, txid: original.txid, change: 'replaced-confirmed' }]);
      expect(await withdrawalState(s, original.id)).toMatchObject({ state: 'confirmed', txid: original.txid });
      expect((await auditKinds(s.coord, 'withdrawal.confirmed')).at(-1)!.payload).toMatchObject({
        txid: original.txid, confirmations: 2, replacedTxConfirmed: true, replacementTxid: replacement.txid, replacementState: 'broadcast',
      });
      expect(await replacedTxids(s, original.id)).toEqual([replacement.txid]);

      // A reorg takes both blocks off; the original vanishes, and a peer that kept the replacement relays it.
      chain.disconnect(2, [original.txid!]);
      expect(chain.submit(replacement.txHex!)).toMatchObject({ ok: true });
      const reorg = await s.poll();
      expect(reorg.withdrawals).toEqual([{ withdrawalId: original.id, txid: original.txid, change: 'unconfirmed' }]);
      // The original is sent again, as for any withdrawal reorganized out; the node prefers the replacement.
      await s.broadcaster.runDue();
      expect(await outbox(s, original.id)).toMatchObject({ txid: original.txid, state: 'rejected', rejectReason: expect.stringMatching(/^insufficient fee, rejecting replacement/) });
      expect(await withdrawalState(s, original.id)).toMatchObject({ state: 'broadcast', txid: original.txid });
      chain.mine(2);
      expect((await s.poll()).withdrawals).toEqual([{ withdrawalId: original.id, txid: replacement.txid, change: 'replaced-confirmed' }]);
      expect(await withdrawalState(s, original.id)).toMatchObject({ state: 'confirmed', txid: replacement.txid, fee: replacement.fee });
      expect(await outbox(s, original.id)).toMatchObject({ txid: replacement.txid, state: 'accepted' });
      expect(await replacedTxids(s, original.id)).toEqual([original.txid]);
      expect((await auditKinds(s.coord, 'withdrawal.')).map((e) => e.kind).slice(-4)).toEqual([
        'withdrawal.confirmed', 'withdrawal.unconfirmed', 'withdrawal.broadcast-rejected', 'withdrawal.confirmed',
      ]);
      expect(await auditValid(s.coord)).toBe(true);
    });
  });
});
