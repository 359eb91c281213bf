// Builds the web app (web/app, browser TypeScript) into dist/web with esbuild: one entry, code
// split so the audit page's chain verifier loads only when it is opened, content-hashed names
// (served as immutable), and index.html written with those names. Run by `npm run build:web`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'web');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'app', 'main.ts'), style: join(here, 'styles.css') },
  outdir: join(out, 'assets'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome120', 'firefox120', 'safari17'],
  minify: true,
  sourcemap: false,
  entryNames: '[name]-[hash]',
  chunkNames: 'chunk-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs);
const named = (entry) => basename(outputs.find(([, o]) => o.entryPoint?.endsWith(entry))[0]);
const page = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('%APP_JS%', `/assets/${named('app/main.ts')}`)
  .replace('%APP_CSS%', `/assets/${named('styles.css')}`);
writeFileSync(join(out, 'index.html'), page);
const bytes = outputs.reduce((sum, [, o]) => sum + o.bytes, 0);
console.log(`web app built into dist/web: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB`);
