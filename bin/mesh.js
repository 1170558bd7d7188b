#!/usr/bin/env node
// CommonJS (bin/package.json): a CommonJS entry starts a few milliseconds sooner than an ES module.
const { join } = require('node:path');

// Deprecation warnings are for the authors of the code that triggers them: Node 24 reports `punycode` and
// `url.parse()` used by the bundled Kubernetes client's HTTP stack on every cluster command (it stays
// quiet for code inside node_modules, but the bundle is not there). Users of a CLI should not see them.
process.noDeprecation = true;
const { cacheGroup, defaultCacheDir, loadBundle, saveCache } = require('../dist/boot/code-cache.cjs');

const bundle = loadBundle(join(__dirname, '../dist/mesh.cjs'), {
  cacheDir: process.env.MESH_NO_CODE_CACHE === '1' ? undefined : defaultCacheDir(),
  group: cacheGroup(process.argv.slice(2)),
});
// A reader that stops early (`mesh … | head`) closes the pipe. Like other Unix tools, end quietly then:
// with the command's exit code once it has one, else 141 (a shell's status for a tool that SIGPIPE ended).
let finished;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(finished ?? 141);
  });
}

// The command's promise settles on every path, with an answer or an error. Should a bug leave it pending with
// nothing left to wait for (a connection dropped in a way nothing noticed), Node would exit 0 having printed
// nothing, which a script takes for success. Say so, and fail.
process.on('exit', (code) => {
  if (finished !== undefined || code !== 0) return;
  require('node:fs').writeSync(
    2,
    'Error: mesh stopped with its work unfinished: nothing it waited for (a connection, a process) can still answer\n' +
      'Hint: this is a bug in mesh; please report it with the command and its --verbose output\n',
  );
  process.exitCode = 1;
});

bundle.exports.main(process.argv).then((code) => {
  finished = code;
  // The first run of a command group on this runtime saves the code cache of what it compiled (and a
  // much longer run, what it compiled beyond that).
  saveCache(bundle, { runMs: process.uptime() * 1000 });
  // The command is done and its output written. When nothing is still queued on stdout or stderr,
  // leave now rather than wait, as a normal exit does, for V8's background work (optimizing
  // compilations, concurrent marking) that no longer matters.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
  process.exitCode = code;
});
