/**
 * Finalized withdrawals with a chain backend: the mempool check and broadcast (`signed ->
 * broadcast`), tracking to the configured depth (`confirmed`), a reorg that takes a confirmed
 * withdrawal out and brings it back (and sends it again when it left the mempool), retries
 * after 5xx and time-outs, a refusal with its reason, and a restart in the middle of a broadcast
 * that sends the same transaction again and no other. Real coordinator, strict servers.
 */
import { ChainBroadcastEntity } from '../../server/chain-watch/chain-broadcast.entity';
import { describeWithVectors } from '../vectors/locate';
import { type BackendKind, type ChainScenario, auditKinds, auditValid, coins, pay, signedWithdrawal, startScenario, vaultAddress, withdrawalState } from './chain-harness';

async function outbox(s: ChainScenario, withdrawalId: string): Promise<ChainBroadcastEntity> {
  return s.coord.dataSource.getRepository(ChainBroadcastEntity).findOneOrFail({ where: { withdrawalId } });
}

/** A 1,000,000 sat deposit at receive index 0, `depth` blocks deep, seen by the watcher. */
async function funded(s: ChainScenario, depth = 1): Promise<string> {
  const txid = pay(s.server.chain, [{ address: vaultAddress(s.vault, 0, 0), amount: 1_000_000n }]);
  s.server.chain.mine(depth);
  await s.poll();
  return txid;
}

describeWithVectors('chain watcher: broadcast and confirmations', (dir) => {
  describe.each<BackendKind>(['core', 'esplora'])('with %s', (kind) => {
    let s: ChainScenario;
    afterEach(async () => {
      if (s) {
        expect(s.server.problems()).toEqual([]);
        await s.close();
      }
    });

    it('broadcasts a finalized withdrawal instead of exporting it, and follows it to the configured depth', async () => {
      s = await startScenario(kind, dir, { CONCLAVE_MIN_CONFIRMATIONS: '2' });
      await funded(s, 2);
      const signed = await signedWithdrawal(s);
      expect(signed.state).toBe('signed');
      await s.broadcaster.runDue();
      const w = await withdrawalState(s, signed.id);
      expect(w.state).toBe('broadcast');
      const final = await s.coord.call<{ txid: string; hex: string }>('GET', `/api/v1/withdrawals/${w.id}/transaction`);
      expect(s.server.broadcasts()).toEqual([final.body.hex]);
      expect(s.server.chain.mempool).toContain(w.txid);
      expect((await coins(s.coord)).filter((c) => c.reserved_by === w.id).map((c) => c.status)).toEqual(['spent']);

      s.server.chain.mine();
      await s.poll();
      expect((await withdrawalState(s, w.id)).state).toBe('broadcast');
      // Its change output comes back as a deposit on the change chain.
      expect((await coins(s.coord)).filter((c) => c.change === 1).map((c) => c.txid)).toEqual([w.txid]);
      s.server.chain.mine();
      const report = await s.poll();
      expect(report.withdrawals).toEqual([{ withdrawalId: w.id, txid: w.txid, change: 'confirmed' }]);
      expect((await withdrawalState(s, w.id)).state).toBe('confirmed');
      const events = await auditKinds(s.coord, 'withdrawal.');
      expect(events.map((e) => e.kind).slice(-3)).toEqual(['withdrawal.signed', 'withdrawal.broadcast', 'withdrawal.confirmed']);
      expect(events.find((e) => e.kind === 'withdrawal.broadcast')!.payload.check).toBe(kind === 'core' ? 'accepted' : 'unchecked');
      expect(await auditValid(s.coord)).toBe(true);
    });

    it('a reorg takes a confirmed withdrawal back to broadcast, sends it again when it left the mempool, and a reorg restores it', async () => {
      s = await startScenario(kind, dir);
      const chain = s.server.chain;
      await funded(s);
      const signed = await signedWithdrawal(s);
      await s.broadcaster.runDue();
      chain.mine();
      await s.poll();
      expect((await withdrawalState(s, signed.id)).state).toBe('confirmed');
      const txid = (await withdrawalState(s, signed.id)).txid!;

      // Taken off: back in the mempool, so back to broadcast.
      const taken = chain.disconnect(1);
      expect((await s.poll()).withdrawals).toEqual([{ withdrawalId: signed.id, txid, change: 'unconfirmed' }]);
      expect((await withdrawalState(s, signed.id)).state).toBe('broadcast');
      chain.reconnect(taken);
      await s.poll();
      expect((await withdrawalState(s, signed.id)).state).toBe('confirmed');

      // Taken off and gone from the mempool: back to broadcast, and the same transaction is sent again.
      chain.disconnect(1, [txid]);
      const gone = await s.poll();
      expect(gone.withdrawals).toEqual([{ withdrawalId: signed.id, txid, change: 'unconfirmed' }]);
      await s.broadcaster.runDue();
      expect(chain.mempool).toContain(txid);
      expect(new Set(s.server.broadcasts()).size).toBe(1);
      expect(s.server.broadcasts().length).toBe(2);
      chain.mine();
      await s.poll();
      expect((await withdrawalState(s, signed.id)).state).toBe('confirmed');
      const events = (await auditKinds(s.coord, 'withdrawal.')).map((e) => [e.kind, e.payload.now ?? null]);
      expect(events.slice(-7)).toEqual([
        ['withdrawal.broadcast', null], ['withdrawal.confirmed', null], ['withdrawal.unconfirmed', 'mempool'], ['withdrawal.confirmed', null],
        ['withdrawal.unconfirmed', 'gone'], ['withdrawal.rebroadcast', null], ['withdrawal.confirmed', null],
      ]);
      expect(await auditValid(s.coord)).toBe(true);
    });

    it('retries a broadcast after 5xx answers and time-outs, keeping the withdrawal signed meanwhile', async () => {
      s = await startScenario(kind, dir, { CONCLAVE_CHAIN_TIMEOUT_MS: '2000' });
      await funded(s);
      // More failures than the client's own quick retries: the outbox backs off and tries later.
      if (kind === 'core') s.server.core!.fault('sendrawtransaction', { kind: 'raw', status: 503, body: 'Work queue depth exceeded' }, 3);
      else s.server.esplora!.fault('POST /tx', { kind: 'raw', status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' }, 3);
      const signed = await signedWithdrawal(s);
      await s.broadcaster.runDue();
      let row = await outbox(s, signed.id);
      expect([row.state, row.attempts]).toEqual(['pending', 1]);
      expect(row.lastError).toMatch(/CHAIN_UNAVAILABLE.*HTTP 50[23]/);
      expect((await withdrawalState(s, signed.id)).state).toBe('signed');
      // Not due yet: nothing is sent.
      expect(await s.broadcaster.runDue()).toEqual([]);

      // Next time the node does not answer at all.
      if (kind === 'core') s.server.core!.fault('sendrawtransaction', { kind: 'hang' }, 10);
      else s.server.esplora!.fault('POST /tx', { kind: 'hang' }, 10);
      const later = new Date(Date.parse(row.nextAttemptAt) + 1000);
      const [timedOut] = await s.broadcaster.runDue(later);
      expect(timedOut).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/CHAIN_UNAVAILABLE.*time-out/) });
      row = await outbox(s, signed.id);
      expect(row.attempts).toBe(2);
      // The pause doubled: 10 s after the first failure, 20 s after the second (give or take the time the write took).
      const pause = Date.parse(row.nextAttemptAt) - Date.parse(row.updatedAt);
      expect(pause).toBeGreaterThan(18_000);
      expect(pause).toBeLessThanOrEqual(20_000);
      if (kind === 'core') s.server.core!.fault('sendrawtransaction', { kind: 'hang' }, 0);
      else s.server.esplora!.fault('POST /tx', { kind: 'hang' }, 0);
      const [sent] = await s.broadcaster.runDue(new Date(Date.parse(row.nextAttemptAt) + 1000));
      expect(sent).toMatchObject({ outcome: 'accepted' });
      expect((await withdrawalState(s, signed.id)).state).toBe('broadcast');
      expect(new Set(s.server.broadcasts()).size).toBe(1);
    });

    it('a refusal by the node keeps the withdrawal signed with its reason and an event; an operator retry sends it', async () => {
      s = await startScenario(kind, dir);
      await funded(s);
      // The refusal recorded from a real node for a fee below its minimum relay fee (a segwit txid is the unsigned one).
      const signed = await signedWithdrawal(s, (w) => s.server.chain.refusals.set(w.unsignedTxid, { reason: 'min relay fee not met', details: 'min relay fee not met, 10 < 15' }));
      await s.broadcaster.runDue();
      const row = await outbox(s, signed.id);
      expect([row.state, row.rejectReason]).toEqual(['rejected', 'min relay fee not met, 10 < 15']);
      expect((await withdrawalState(s, signed.id)).state).toBe('signed');
      const [event] = await auditKinds(s.coord, 'withdrawal.broadcast-rejected');
      expect(event!.payload).toMatchObject({ txid: signed.txid, by: kind === 'core' ? 'testmempoolaccept' : 'broadcast', reason: 'min relay fee not met, 10 < 15' });
      // Core's check refused it before anything was sent; Esplora has no check, so its broadcast was refused.
      expect(s.server.broadcasts().length).toBe(kind === 'core' ? 0 : 1);
      // Not retried on its own, however much time passes.
      expect(await s.broadcaster.runDue(new Date(Date.now() + 86_400_000))).toEqual([]);
      expect(await s.broadcaster.retry('00000000-0000-4000-8000-000000000000')).toBe(false);

      s.server.chain.refusals.clear();
      expect(await s.broadcaster.retry(signed.id)).toBe(true);
      await s.broadcaster.runDue();
      expect((await withdrawalState(s, signed.id)).state).toBe('broadcast');
      expect(s.server.chain.mempool).toContain(signed.txid);
      expect(await auditValid(s.coord)).toBe(true);
    });
  });
});
