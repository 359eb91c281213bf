/**
 * The small checks every audit binding rule is made of (evidence-binding.ts and the FROST
 * key-generation rules in frost-setup-binding.ts): a mismatch is thrown and becomes the
 * verifier's reason for the event.
 */
import { canonicalJson } from '../canonical-json';

/** Thrown inside a binding and turned into the verifier's reason; never escapes `bind`. */
export class Mismatch extends Error {}

export function same(what: string, recorded: unknown, signed: unknown): void {
  if (canonicalJson(recorded ?? null) !== canonicalJson(signed ?? null)) {
    throw new Mismatch(`${what} is recorded as ${JSON.stringify(recorded ?? null)}, but the signed statement says ${JSON.stringify(signed ?? null)}`);
  }
}

export function parsed<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new Mismatch('the signed statement\'s body is not a valid statement of its type');
  return result.data;
}

