/** Validation at the edge: parse a value with a zod schema or fail with VALIDATION_FAILED naming the field. */
import type { z } from 'zod';
import { ConclaveError } from '../../protocol/errors';

/**
 * The largest value an `integer` column holds on every database (PostgreSQL int4): a number
 * compared with one, e.g. from a query string, is capped here, or PostgreSQL fails the query.
 */
export const MAX_DB_INTEGER = 2 ** 31 - 1;

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`);
  throw new ConclaveError('VALIDATION_FAILED', issues.join('; '), { issues });
}
