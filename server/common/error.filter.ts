/**
 * The one place where failures become HTTP answers: a ConclaveError keeps its stable code
 * and status; framework errors are mapped to codes of the same catalog; anything else is an
 * INTERNAL 500 that is logged with its stack (and is a bug to fix, never a normal answer).
 */
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { ConclaveError, type ErrorCode } from '../../protocol/errors';

/** SQLite's counterparts of PostgreSQL's data exceptions: a string or blob too big, a value of the wrong type. */
const SQLITE_DATA_ERRORS = new Set(['SQLITE_TOOBIG', 'SQLITE_MISMATCH']);

function fromHttpException(error: HttpException): ConclaveError {
  const status = error.getStatus();
  const cause = (error as { cause?: unknown }).cause;
  if (status === 400 && (cause instanceof SyntaxError || /JSON/i.test(error.message))) {
    return new ConclaveError('MALFORMED_JSON', 'body: not valid JSON');
  }
  const byStatus: Record<number, ErrorCode> = { 400: 'VALIDATION_FAILED', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 413: 'VALIDATION_FAILED' };
  const code = byStatus[status];
  if (code) return new ConclaveError(code, status === 413 ? 'body: too large' : error.message);
  return new ConclaveError('INTERNAL', error.message);
}

export function toConclaveError(error: unknown): ConclaveError | null {
  if (error instanceof ConclaveError) return error;
  if (error instanceof HttpException) return fromHttpException(error);
  const type = (error as { type?: string } | null)?.type;
  if (type === 'entity.parse.failed') return new ConclaveError('MALFORMED_JSON', 'body: not valid JSON');
  if (type === 'entity.too.large') return new ConclaveError('VALIDATION_FAILED', 'body: too large');
  const driverCode = String((error as { driverError?: { code?: unknown } } | null)?.driverError?.code ?? '');
  if (error instanceof QueryFailedError && (driverCode === '23505' || driverCode.startsWith('SQLITE_CONSTRAINT'))) {
    // A concurrent request won a race on a unique row; nothing of this one was written.
    return new ConclaveError('CONFLICT_RETRY', 'a concurrent request changed the same record first; nothing was written, send the request again', { driverCode });
  }
  if (error instanceof QueryFailedError && (driverCode.startsWith('22') || SQLITE_DATA_ERRORS.has(driverCode))) {
    // A value the database cannot hold (PostgreSQL class 22, data exception: too long, out of
    // range, NUL in text...). Edge validation should have refused it; this keeps it a 400.
    return new ConclaveError('VALIDATION_FAILED', 'a value in the request cannot be stored (too long, out of range or an invalid character)', { driverCode });
  }
  if (error instanceof QueryFailedError && /ECONNREFUSED|terminating connection/.test(error.message)) {
    return new ConclaveError('DATABASE_UNAVAILABLE', 'database: unavailable, try again');
  }
  return null;
}

@Catch()
export class ConclaveErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const mapped = toConclaveError(error);
    const body = mapped ?? new ConclaveError('INTERNAL', 'internal error; the coordinator log has the details');
    if (!mapped || mapped.status >= 500) {
      this.logger.error({ msg: 'request failed', code: body.code, error: error instanceof Error ? error.stack : String(error) });
    } else if (mapped.code === 'VALIDATION_FAILED' && error instanceof QueryFailedError) {
      // A 400 all the same, but validation at the edge missed this value: worth fixing there.
      this.logger.warn({ msg: 'the database refused a value that validation let through', driverCode: mapped.details?.driverCode, error: error.message });
    }
    response.status(body.status).json({ error: body.toJSON() });
  }
}
