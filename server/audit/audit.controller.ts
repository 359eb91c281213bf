/** Read access to the audit log (with each event's coordinator signature) and its verification. */
import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { parseWith } from '../common/parse-body';
import { AuditService } from './audit.service';

const listQuery = z.object({
  subject: z.string().max(64).optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});

@ApiTags('audit')
@Controller('api/v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Audit events in order, each with its coordinator signature (query: subject, after, limit)' })
  list(@Query() query: unknown) {
    const q = parseWith(listQuery, query, 'query');
    return this.audit.list({ subject: q.subject, afterSeq: q.after, limit: q.limit });
  }

  @Get('verify')
  @ApiOperation({ summary: 'Recompute the hash chain, check every coordinator signature and every evidence envelope, and compare with the head' })
  verify() {
    return this.audit.verify();
  }
}
