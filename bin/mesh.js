#!/usr/bin/env node
// CommonJS (bin/package.json): a CommonJS entry starts a few milliseconds sooner than an ES module.
const { join } = require('node:path');
const { cacheGroup, loadBundle } = require('../dist/boot/code-cache.cjs');

const bundle = loadBundle(join(__dirname, '../dist/mesh.cjs'), {
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
