/** POST /api/v1/withdrawals/:id/broadcast/retry: a member's retry of a refused broadcast (broadcast-retry.service.ts). */
import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MESSAGE_TYPES, broadcastRetryViewSchema, withdrawalBroadcastRetrySchema } from '../../protocol/api';
import { Access } from '../auth/access.decorator';
import { envelopeSchemaFor, jsonSchemaOf } from '../common/openapi';
import { BroadcastRetryService } from './broadcast-retry.service';

@ApiTags('chain')
@Controller('api/v1/withdrawals')
export class BroadcastRetryController {
  constructor(private readonly retries: BroadcastRetryService) {}

  @Post(':id/broadcast/retry')
  @Access('act')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send again a signed withdrawal whose transaction the node refused (withdrawal.broadcast-retry envelope naming its txid); audited. The outcome shows as the withdrawal going to broadcast, or a new refusal.' })
  @ApiBody({ schema: envelopeSchemaFor(MESSAGE_TYPES.withdrawalBroadcastRetry, withdrawalBroadcastRetrySchema) })
  @ApiOkResponse({ schema: jsonSchemaOf(broadcastRetryViewSchema) })
  @ApiConflictResponse({ description: 'BROADCAST_NOT_REFUSED: no refused broadcast of that txid; CHAIN_OFFLINE: the coordinator broadcasts nothing; ENVELOPE_REPLAYED' })
  retry(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.retries.retry(id, body);
  }
}
