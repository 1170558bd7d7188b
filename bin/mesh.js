#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { cacheGroup, loadBundle } from '../dist/boot/code-cache.js';

const bundle = loadBundle(fileURLToPath(new URL('../dist/mesh.cjs', import.meta.url)), {
  useCache: process.env.MESH_NO_CODE_CACHE !== '1',
  group: cacheGroup(process.argv.slice(2)),
});
bundle.exports.main(process.argv).then((code) => {
  // The command is done and its output written. When nothing is still queued on stdout or stderr,
  // leave now rather than wait, as a normal exit does, for V8's background work (optimizing
  // compilations, concurrent marking) that no longer matters.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
  process.exitCode = code;
});
