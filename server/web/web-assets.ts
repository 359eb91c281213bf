/**
 * The web app's built files (`npm run build:web`, web/build.mjs writes them to dist/web): the
 * page and its content-hashed scripts and style sheet. Read once and kept in memory; they
 * change only with a new build, that is, a new release of the coordinator.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConclaveError } from '../../protocol/errors';

// This file runs from dist/server/web (node) or from server/web (jest); either way the web
// build is in dist/web.
const UP_TWO = join(__dirname, '..', '..');
export const WEB_DIST = basename(UP_TWO) === 'dist' ? join(UP_TWO, 'web') : join(UP_TWO, 'dist', 'web');

/** Names esbuild gives (app-<hash>.js, chunk-<hash>.js, app-<hash>.css): no path, no dot files. */
const ASSET_NAME = /^[A-Za-z0-9_-]{1,80}\.(js|css)$/;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

export interface WebFile { body: Buffer; type: string }

export class WebAssets {
  private readonly cache = new Map<string, WebFile>();

  constructor(private readonly root: string = WEB_DIST) {}

  page(): WebFile {
    return this.read('index.html', 'text/html; charset=utf-8', 'the web app is not built: run `npm run build` (or `npm run build:web`)');
  }

  asset(name: string): WebFile {
    const match = ASSET_NAME.exec(name);
    if (match === null) throw new ConclaveError('NOT_FOUND', `/assets/${name.slice(0, 80)}: no such file of the web app`);
    return this.read(join('assets', name), TYPES[match[1]!]!, `/assets/${name}: no such file of the web app`);
  }

  private read(relative: string, type: string, missing: string): WebFile {
    const cached = this.cache.get(relative);
    if (cached !== undefined) return cached;
    const path = join(this.root, relative);
    if (!existsSync(path)) throw new ConclaveError('NOT_FOUND', missing);
    const file = { body: readFileSync(path), type };
    this.cache.set(relative, file);
    return file;
  }
}
