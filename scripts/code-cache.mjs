// Makes the V8 code caches of dist/mesh.cjs (see src/boot/code-cache.ts), one per command group: for
// each group, a child process loads the bundle without a cache (`--train <group>`), runs that group's
// representative commands and saves the bytecode of everything they compiled. The commands' exit
// codes are checked, so this is also a smoke test of the bundle. Inputs: examples/, a small generated
// mesh configuration (the benchmark's generator: each service with its routing, security and
// ServiceEntry objects, which reaches analyzer paths examples/ does not) and a small generated Envoy
// config dump.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = join(ROOT, 'dist/mesh.cjs');
const EXAMPLES = join(ROOT, 'examples');

/** Group → [command line, expected exit code][]; `corpus` is a folder of manifests, `dump` a config dump. */
const TRAINING = (corpus, dump) => ({
  cli: [
    [['--help'], 0],
    [['version', '--remote=false'], 0],
  ],
  analyze: [
    [['analyze', EXAMPLES], 79],
    [['analyze', EXAMPLES, '-o', 'json'], 79],
    [['analyze', EXAMPLES, '-o', 'sarif'], 79],
    [['analyze', corpus, '-o', 'json'], 0],
  ],
  'proxy-config': [
    [['proxy-config', 'all', '--file', dump], 0],
    [['proxy-config', 'cluster', '--file', dump, '-o', 'json'], 0],
    [['proxy-config', 'listener', '--file', dump, '-o', 'yaml'], 0],
  ],
});

if (process.argv[2] === '--train') {
  const [, , , group, corpus, dump] = process.argv;
  const { loadBundle } = await import('../dist/boot/code-cache.js');
  const bundle = loadBundle(BUNDLE, { useCache: false, group });
  for (const [args, want] of TRAINING(corpus, dump)[group]) {
    process.exitCode = undefined;
    const code = await bundle.exports.main(['node', 'mesh', ...args]);
    if (code !== want)
      throw new Error(`training run \`mesh ${args.join(' ')}\` exited ${code}, want ${want}`);
  }
  process.exitCode = 0;
  writeFileSync(bundle.cacheFile, bundle.script.createCachedData());
} else {
  const { generateDump } = await import('../bench/lib/envoy-dump.mjs');
  const { generateCorpus } = await import('../bench/lib/corpus.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'mesh-code-cache-'));
  try {
    const dump = join(dir, 'config_dump.json');
    generateDump(dump, 20);
    const corpus = join(dir, 'corpus');
    generateCorpus(corpus, 20);
    for (const group of Object.keys(TRAINING(corpus, dump))) {
      const child = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), '--train', group, corpus, dump],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      if (child.status !== 0) {
        process.stderr.write(child.stderr);
        throw new Error(`making the ${group} code cache failed (exit ${child.status})`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
