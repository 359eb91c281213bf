/** Routes for the governance of a governed vault: propose, approve and follow changes, and read the current policy. */
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { CHANGE_STATUSES } from '../../protocol/governance-api';
import { changeApprovalSchema, changeProposalSchema } from '../../protocol/policy-engine';
import { hash256Schema } from '../../protocol/schemas';
import { envelopeSchemaFor } from '../common/openapi';
import { statementSchemaFor } from '../common/openapi-statement';
import { parseWith } from '../common/parse-body';
import { GovernanceService } from './governance.service';
import { Access } from '../auth/access.decorator';

const listQuery = z.object({ status: z.enum(CHANGE_STATUSES).optional() });
const changeIdOf = (value: string) => parseWith(hash256Schema, value, 'changeId');

@ApiTags('governance')
@Controller('api/v1/vaults/:id')
export class GovernanceController {
  constructor(private readonly governance: GovernanceService) {}

  @Post('changes')
  @Access('govern')
  @ApiOperation({ summary: 'A member proposes a change to the rule set, members or address book (governance.propose envelope). 201 when filed, 200 when the same envelope was filed before.' })
  @ApiBody({ schema: envelopeSchemaFor('governance.propose', changeProposalSchema) })
  async propose(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const { created, change } = await this.governance.propose(id, body);
    res.status(created ? 201 : 200);
    return change;
  }

  @Get('changes')
  @Access('read')
  @ApiOperation({ summary: "The vault's changes, oldest first; query: status (pending, applied, refused, superseded)" })
  list(@Param('id', new ParseUUIDPipe()) id: string, @Query() query: unknown) {
    return this.governance.list(id, parseWith(listQuery, query, 'query').status);
  }

  @Get('changes/:changeId')
  @Access('read')
  get(@Param('id', new ParseUUIDPipe()) id: string, @Param('changeId') changeId: string) {
    return this.governance.get(id, changeIdOf(changeId));
  }

  @Post('changes/:changeId/approvals')
  @Access('govern')
  @HttpCode(200)
  @ApiOperation({ summary: 'A member other than the proposer (and the member changed) approves the change: a governance.approve envelope, or a passkey statement of that type' })
  @ApiBody({ schema: statementSchemaFor('governance.approve', changeApprovalSchema) })
  approve(@Param('id', new ParseUUIDPipe()) id: string, @Param('changeId') changeId: string, @Body() body: unknown) {
    return this.governance.approve(id, changeIdOf(changeId), body);
  }

  @Get('policy')
  @Access('read')
  @ApiOperation({ summary: "The vault's current policy (changes due are applied first), its hash and, for a governed policy, the hashes of its parts" })
  policy(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.governance.policy(id);
  }
}
