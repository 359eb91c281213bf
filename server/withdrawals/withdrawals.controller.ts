/** Routes for withdrawals: propose, show, list, signatures, final transaction. */
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { WITHDRAWAL_STATES, withdrawalCancelSchema, withdrawalIntentSchema, withdrawalSignatureSchema } from '../../protocol/api';
import { approvalBodySchema } from '../../protocol/intent/approvals';
import { envelopeSchemaFor } from '../common/openapi';
import { statementSchemaFor } from '../common/openapi-statement';
import { parseWith } from '../common/parse-body';
import { SignaturesService } from '../signing/signatures.service';
import { ApprovalsService } from './approvals.service';
import { FeeBumpService } from './fee-bump.service';
import { WithdrawalEndingsService } from './withdrawal-endings.service';
import { WithdrawalsService } from './withdrawals.service';
import { Access } from '../auth/access.decorator';

const listQuery = z.object({ state: z.enum(WITHDRAWAL_STATES).optional() });

@ApiTags('withdrawals')
@Controller('api/v1')
export class WithdrawalsController {
  constructor(
    private readonly withdrawals: WithdrawalsService,
    private readonly approvals: ApprovalsService,
    private readonly signatures: SignaturesService,
    private readonly endings: WithdrawalEndingsService,
    private readonly feeBumps: FeeBumpService,
  ) {}

  @Post('vaults/:id/withdrawals')
  @Access('propose')
  @ApiOperation({ summary: 'Propose a withdrawal: a withdrawal.propose envelope whose body is the intent. 201 when created, 200 when the same requestId and content exist.' })
  @ApiBody({ schema: envelopeSchemaFor('withdrawal.propose', withdrawalIntentSchema) })
  async propose(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const { created, withdrawal } = await this.withdrawals.propose(id, body);
    res.status(created ? 201 : 200);
    return withdrawal;
  }

  @Get('vaults/:id/withdrawals')
  @Access('read')
  list(@Param('id', new ParseUUIDPipe()) id: string, @Query() query: unknown) {
    return this.withdrawals.listForVault(id, parseWith(listQuery, query, 'query').state);
  }

  @Get('withdrawals/:id')
  @Access('read', { ownWithdrawal: 'id' })
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.withdrawals.get(id);
  }

  @Post('withdrawals/:id/approvals')
  @Access('approve')
  @HttpCode(200)
  @ApiOperation({ summary: "A member other than the proposer approves the intent: a withdrawal.approve envelope, or (governed policy) a passkey statement of that type by a passkey pinned for them" })
  @ApiBody({ schema: statementSchemaFor('withdrawal.approve', approvalBodySchema) })
  approve(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.approvals.approve(id, body);
  }

  @Post('withdrawals/:id/cancel')
  @Access('act')
  @HttpCode(200)
  @ApiOperation({ summary: 'A keyholder cancels a withdrawal nobody has signed yet (withdrawal.cancel envelope); its coins are released' })
  @ApiBody({ schema: envelopeSchemaFor('withdrawal.cancel', withdrawalCancelSchema) })
  cancel(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.endings.cancel(id, body);
  }

  @Post('withdrawals/:id/bump')
  @Access('act')
  @HttpCode(200)
  @ApiOperation({ summary: 'Fee bump (RBF): a withdrawal.bump envelope whose body is the replacement intent (same outputs, higher fee rate, replaces = the current intent hash); the same coins are spent again and the withdrawal goes back to approval and signing' })
  @ApiBody({ schema: envelopeSchemaFor('withdrawal.bump', withdrawalIntentSchema) })
  bump(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.feeBumps.bump(id, body);
  }

  @Post('withdrawals/:id/signatures')
  @Access('sign')
  @HttpCode(200)
  @ApiOperation({ summary: "Submit a keyholder's partial signatures (withdrawal.signature envelope)" })
  @ApiBody({ schema: envelopeSchemaFor('withdrawal.signature', withdrawalSignatureSchema) })
  sign(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.signatures.submit(id, body);
  }

  @Get('withdrawals/:id/transaction')
  @Access('read', { ownWithdrawal: 'id' })
  @ApiOperation({ summary: 'The final signed transaction (hex) once the threshold is reached' })
  transaction(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.withdrawals.transaction(id);
  }
}
