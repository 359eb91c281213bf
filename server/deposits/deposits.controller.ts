/** Routes for deposits (offline chain mode) and the vault's coins. */
import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { depositRegisterSchema } from '../../protocol/api';
import { envelopeSchemaFor } from '../common/openapi';
import { DepositsService } from './deposits.service';
import { Access } from '../auth/access.decorator';

@ApiTags('deposits')
@Controller('api/v1/vaults/:id')
export class DepositsController {
  constructor(private readonly deposits: DepositsService) {}

  @Post('deposits')
  @Access('member')
  @ApiOperation({ summary: 'Register a funding transaction by its raw hex (deposit.register envelope)' })
  @ApiBody({ schema: envelopeSchemaFor('deposit.register', depositRegisterSchema) })
  register(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.deposits.register(id, body);
  }

  @Get('utxos')
  @Access('read')
  list(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.deposits.list(id);
  }
}
