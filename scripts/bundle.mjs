// Bundles the compiled CLI (dist/*.js, from tsc) into dist/bundle/ with esbuild: one file per lazily
// imported command or module (code splitting keeps `import()` lazy), dependencies left in node_modules.
// Loading a few bundled files instead of ~150 small modules roughly halves start-up work.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: start empty so stale chunks do not pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['dist/cli.js'],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: 'dist/bundle',
  packages: 'external',
  logLevel: 'warning',
});
