/** Routes for webhook endpoints: register, list, disable, and read an endpoint's delivery log. */
import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { MESSAGE_TYPES } from '../../protocol/api';
import { webhookCreateSchema, webhookDisableSchema } from '../../protocol/webhooks';
import { Access } from '../auth/access.decorator';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { envelopeSchemaFor } from '../common/openapi';
import { parseWith } from '../common/parse-body';
import { WebhooksService } from './webhooks.service';

const deliveriesQuery = z.object({
  state: z.enum(['pending', 'delivered', 'failed', 'cancelled']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
}).strict();

/** The member behind a session (the `oversee` gate lets no token or anonymous caller through). */
function identityOf(principal: Principal): string {
  return principal.kind === 'member' ? principal.identityKey : '';
}

@ApiTags('webhooks')
@Controller('api/v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Access('administer')
  @ApiOperation({ summary: 'Register a webhook endpoint: a webhook.create envelope (url, events, vaultIds?, description) by an administrator of every vault it names. The answer carries the HMAC secret, this once.' })
  @ApiBody({ schema: envelopeSchemaFor(MESSAGE_TYPES.webhookCreate, webhookCreateSchema) })
  create(@Body() body: unknown) {
    return this.webhooks.create(body);
  }

  @Get()
  @Access('oversee')
  @ApiOperation({ summary: 'The webhook endpoints covering vaults the signed-in member administers or audits (never their secrets)' })
  list(@CurrentPrincipal() principal: Principal) {
    return this.webhooks.list(identityOf(principal));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @Access('administer')
  @ApiOperation({ summary: 'Disable a webhook endpoint: a webhook.disable envelope by an administrator of every vault it covers; its pending deliveries are cancelled' })
  @ApiBody({ schema: envelopeSchemaFor(MESSAGE_TYPES.webhookDisable, webhookDisableSchema) })
  disable(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.webhooks.disable(id, body);
  }

  @Get(':id/deliveries')
  @Access('oversee')
  @ApiOperation({ summary: "An endpoint's delivery log, newest event first: event, audit seq and hash, state, attempts with their status codes, next retry, delivered at. Query: state, limit (1..500, default 100)" })
  deliveries(@Param('id', new ParseUUIDPipe()) id: string, @Query() query: unknown, @CurrentPrincipal() principal: Principal) {
    return this.webhooks.deliveries(id, identityOf(principal), parseWith(deliveriesQuery, query, 'query'));
  }
}
