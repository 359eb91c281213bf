/** Local argument validation: schema failures become VALIDATION_FAILED naming the field. */
import type { z } from 'zod';
import { ConclaveError } from '../protocol/errors';

export function parseArg<S extends z.ZodType>(schema: S, value: unknown, field: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
    throw new ConclaveError('VALIDATION_FAILED', `${field}${path}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

export function parseCount(text: string, field: string, min: number, max: number): number {
  const value = /^[0-9]{1,9}$/.test(text) ? Number.parseInt(text, 10) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConclaveError('VALIDATION_FAILED', `${field}: expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}
