/** GET /api/v1/fee-estimates: fee rates to prefill a proposal with (fee-estimates.service.ts). */
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { feeEstimatesViewSchema } from '../../protocol/api';
import { Access } from '../auth/access.decorator';
import { jsonSchemaOf } from '../common/openapi';
import { FeeEstimatesService } from './fee-estimates.service';

@ApiTags('chain')
@Controller('api/v1/fee-estimates')
export class FeeEstimatesController {
  constructor(private readonly estimates: FeeEstimatesService) {}

  @Get()
  @Access('read')
  @ApiOperation({ summary: 'Fee rates (sat/vB) for 2, 6 and 144 blocks from the chain backend, or the fallback rate offline; cached for a minute' })
  @ApiOkResponse({ schema: jsonSchemaOf(feeEstimatesViewSchema) })
  @ApiServiceUnavailableResponse({ description: 'CHAIN_UNAVAILABLE: the backend gave no estimate (unreachable, or an answer it should not give)' })
  current() {
    return this.estimates.current();
  }
}
