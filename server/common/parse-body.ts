/** Validation at the edge: parse a value with a zod schema or fail with VALIDATION_FAILED naming the field. */
import type { z } from 'zod';
import { ConclaveError } from '../../protocol/errors';

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${[where, ...issue.path].join('.')}: ${issue.message}`);
  throw new ConclaveError('VALIDATION_FAILED', issues.join('; '), { issues });
}
