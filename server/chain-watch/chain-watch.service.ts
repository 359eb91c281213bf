/**
 * The chain watcher: with a backend configured, every CONCLAVE_CHAIN_POLL_SECONDS it reads the
 * tip, looks for deposits and follows their confirmations and reorgs (deposit-watcher.ts),
 * follows broadcast withdrawals (withdrawal-tracker.ts), sends due broadcasts
 * (withdrawal-broadcaster.ts), and then records the tip coin selection counts depth against.
 * The tip is recorded last: until a pass has looked at a new tip's reorgs, coins are judged by
 * the older, lower tip (shallower, never deeper than they are). `poll()` is also called directly
 * (tests, operators' tools). Offline mode: nothing runs.
 */
import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { ConclaveError } from '../../protocol/errors';
import type { ChainBackend, ChainTip } from '../chain/chain-backend';
import { CHAIN_BACKEND } from '../chain/chain-factory';
import { Clock } from '../common/clock';
import { PeriodicSweep } from '../common/periodic-sweep';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { TransactionRunner } from '../database/transaction-runner';
import { ChainWatchRepository } from './chain-watch.repository';
import { type DepositPass, DepositWatcher } from './deposit-watcher';
import { type BroadcastOutcome, WithdrawalBroadcaster } from './withdrawal-broadcaster';
import { type TrackedChange, WithdrawalTracker } from './withdrawal-tracker';

export interface PollReport {
  tip: ChainTip;
  deposits: DepositPass;
  withdrawals: TrackedChange[];
  broadcasts: BroadcastOutcome[];
}

@Injectable()
export class ChainWatchService implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ChainWatch');
  private readonly sweep = new PeriodicSweep('chain poll', this.logger, () => this.poll());
  private running: Promise<PollReport | null> | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CHAIN_BACKEND) private readonly backend: ChainBackend | null,
    private readonly tx: TransactionRunner,
    private readonly repo: ChainWatchRepository,
    private readonly deposits: DepositWatcher,
    private readonly tracker: WithdrawalTracker,
    private readonly broadcaster: WithdrawalBroadcaster,
    private readonly clock: Clock,
  ) {}

  /**
   * A backend on another network stops start-up (CHAIN_WRONG_NETWORK): nothing may be read from
   * or sent to it. One that cannot be reached yet is logged; every client checks the network
   * again before its first other call.
   */
  async onModuleInit(): Promise<void> {
    const backend = this.backend;
    if (!backend) return;
    try {
      const actual = await backend.network();
      if (actual !== this.config.network) {
        throw new ConclaveError('CHAIN_WRONG_NETWORK', `the ${backend.kind === 'core' ? 'Bitcoin Core node' : 'Esplora server'} is on ${actual}; the coordinator runs on ${this.config.network} (CONCLAVE_NETWORK)`, { expected: this.config.network, actual });
      }
    } catch (error) {
      if (!(error instanceof ConclaveError) || error.code !== 'CHAIN_UNAVAILABLE') {
        await backend.close();
        throw error;
      }
      this.logger.warn({ msg: 'the chain backend cannot be reached yet; its network is checked before its first use', error: error.message });
    }
  }

  onApplicationBootstrap(): void {
    if (!this.backend) return;
    this.sweep.start(this.config.chainWatch.pollSeconds);
    // Resume the outbox at once: a broadcast a crash interrupted goes out now, not a poll later.
    this.broadcaster.kick(true);
  }

  /**
   * Before the database closes: no new passes, requests in flight are cut (their outbox rows stay
   * pending and are resumed at the next start), running passes finish.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.sweep.stop();
    await this.backend?.close();
    await this.broadcaster.stop();
    if (this.running) await this.running.catch(() => undefined);
  }

  /** One pass; a pass already running is awaited and another one follows it. Null offline. */
  async poll(): Promise<PollReport | null> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.pass();
    try {
      return await this.running;
    } finally {
      this.running = null;
    }
  }

  private async pass(): Promise<PollReport | null> {
    const backend = this.backend;
    if (!backend || this.stopped) return null;
    // Due broadcasts go out even when following the chain fails this time (and the other way round).
    let followed: Omit<PollReport, 'broadcasts'> | null = null;
    let failure: unknown = null;
    try {
      const tip = await backend.tip();
      const deposits = await this.deposits.pass(tip);
      const withdrawals = await this.tracker.pass(tip);
      // Recorded only once both passes looked at this tip's reorgs (see above).
      const now = this.clock.now().toISOString();
      await this.tx.run((manager) => this.repo.saveTip(manager, tip, now));
      followed = { tip, deposits, withdrawals };
    } catch (error) {
      failure = error;
    }
    const broadcasts = await this.broadcaster.runDue().catch((error: unknown) => {
      this.logger.error({ msg: 'broadcast run failed', error: String(error) });
      return [];
    });
    if (!followed) throw failure;
    return { ...followed, broadcasts };
  }
}
