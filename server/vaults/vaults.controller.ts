/** Routes for vaults: create, confirm, show, list, and derived addresses. */
import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { vaultConfirmSchema, vaultCreateSchema } from '../../protocol/api';
import { envelopeSchemaFor } from '../common/openapi';
import { parseWith } from '../common/parse-body';
import { VaultsService } from './vaults.service';
import { Access } from '../auth/access.decorator';

const addressQuery = z.object({
  change: z.enum(['0', '1']).default('0').transform((v) => Number(v) as 0 | 1),
  from: z.coerce.number().int().min(0).max(1_000_000).default(0),
  count: z.coerce.number().int().min(1).max(1000).default(20),
});

@ApiTags('vaults')
@Controller('api/v1/vaults')
export class VaultsController {
  constructor(private readonly vaults: VaultsService) {}

  @Post()
  @Access('member')
  @ApiOperation({ summary: 'Propose a vault: a vault.create envelope by one of its keyholders' })
  @ApiBody({ schema: envelopeSchemaFor('vault.create', vaultCreateSchema) })
  create(@Body() body: unknown) {
    return this.vaults.create(body);
  }

  @Get()
  @Access('read')
  list() {
    return this.vaults.list();
  }

  @Get(':id')
  @Access('read')
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.vaults.get(id);
  }

  @Post(':id/confirmations')
  @Access('member')
  @ApiOperation({ summary: 'A keyholder confirms it checked and pinned the vault (vault.confirm envelope)' })
  @ApiBody({ schema: envelopeSchemaFor('vault.confirm', vaultConfirmSchema) })
  confirm(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.vaults.confirm(id, body);
  }

  @Get(':id/addresses')
  @Access('read')
  @ApiOperation({ summary: 'Receive (change=0) or change (change=1) addresses; query: change, from, count' })
  addresses(@Param('id', new ParseUUIDPipe()) id: string, @Query() query: unknown) {
    const q = parseWith(addressQuery, query, 'query');
    return this.vaults.addresses(id, q.change, q.from, q.count);
  }
}
