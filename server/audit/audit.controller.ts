/** Read access to the audit log (with each event's coordinator signature) and its verification. */
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { MAX_DB_INTEGER, parseWith } from '../common/parse-body';
import { AuditService } from './audit.service';
import { Access } from '../auth/access.decorator';

const listQuery = z.object({
  /** The id of a member, vault, withdrawal or setup: printable ASCII, so never a NUL or a space. */
  subject: z.string().regex(/^[\x21-\x7e]{0,64}$/, 'expected an id').optional(),
  after: z.coerce.number().int().min(0).max(MAX_DB_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});

@ApiTags('audit')
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Access('read')
  @ApiOperation({ summary: 'Audit events in order, each with its coordinator signature (query: subject, after, limit)' })
  list(@Query() query: unknown) {
    const q = parseWith(listQuery, query, 'query');
    return this.audit.list({ subject: q.subject, afterSeq: q.after, limit: q.limit });
  }

  @Get('verify')
  @Access('read')
  @ApiOperation({ summary: 'Recompute the hash chain, check every coordinator signature and every evidence envelope, and compare with the head' })
  verify() {
    return this.audit.verify();
  }
}
