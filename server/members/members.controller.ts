/** Routes for members: join with a signed member.join envelope, list, show. */
import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { envelopeSchemaFor } from '../common/openapi';
import { memberJoinSchema } from '../../protocol/api';
import { MembersService } from './members.service';
import { Access } from '../auth/access.decorator';

@ApiTags('members')
@Controller('api/v1/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @Post()
  @Access('public')
  @ApiOperation({ summary: 'Join as a member: a member.join envelope signed by the identity key' })
  @ApiBody({ schema: envelopeSchemaFor('member.join', memberJoinSchema) })
  join(@Body() body: unknown) {
    return this.members.join(body);
  }

  @Get()
  @Access('read')
  @ApiOperation({ summary: 'All members with their identity-key fingerprints' })
  list() {
    return this.members.list();
  }

  @Get(':id')
  @Access('read')
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.members.get(id);
  }
}
