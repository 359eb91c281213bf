/**
 * The fee rate of `propose` when --fee-rate is not given: the coordinator's "normal" estimate
 * (6 blocks, GET /api/v1/fee-estimates). The coordinator is not trusted with it blindly: its
 * answer is validated, and a rate above the pinned policy's cap is refused here, before
 * anything is signed, rather than signed into an intent every signer would refuse.
 */
import { type FeeEstimatesView, feeEstimatesViewSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { feeRateToMsatPerVbyte } from '../../protocol/intent/fee-rate';
import type { CoordinatorClient } from '../coordinator/client';

export interface ChosenFeeRate {
  feeRate: string;
  /** 'option': --fee-rate; 'estimate': the coordinator's normal estimate. */
  from: 'option' | 'estimate';
  estimate?: { name: 'normal'; targetBlocks: number; source: FeeEstimatesView['source']; fallback: boolean };
}

const SOURCE_TEXT: Record<FeeEstimatesView['source'], string> = {
  core: 'its Bitcoin Core node',
  esplora: 'its Esplora server',
  offline: 'its configured fallback rate (offline coordinator)',
};

/** The normal estimate of a validated answer, held to the pinned cap. */
export function normalEstimate(view: FeeEstimatesView, maxFeeRate: string): ChosenFeeRate {
  const normal = view.rates.find((r) => r.name === 'normal');
  if (normal === undefined) throw new ConclaveError('COORDINATOR_ERROR', 'coordinator: GET /api/v1/fee-estimates has no "normal" rate');
  if (feeRateToMsatPerVbyte(normal.feeRate) > feeRateToMsatPerVbyte(maxFeeRate, 'maxFeeRate')) {
    throw new ConclaveError('FEE_RATE_INVALID', `--fee-rate: the coordinator's normal estimate of ${normal.feeRate} sat/vB is above the pinned policy's cap of ${maxFeeRate} sat/vB; give --fee-rate`);
  }
  return { feeRate: normal.feeRate, from: 'estimate', estimate: { name: 'normal', targetBlocks: normal.targetBlocks, source: view.source, fallback: normal.fallback } };
}

export async function chooseFeeRate(option: string | undefined, coordinator: CoordinatorClient, maxFeeRate: string): Promise<ChosenFeeRate> {
  if (option !== undefined) {
    feeRateToMsatPerVbyte(option, '--fee-rate');
    return { feeRate: option, from: 'option' };
  }
  return normalEstimate(await coordinator.get('/api/v1/fee-estimates', feeEstimatesViewSchema), maxFeeRate);
}

/** One line for people: where the rate came from. */
export function feeRateText(chosen: ChosenFeeRate): string {
  const e = chosen.estimate;
  if (e === undefined) return `fee rate ${chosen.feeRate} sat/vB (--fee-rate)`;
  const how = e.fallback && e.source !== 'offline' ? `${SOURCE_TEXT[e.source]} had no estimate, so its fallback rate` : SOURCE_TEXT[e.source];
  return `fee rate ${chosen.feeRate} sat/vB: the coordinator's normal estimate (${e.targetBlocks} blocks; ${how}); --fee-rate overrides it`;
}
