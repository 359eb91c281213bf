/** Routes of the FROST key-generation relay (protocol/frost/setup-api.ts is the wire contract). */
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import {
  confirmationMessageSchema, FROST_SETUP_OPEN, frostRecipientSchema, frostSetupIdSchema, frostSetupOpenSchema, round1MessageSchema, round2MessageSchema,
} from '../../protocol/frost';
import { envelopeSchemaFor, jsonSchemaOf } from '../common/openapi';
import { parseWith } from '../common/parse-body';
import { FrostSetupsService } from './frost-setups.service';
import { Access } from '../auth/access.decorator';

/** A round-2 submission is a list of messages from one sender: the first names who is asking. */
const firstMessage = (body: unknown): unknown => (body as { messages?: unknown[] } | null)?.messages?.[0];
const setupId = (value: string) => parseWith(frostSetupIdSchema, value, 'setupId');

@ApiTags('frost-setups')
@Controller('api/v1/frost-setups')
export class FrostSetupsController {
  constructor(private readonly setups: FrostSetupsService) {}

  @Post()
  @Access('member')
  @ApiOperation({ summary: 'Open a FROST key generation: a frost.setup.open envelope by one of its participants (params, vault terms, deadline)' })
  @ApiBody({ schema: envelopeSchemaFor(FROST_SETUP_OPEN, frostSetupOpenSchema) })
  open(@Body() body: unknown) {
    return this.setups.open(body);
  }

  @Get(':setupId')
  @Access('read')
  @ApiOperation({ summary: 'A FROST setup: its step, the messages relayed so far, and at the end the certificate and the vault' })
  get(@Param('setupId') id: string) {
    return this.setups.get(setupId(id));
  }

  @Post(':setupId/round1')
  @Access('member')
  @HttpCode(200)
  @ApiOperation({ summary: 'One participant\'s signed round-1 package (frost.dkg.round1); sent again, the same answer' })
  @ApiBody({ schema: jsonSchemaOf(round1MessageSchema) })
  round1(@Param('setupId') id: string, @Body() body: unknown) {
    return this.setups.round1(setupId(id), body);
  }

  @Post(':setupId/round2')
  @Access('member', { statementOf: firstMessage })
  @HttpCode(200)
  @ApiOperation({ summary: 'One participant\'s round-2 shares, each sealed to one other participant (frost.dkg.round2 messages)' })
  @ApiBody({ schema: jsonSchemaOf(z.object({ messages: z.array(round2MessageSchema) })) })
  round2(@Param('setupId') id: string, @Body() body: unknown) {
    return this.setups.round2(setupId(id), body);
  }

  @Get(':setupId/round2/:recipient')
  @Access('read')
  @ApiOperation({ summary: 'The round-2 messages sealed to one participant (by identity key)' })
  round2For(@Param('setupId') id: string, @Param('recipient') recipient: string) {
    return this.setups.round2For(setupId(id), parseWith(frostRecipientSchema, recipient, 'recipient'));
  }

  @Post(':setupId/confirm')
  @Access('member')
  @HttpCode(200)
  @ApiOperation({ summary: 'One participant\'s signed transcript hash (frost.dkg.confirm); the last one makes the certificate and the vault' })
  @ApiBody({ schema: jsonSchemaOf(confirmationMessageSchema) })
  confirm(@Param('setupId') id: string, @Body() body: unknown) {
    return this.setups.confirm(setupId(id), body);
  }
}
