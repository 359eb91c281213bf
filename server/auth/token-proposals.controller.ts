/** POST /api/v1/withdrawals: a withdrawal proposed by automation with an API token of scope propose. */
import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { withdrawalIntentSchema } from '../../protocol/api';
import { ConclaveError } from '../../protocol/errors';
import { jsonSchemaOf } from '../common/openapi';
import { Access } from './access.decorator';
import { CurrentPrincipal, type Principal } from './principal';
import { TokenProposalsService } from './token-proposals.service';

@ApiTags('withdrawals')
@Controller('api/v1/withdrawals')
export class TokenProposalsController {
  constructor(private readonly proposals: TokenProposalsService) {}

  @Post()
  @Access('token-propose')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Propose a withdrawal with an API token of scope propose (Authorization: Bearer <token>); body { intent }. The proposer is the member who granted the token. 201 when created, 200 when the same requestId and content exist.' })
  @ApiBody({ schema: jsonSchemaOf(z.object({ intent: withdrawalIntentSchema })) })
  async propose(@CurrentPrincipal() principal: Principal, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    if (principal.kind !== 'token') throw new ConclaveError('ACCESS_DENIED', 'POST /api/v1/withdrawals: takes an API token of scope propose');
    const { created, withdrawal } = await this.proposals.propose(principal, body);
    res.status(created ? 201 : 200);
    return withdrawal;
  }
}
