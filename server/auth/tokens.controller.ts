/** API tokens (issue 5): grant with a signed token.create, list one's own, revoke with a signed token.revoke. */
import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MESSAGE_TYPES } from '../../protocol/api';
import { tokenCreateSchema, tokenRevokeSchema } from '../../protocol/auth/access';
import { envelopeSchemaFor } from '../common/openapi';
import { Access } from './access.decorator';
import { CurrentPrincipal, type Principal, sessionMember } from './principal';
import { TokensService } from './tokens.service';

@ApiTags('tokens')
@Controller('api/v1/tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Post()
  @Access('grant')
  @ApiOperation({ summary: 'Grant an API token: a token.create envelope (name, scope read|propose, secretHash, expiresAt) by the member it acts for' })
  @ApiBody({ schema: envelopeSchemaFor(MESSAGE_TYPES.tokenCreate, tokenCreateSchema) })
  create(@Body() body: unknown) {
    return this.tokens.create(body);
  }

  @Get()
  @Access('session')
  @ApiOperation({ summary: 'The signed-in member\'s API tokens (never their secrets)' })
  list(@CurrentPrincipal() principal: Principal) {
    return this.tokens.listFor(sessionMember(principal).identityKey);
  }

  @Post('revoke')
  @HttpCode(200)
  @Access('grant')
  @ApiOperation({ summary: 'Revoke an API token: a token.revoke envelope by the member who granted it, or by an admin' })
  @ApiBody({ schema: envelopeSchemaFor(MESSAGE_TYPES.tokenRevoke, tokenRevokeSchema) })
  revoke(@Body() body: unknown) {
    return this.tokens.revoke(body);
  }
}
