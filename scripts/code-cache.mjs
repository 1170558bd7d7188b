// Makes the V8 code cache of dist/mesh.cjs (see src/boot/code-cache.ts): runs representative commands
// in a child process that loaded the bundle without a cache (`--train`), then saves the bytecode of
// everything they compiled. The commands' exit codes are checked, so this is also a smoke test of the
// bundle. Inputs: examples/ and a small generated Envoy config dump.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = join(ROOT, 'dist/mesh.cjs');

if (process.argv[2] === '--train') {
  const { loadBundle } = await import('../dist/boot/code-cache.js');
  const dump = process.argv[3];
  const bundle = loadBundle(BUNDLE, { useCache: false });
  const runs = [
    [['analyze', join(ROOT, 'examples')], 79],
    [['analyze', join(ROOT, 'examples'), '-o', 'json'], 79],
    [['analyze', join(ROOT, 'examples'), '-o', 'sarif'], 79],
    [['proxy-config', 'all', '--file', dump], 0],
    [['proxy-config', 'cluster', '--file', dump, '-o', 'json'], 0],
    [['proxy-config', 'listener', '--file', dump, '-o', 'yaml'], 0],
  ];
  for (const [args, want] of runs) {
    process.exitCode = undefined;
    const code = await bundle.exports.main(['node', 'mesh', ...args]);
    if (code !== want)
      throw new Error(`training run \`mesh ${args.join(' ')}\` exited ${code}, want ${want}`);
  }
  process.exitCode = 0;
  writeFileSync(bundle.cacheFile, bundle.script.createCachedData());
} else {
  const { generateDump } = await import('../bench/lib/envoy-dump.mjs');
  const dir = mkdtempSync(join(tmpdir(), 'mesh-code-cache-'));
  try {
    const dump = join(dir, 'config_dump.json');
    generateDump(dump, 20);
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--train', dump], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (child.status !== 0) {
      process.stderr.write(child.stderr);
      throw new Error(`making the code cache failed (exit ${child.status})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
