/** Where the vector suites look for the shared test vectors. */
import * as path from 'node:path';
import { VECTORS_ENV, vectorsDir, vectorsSearchPath } from './locate';

describe('vectorsDir', () => {
  const saved = process.env[VECTORS_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[VECTORS_ENV];
    else process.env[VECTORS_ENV] = saved;
  });

  it('defaults to ../shared/vectors beside the repository', () => {
    delete process.env[VECTORS_ENV];
    expect(vectorsSearchPath()).toBe(path.resolve(__dirname, '..', '..', '..', 'shared', 'vectors'));
  });

  it('follows $CONCLAVE_VECTORS, and is null when that folder does not exist', () => {
    process.env[VECTORS_ENV] = __dirname;
    expect(vectorsDir()).toBe(__dirname);
    process.env[VECTORS_ENV] = path.join(__dirname, 'no-such-folder');
    expect(vectorsDir()).toBeNull();
  });
});
