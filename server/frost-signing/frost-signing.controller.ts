/** Routes of the FROST signing relay (protocol/frost/signing-api.ts): commitments, sessions, shares. */
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FROST_SIGN_MESSAGE_TYPES, frostCommitBodySchema, frostShareBodySchema } from '../../protocol/frost/signing-api';
import { envelopeSchemaFor } from '../common/openapi';
import { FrostSigningService } from './frost-signing.service';
import { Access } from '../auth/access.decorator';

@ApiTags('frost-signing')
@Controller('api/v1/withdrawals/:id/frost')
export class FrostSigningController {
  constructor(private readonly signing: FrostSigningService) {}

  @Get()
  @Access('read', { ownWithdrawal: 'id' })
  @ApiOperation({ summary: "A FROST vault withdrawal's signing rounds: who waits with commitments, and every session with its signed commitments" })
  view(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.signing.view(id);
  }

  @Post('commitments')
  @Access('sign')
  @HttpCode(200)
  @ApiOperation({ summary: "A keyholder's nonce commitments for every input (frost.sign.commit envelope); a session opens once t keyholders wait" })
  @ApiBody({ schema: envelopeSchemaFor(FROST_SIGN_MESSAGE_TYPES.commit, frostCommitBodySchema) })
  commit(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.signing.commit(id, body);
  }

  @Post('sessions/:sessionId/shares')
  @Access('sign')
  @HttpCode(200)
  @ApiOperation({ summary: "A session signer's signature shares for every input (frost.sign.share envelope); an invalid one fails the session, naming the keyholder (FROST_SHARE_INVALID)" })
  @ApiBody({ schema: envelopeSchemaFor(FROST_SIGN_MESSAGE_TYPES.share, frostShareBodySchema) })
  share(@Param('id', new ParseUUIDPipe()) id: string, @Param('sessionId', new ParseUUIDPipe()) sessionId: string, @Body() body: unknown) {
    return this.signing.share(id, sessionId, body);
  }
}
