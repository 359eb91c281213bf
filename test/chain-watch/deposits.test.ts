/**
 * Deposits found on the chain by the watcher, with a real coordinator against the strict Core
 * and Esplora servers over a scripted chain: receive and change addresses, the gap limit, the
 * confirmation depth that gates coin selection, and reorgs that take a confirmed deposit out
 * (back to the mempool, or gone) and bring it back.
 */
import { deriveVaultScript, parseVaultDescriptor } from '../../protocol/descriptor';
import { ChainWatchService } from '../../server/chain-watch/chain-watch.service';
import { frostKeyholders, setupFrostVault } from '../support/frost-vault-scenario';
import { startInProcessCoordinator } from '../support/in-process-coordinator';
import { intent, propose } from '../support/vault-scenario';
import { describeWithVectors } from '../vectors/locate';
import { type BackendKind, type ChainScenario, auditKinds, auditValid, coins, pay, startChainServer, startScenario, vaultAddress } from './chain-harness';

describeWithVectors('chain watcher: deposits', (dir) => {
  describe.each<BackendKind>(['core', 'esplora'])('with %s', (kind) => {
    let s: ChainScenario;
    afterEach(async () => {
      if (s) {
        expect(s.server.problems()).toEqual([]);
        await s.close();
      }
    });

    it('finds a deposit on a receive address and one on a change address, with their full transactions and an event each', async () => {
      s = await startScenario(kind, dir);
      const onReceive = pay(s.server.chain, [{ address: vaultAddress(s.vault, 0, 1), amount: 400_000n }]);
      const onChange = pay(s.server.chain, [{ address: vaultAddress(s.vault, 1, 0), amount: 300_000n }]);
      s.server.chain.mine();
      const report = await s.poll();
      expect(report.deposits.detected.sort()).toEqual([`${onReceive}:0`, `${onChange}:0`].sort());
      expect(await coins(s.coord)).toEqual([
        expect.objectContaining({ txid: onReceive, change: 0, idx: 1, status: 'available' }),
        expect.objectContaining({ txid: onChange, change: 1, idx: 0, status: 'available' }),
      ]);
      const raw: Array<{ txid: string; hex: string }> = await s.coord.dataSource.query('SELECT txid, hex FROM raw_transactions ORDER BY txid');
      expect(raw.map((r) => r.txid).sort()).toEqual([onReceive, onChange].sort());
      expect(raw.find((r) => r.txid === onReceive)!.hex).toBe(s.server.chain.txs.get(onReceive)!.hex);
      const [vault] = await s.coord.dataSource.query('SELECT next_receive_index AS r, next_change_index AS c FROM vaults');
      expect([Number(vault.r), Number(vault.c)]).toEqual([2, 1]);
      expect((await auditKinds(s.coord, 'deposit.')).map((e) => [e.kind, e.payload.state])).toEqual([['deposit.detected', 'confirmed'], ['deposit.detected', 'confirmed']]);
      // Polling again changes nothing.
      const again = await s.poll();
      expect([again.deposits.detected, again.deposits.changed]).toEqual([[], []]);
      expect(await auditValid(s.coord)).toBe(true);
    });

    it('keeps to the gap limit: a coin beyond it is found only once an address before it is used', async () => {
      s = await startScenario(kind, dir, { CONCLAVE_GAP_LIMIT: '3' });
      const far = pay(s.server.chain, [{ address: vaultAddress(s.vault, 0, 5), amount: 500_000n }]);
      s.server.chain.mine();
      await s.poll();
      expect(await coins(s.coord)).toEqual([]);
      const near = pay(s.server.chain, [{ address: vaultAddress(s.vault, 0, 2), amount: 200_000n }]);
      s.server.chain.mine();
      const report = await s.poll();
      expect(report.deposits.detected.sort()).toEqual([`${far}:0`, `${near}:0`].sort());
      expect((await coins(s.coord)).map((c) => c.idx)).toEqual([2, 5]);
      const [vault] = await s.coord.dataSource.query('SELECT next_receive_index AS r FROM vaults');
      expect(Number(vault.r)).toBe(6);
    });

    it('offers a coin to coin selection only at the configured depth', async () => {
      s = await startScenario(kind, dir, { CONCLAVE_MIN_CONFIRMATIONS: '2' });
      pay(s.server.chain, [{ address: vaultAddress(s.vault, 0, 0), amount: 1_000_000n }]);
      await s.poll();
      // Esplora shows the coin in the mempool: registered, not spendable; Core sees confirmed coins only.
      expect((await coins(s.coord)).length).toBe(kind === 'esplora' ? 1 : 0);
      const unconfirmed = await propose(s.coord, s.vault, s.keyholders[0]!, intent(s.vault));
      expect([unconfirmed.status, (unconfirmed.body as unknown as { error: { code: string } }).error.code]).toEqual([422, 'INSUFFICIENT_FUNDS']);
      s.server.chain.mine();
      await s.poll();
      expect((await coins(s.coord)).length).toBe(1);
      const shallow = await propose(s.coord, s.vault, s.keyholders[0]!, intent(s.vault));
      expect(shallow.status).toBe(422);
      s.server.chain.mine();
      await s.poll();
      const deep = await propose(s.coord, s.vault, s.keyholders[0]!, intent(s.vault));
      expect(deep.status).toBe(201);
    });

    it('a reorg takes a confirmed deposit back to the mempool, then out of the chain, and a reorg brings it back', async () => {
      s = await startScenario(kind, dir);
      const chain = s.server.chain;
      const txid = pay(chain, [{ address: vaultAddress(s.vault, 0, 0), amount: 1_000_000n }]);
      chain.mine();
      await s.poll();
      expect(await coins(s.coord)).toEqual([expect.objectContaining({ txid, status: 'available' })]);

      // The block is taken off; the transaction waits in the mempool: the coin is not spendable.
      const block = chain.disconnect(1);
      expect((await s.poll()).deposits.changed).toEqual([txid]);
      expect((await coins(s.coord)).map((c) => c.txid)).toEqual([txid]);
      expect((await propose(s.coord, s.vault, s.keyholders[0]!, intent(s.vault))).status).toBe(422);

      // It leaves the mempool too: its coin is removed (the event keeps it).
      chain.evict(txid);
      await s.poll();
      expect(await coins(s.coord)).toEqual([]);

      // The block comes back: so does the coin, spendable again.
      chain.reconnect(block);
      const report = await s.poll();
      expect(report.deposits.detected).toEqual([`${txid}:0`]);
      expect(await coins(s.coord)).toEqual([expect.objectContaining({ txid, status: 'available' })]);
      expect((await propose(s.coord, s.vault, s.keyholders[0]!, intent(s.vault))).status).toBe(201);

      const events = await auditKinds(s.coord, 'deposit.');
      expect(events.map((e) => [e.kind, e.payload.now ?? e.payload.state ?? null])).toEqual([
        ['deposit.detected', 'confirmed'], ['deposit.unconfirmed', 'mempool'], ['deposit.unconfirmed', 'gone'], ['deposit.detected', 'confirmed'], ['deposit.confirmed', null],
      ]);
      expect(events[2]!.payload.removed).toEqual([`${txid}:0`]);
      expect(events[3]!.payload.restored).toBe(true);
      expect(await auditValid(s.coord)).toBe(true);
    });

    it('a reorg under a coin a live withdrawal holds keeps the reservation and flags it', async () => {
      s = await startScenario(kind, dir);
      const chain = s.server.chain;
      const txid = pay(chain, [{ address: vaultAddress(s.vault, 0, 0), amount: 1_000_000n }]);
      chain.mine();
      await s.poll();
      const w = await propose(s.coord, s.vault, s.keyholders[0]!, intent(s.vault));
      expect(w.status).toBe(201);
      const block = chain.disconnect(1, [txid]);
      await s.poll();
      expect(await coins(s.coord)).toEqual([expect.objectContaining({ txid, status: 'reserved', reserved_by: w.body.id })]);
      const [flag] = await s.coord.dataSource.query(`SELECT state, flagged FROM chain_deposits WHERE txid = '${txid}'`);
      expect([flag.state, Boolean(flag.flagged)]).toEqual(['gone', true]);
      const [event] = (await auditKinds(s.coord, 'deposit.unconfirmed'));
      expect(event!.payload).toMatchObject({ txid, now: 'gone', removed: [], held: [`${txid}:0`], heldBy: [w.body.id] });
      chain.reconnect(block);
      await s.poll();
      const [healed] = await s.coord.dataSource.query(`SELECT state, flagged FROM chain_deposits WHERE txid = '${txid}'`);
      expect([healed.state, Boolean(healed.flagged)]).toEqual(['confirmed', false]);
      expect(await coins(s.coord)).toEqual([expect.objectContaining({ txid, status: 'reserved', reserved_by: w.body.id })]);
    });
  });

  describe.each<BackendKind>(['core', 'esplora'])('with %s, a FROST Taproot vault', (kind) => {
    it('finds deposits on its tr() receive and change addresses', async () => {
      const server = await startChainServer(kind, dir);
      const coord = await startInProcessCoordinator(server.env);
      try {
        const { vault } = await setupFrostVault(coord, frostKeyholders(['ann', 'ben', 'cat'], 'chain watch'));
        const descriptor = parseVaultDescriptor(vault.descriptor, 'regtest', ['tr-frost']);
        const receive = pay(server.chain, [{ address: deriveVaultScript(descriptor, 0, 3).address, amount: 700_000n }]);
        const change = pay(server.chain, [{ address: deriveVaultScript(descriptor, 1, 1).address, amount: 80_000n }]);
        server.chain.mine();
        const report = (await coord.app.get(ChainWatchService).poll())!;
        expect(report.deposits.detected.sort()).toEqual([`${receive}:0`, `${change}:0`].sort());
        expect((await coins(coord)).map((c) => [c.change, c.idx])).toEqual([[0, 3], [1, 1]]);
        expect(server.problems()).toEqual([]);
      } finally {
        await coord.close();
        await server.close();
      }
    });
  });
});
