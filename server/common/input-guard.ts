/**
 * One rule for every request, checked once before any route, so that a field added later
 * cannot forget it (the zod schemas of each route check everything else): no string and no key
 * holds U+0000. PostgreSQL text cannot store it (SQLSTATE 22021), SQLite and C tools cut
 * strings at it, and no Conclave message has a use for it.
 *
 * The walk is iterative: JSON.parse accepts a body nested far deeper than the call stack.
 */
import type { NextFunction, Request, Response } from 'express';
import { ConclaveError } from '../../protocol/errors';

interface Node { value: unknown; parent: Node | null; key: string }

/** `body.body.outputs[0].address`; a very deep path keeps its first and last steps. */
function pathOf(node: Node): string {
  const keys: string[] = [];
  for (let n: Node | null = node; n; n = n.parent) keys.push(n.key);
  keys.reverse();
  return keys.length <= 12 ? keys.join('') : `${keys.slice(0, 8).join('')}...${keys.slice(-3).join('')}`;
}

/** Where `value` holds a NUL, as "where: what", or null when it holds none. */
export function nulProblem(value: unknown, root: string): string | null {
  const stack: Node[] = [{ value, parent: null, key: root }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (typeof node.value === 'string') {
      if (node.value.includes('\u0000')) return `${pathOf(node)}: contains NUL (U+0000), which no field accepts`;
      continue;
    }
    if (typeof node.value !== 'object' || node.value === null) continue;
    const isArray = Array.isArray(node.value);
    for (const [key, inner] of Object.entries(node.value)) {
      if (key.includes('\u0000')) return `${pathOf(node)}: a key contains NUL (U+0000), which no field accepts`;
      stack.push({ value: inner, parent: node, key: isArray ? `[${key}]` : `.${key}` });
    }
  }
  return null;
}

/** Express middleware, after the body parser: refuses the request with VALIDATION_FAILED. */
export function inputGuard(req: Request, _res: Response, next: NextFunction): void {
  // Route parameters are checked by their pipes (ParseUUIDPipe), which refuse a NUL too.
  const problem = nulProblem(req.body, 'body') ?? nulProblem(req.query, 'query');
  next(problem ? new ConclaveError('VALIDATION_FAILED', problem) : undefined);
}
