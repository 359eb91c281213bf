/**
 * Fee rates to suggest when proposing (GET /api/v1/fee-estimates): the chain backend's estimates
 * for the three targets of FEE_TARGETS, cached for a minute so that opening the propose page does
 * not ask the node each time (concurrent askers share one round of questions). Offline, the
 * configured fallback rate stands for all three. A backend that fails is CHAIN_UNAVAILABLE (503):
 * the proposer can still type a rate. Every rate is raised to CONCLAVE_MIN_FEE_RATE, since the
 * coordinator refuses to build below it.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { FEE_TARGETS, type FeeEstimatesView } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { feeRateToMsatPerVbyte } from '../../protocol/intent/fee-rate';
import type { ChainBackend } from '../chain/chain-backend';
import { CHAIN_BACKEND } from '../chain/chain-factory';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/config';

/** How long an answer is served from memory. */
export const FEE_ESTIMATES_TTL_MS = 60_000;

/** 2500n msat/vB -> "2.5". */
function msatToRate(msat: bigint): string {
  const whole = msat / 1000n;
  const frac = (msat % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return frac === '' ? whole.toString() : `${whole}.${frac}`;
}

@Injectable()
export class FeeEstimatesService {
  private readonly logger = new Logger('FeeEstimates');
  private cached: { view: FeeEstimatesView; until: number } | null = null;
  private pending: Promise<FeeEstimatesView> | null = null;
  private readonly floorMsat: bigint;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CHAIN_BACKEND) private readonly backend: ChainBackend | null,
    private readonly clock: Clock,
  ) {
    // CONCLAVE_MIN_FEE_RATE may carry more than three decimals: round up, never below it.
    this.floorMsat = BigInt(Math.ceil(config.minFeeRate * 1000 - 1e-9));
  }

  async current(): Promise<FeeEstimatesView> {
    const now = this.clock.now();
    if (this.cached !== null && now.getTime() < this.cached.until) return this.cached.view;
    this.pending ??= this.ask(now).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async ask(now: Date): Promise<FeeEstimatesView> {
    const backend = this.backend;
    let view: FeeEstimatesView;
    if (backend === null) {
      const rate = this.floored(this.config.chain.backend === 'offline' ? this.config.chain.fallbackFeeRate : '1');
      view = { source: 'offline', rates: FEE_TARGETS.map((t) => ({ ...t, feeRate: rate, fallback: true })), fetchedAt: now.toISOString() };
    } else {
      try {
        const estimates = await Promise.all(FEE_TARGETS.map((t) => backend.estimateFeeRate(t.targetBlocks)));
        view = {
          source: backend.kind,
          rates: FEE_TARGETS.map((t, i) => ({ ...t, feeRate: this.floored(estimates[i]!.satPerVb), fallback: estimates[i]!.source === 'fallback' })),
          fetchedAt: now.toISOString(),
        };
      } catch (error) {
        // Not cached: the next request asks again. Any failure of the backend (unreachable, an
        // answer it should not give, a refusal) means the same to a proposer: no estimate now.
        const code = error instanceof ConclaveError ? error.code : 'INTERNAL';
        const message = error instanceof Error ? error.message : String(error);
        this.logger.warn({ msg: 'fee estimation failed', backend: backend.kind, code, error: message });
        throw new ConclaveError('CHAIN_UNAVAILABLE', `fee estimates: the ${backend.kind === 'core' ? 'Bitcoin Core node' : 'Esplora server'} gave none (${code}); enter a fee rate yourself or try again later`, { cause: code });
      }
    }
    this.cached = { view, until: now.getTime() + FEE_ESTIMATES_TTL_MS };
    return view;
  }

  private floored(rate: string): string {
    const msat = feeRateToMsatPerVbyte(rate, 'fee estimate');
    return msatToRate(msat < this.floorMsat ? this.floorMsat : msat);
  }
}
