/**
 * The chain watcher's providers, registered by app.module.ts: the chain backend (null offline;
 * its network is checked when the application initializes, ChainWatchService.onModuleInit),
 * the coin-depth gate of coin selection, the anti-fee-sniping locktime of new transactions, and
 * the watcher's services, members' retries of refused broadcasts, and the fee estimates
 * proposals are prefilled with.
 */
import type { Provider } from '@nestjs/common';
import { CHAIN_BACKEND, createChainBackend } from '../chain/chain-factory';
import { AntiFeeSniping } from './anti-fee-sniping';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { BroadcastRetryService } from './broadcast-retry.service';
import { ChainWatchRepository } from './chain-watch.repository';
import { ChainWatchService } from './chain-watch.service';
import { COIN_DEPTH, ChainCoinDepth } from './coin-depth';
import { DepositWatcher } from './deposit-watcher';
import { FeeEstimatesService } from './fee-estimates.service';
import { ReplacedTransactionWatch } from './replaced-transaction-watch';
import { WithdrawalBroadcaster } from './withdrawal-broadcaster';
import { WithdrawalTracker } from './withdrawal-tracker';

export const CHAIN_WATCH_PROVIDERS: Provider[] = [
  { provide: CHAIN_BACKEND, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createChainBackend(config) },
  {
    provide: COIN_DEPTH,
    inject: [APP_CONFIG, ChainWatchRepository],
    useFactory: (config: AppConfig, repo: ChainWatchRepository) => (config.chain.backend === 'offline' ? null : new ChainCoinDepth(repo, config.chainWatch.minConfirmations)),
  },
  ChainWatchRepository, AntiFeeSniping, DepositWatcher, WithdrawalBroadcaster, WithdrawalTracker, ChainWatchService, FeeEstimatesService,
  BroadcastRetryService, ReplacedTransactionWatch,
];
