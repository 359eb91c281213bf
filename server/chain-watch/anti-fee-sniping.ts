/**
 * The nLockTime of a withdrawal's transaction (anti-fee-sniping, protocol/intent/locktime.ts):
 * with a chain backend, the tip height the watcher last recorded, as Bitcoin Core sets it, when
 * the signers' clock bound allows it; offline, or with no tip recorded yet, 0. Read in the
 * caller's transaction, so the PSBT and the tip it used are one consistent view.
 *
 * Core also lowers the locktime by up to 100 blocks one time in ten, so that a transaction sent
 * late does not stand out; not done here: every Conclave withdrawal waits for approvals anyway.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { antiFeeSnipingLocktime } from '../../protocol/intent/locktime';
import type { NetworkName } from '../../protocol/network';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { ChainWatchRepository } from './chain-watch.repository';

@Injectable()
export class AntiFeeSniping {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly chain: ChainWatchRepository,
    private readonly clock: Clock,
  ) {}

  async locktime(manager: EntityManager, network: NetworkName): Promise<number> {
    if (this.config.chain.backend === 'offline') return 0;
    const tip = await this.chain.tip(manager);
    return antiFeeSnipingLocktime(tip?.height ?? null, network, this.clock.now());
  }
}
