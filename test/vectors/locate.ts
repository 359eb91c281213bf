/**
 * Finds the upstream test vectors (DESIGN.md, "Standards to speak"). They live beside the
 * repository, unchanged, in `../shared/vectors` (see its SOURCES.md), or wherever
 * `$CONCLAVE_VECTORS` points. Vector suites wrap themselves in `describeWithVectors`:
 *
 * ```ts
 * describeWithVectors('BIP174 PSBT vectors', (dir) => {
 *   const text = readVector(dir, 'bip0174-examples-and-test-vectors.mediawiki');
 *   it('...', () => { ... });
 * });
 * ```
 *
 * When the folder is absent the suite is skipped with one line on stderr saying so, unless
 * `CONCLAVE_REQUIRE_VECTORS=1` (as in CI), in which case the suite fails. A file missing
 * from a folder that is present always fails: that is a broken checkout, not an absent one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const VECTORS_ENV = 'CONCLAVE_VECTORS';
export const REQUIRE_VECTORS_ENV = 'CONCLAVE_REQUIRE_VECTORS';

/** The repository root: the nearest folder above this file with a package.json (also from dist/). */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/** Where the vectors are looked for: `$CONCLAVE_VECTORS`, else `../shared/vectors` from the repository root. */
export function vectorsSearchPath(): string {
  const fromEnv = process.env[VECTORS_ENV];
  return fromEnv ? path.resolve(fromEnv) : path.resolve(repoRoot(), '..', 'shared', 'vectors');
}

/** The vectors folder, or null when it does not exist. */
export function vectorsDir(): string | null {
  const dir = vectorsSearchPath();
  return fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? dir : null;
}

/** Reads one vector file, unchanged, as UTF-8 text. Throws if it is missing. */
export function readVector(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8');
}

/** Reads and parses one JSON vector file. */
export function readVectorJson<T = unknown>(dir: string, file: string): T {
  return JSON.parse(readVector(dir, file)) as T;
}

/**
 * `describe(name, () => fn(dir))` when the vectors folder is present. Otherwise one stderr
 * line and a skipped suite, or, with CONCLAVE_REQUIRE_VECTORS=1, a failing one.
 */
export function describeWithVectors(name: string, fn: (dir: string) => void): void {
  const dir = vectorsDir();
  if (dir) {
    describe(name, () => fn(dir));
    return;
  }
  const where = vectorsSearchPath();
  if (process.env[REQUIRE_VECTORS_ENV] === '1') {
    describe(name, () => {
      it('finds the test-vector folder', () => {
        throw new Error(`test vectors not found at ${where} (set ${VECTORS_ENV}); ${REQUIRE_VECTORS_ENV}=1 makes this a failure`);
      });
    });
    return;
  }
  // Written straight to stderr: jest decorates console output with a stack trace, and this
  // should be one line that says what happened and how to change it.
  process.stderr.write(`[vectors] not found at ${where}: skipping "${name}" (set ${VECTORS_ENV} to the folder; ${REQUIRE_VECTORS_ENV}=1 fails instead)\n`);
  describe.skip(name, () => {
    it('needs the test-vector folder', () => undefined);
  });
}
