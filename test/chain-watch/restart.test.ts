/**
 * Invariant 9 for broadcasts: a coordinator stopped in the middle of a broadcast (the node never
 * answered; or it took the transaction but the answer was lost) resumes from its outbox at the
 * next start and sends the same approved transaction again, never another one. And a chain
 * backend on the wrong network stops start-up.
 */
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createCoordinator } from '../../server/bootstrap';
import { WithdrawalBroadcaster } from '../../server/chain-watch/withdrawal-broadcaster';
import { loadConfig } from '../../server/config/config';
import { dataSourceOptions } from '../../server/database/data-source-options';
import { WithdrawalsRepository } from '../../server/withdrawals/withdrawals.repository';
import { testDatabase } from '../support/test-database';
import { describeWithVectors } from '../vectors/locate';
import { type BackendKind, type ChainScenario, pay, signedWithdrawal, startChainServer, startScenario, vaultAddress } from './chain-harness';

describeWithVectors('chain watcher: restarts and start-up checks', (dir) => {
  describe.each<BackendKind>(['core', 'esplora'])('with %s', (kind) => {
    let s: ChainScenario;
    let restarted: INestApplication | null = null;
    afterEach(async () => {
      await restarted?.close();
      restarted = null;
      await s.coord.db.cleanup();
      await s.server.close();
    });

    const hang = (times: number) => {
      if (kind === 'core') s.server.core!.fault('sendrawtransaction', { kind: 'hang' }, times);
      else s.server.esplora!.fault('POST /tx', { kind: 'hang' }, times);
    };

    it.each([
      ['the node never answered', false],
      ['the node took it but the answer was lost', true],
    ])('a stop in the middle of a broadcast resumes at the next start with the same transaction (%s)', async (_name, nodeHasIt) => {
      const env = { CONCLAVE_CHAIN_TIMEOUT_MS: '1000' };
      s = await startScenario(kind, dir, env);
      pay(s.server.chain, [{ address: vaultAddress(s.vault, 0, 0), amount: 1_000_000n }]);
      s.server.chain.mine();
      await s.poll();
      hang(100);
      const signed = await signedWithdrawal(s);
      // The broadcast started right after the commit and hangs; the coordinator stops under it.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(s.server.broadcastRequests()).toBe(1);
      await s.coord.app.close();
      const [row] = await reopenQuery(s, `SELECT state FROM chain_broadcasts WHERE withdrawal_id = '${signed.id}'`);
      expect(row.state).toBe('pending');
      const txHex = (await reopenQuery(s, `SELECT tx_hex FROM withdrawals WHERE id = '${signed.id}'`))[0].tx_hex as string;
      if (nodeHasIt) s.server.chain.submit(txHex);
      hang(0);

      restarted = await createCoordinator(loadConfig({ CONCLAVE_LOG_LEVEL: 'error', CONCLAVE_PORT: '0', ...s.coord.db.env, ...s.server.env, ...env }));
      await restarted.init();
      await restarted.get(WithdrawalBroadcaster).runDue();
      const w = await restarted.get(WithdrawalsRepository).find(signed.id);
      expect(w.state).toBe('broadcast');
      expect(s.server.chain.mempool).toEqual([w.txid]);
      // Every broadcast the node saw, before and after the stop, was this one transaction.
      expect(new Set(s.server.broadcasts())).toEqual(new Set([txHex]));
      expect(s.server.broadcasts()).toEqual([txHex]);
      // The hung one (and the client's own quick retry when the stop cut its socket), then the resumed one.
      expect(s.server.broadcastRequests()).toBeGreaterThanOrEqual(2);
      expect(s.server.problems()).toEqual([]);
    });

    async function reopenQuery(scenario: ChainScenario, sql: string): Promise<Array<Record<string, unknown>>> {
      const config = loadConfig({ CONCLAVE_LOG_LEVEL: 'error', ...scenario.coord.db.env });
      const ds = await new DataSource(dataSourceOptions(config)).initialize();
      try {
        return await ds.query(sql);
      } finally {
        await ds.destroy();
      }
    }
  });

  describe.each<BackendKind>(['core', 'esplora'])('with %s', (kind) => {
    it('refuses to start against a backend on another network', async () => {
      const server = await startChainServer(kind, dir, 'mainnet');
      const db = testDatabase();
      try {
        const app = await createCoordinator(loadConfig({ CONCLAVE_LOG_LEVEL: 'error', CONCLAVE_PORT: '0', ...db.env, ...server.env, CONCLAVE_NETWORK: 'regtest' }));
        try {
          await expect(app.init()).rejects.toMatchObject({ code: 'CHAIN_WRONG_NETWORK', message: expect.stringMatching(/is on mainnet; the coordinator runs on regtest/) });
        } finally {
          await app.close().catch(() => undefined);
        }
        expect(server.problems()).toEqual([]);
      } finally {
        await db.cleanup();
        await server.close();
      }
    });
  });
});
