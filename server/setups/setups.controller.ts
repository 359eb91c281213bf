/** Routes for vault setup by BIP129 (BSMS 1.0): open, show, key records, descriptor record. */
import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { setupDescriptorRecordSchema, setupKeyRecordSchema, setupOpenSchema } from '../../protocol/api';
import { envelopeSchemaFor } from '../common/openapi';
import { SetupsService } from './setups.service';
import { Access } from '../auth/access.decorator';

@ApiTags('setups')
@Controller('api/v1/setups')
export class SetupsController {
  constructor(private readonly setups: SetupsService) {}

  @Post()
  @Access('member')
  @ApiOperation({ summary: 'Open a BSMS setup: a setup.open envelope by the keyholder whose signer plays BIP129\'s Coordinator (no token is sent)' })
  @ApiBody({ schema: envelopeSchemaFor('setup.open', setupOpenSchema) })
  open(@Body() body: unknown) {
    return this.setups.open(body);
  }

  @Get(':id')
  @Access('read')
  @ApiOperation({ summary: 'A setup: its status and the sealed records with the envelopes that carried them' })
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.setups.get(id);
  }

  @Post(':id/key-records')
  @Access('member')
  @ApiOperation({ summary: 'A member\'s sealed BIP129 key record (setup.key-record envelope)' })
  @ApiBody({ schema: envelopeSchemaFor('setup.key-record', setupKeyRecordSchema) })
  addKeyRecord(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.setups.addKeyRecord(id, body);
  }

  @Post(':id/descriptor-record')
  @Access('member')
  @ApiOperation({ summary: 'The opener\'s sealed BIP129 descriptor record(s) (setup.descriptor-record envelope)' })
  @ApiBody({ schema: envelopeSchemaFor('setup.descriptor-record', setupDescriptorRecordSchema) })
  setDescriptorRecord(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.setups.setDescriptorRecord(id, body);
  }
}
