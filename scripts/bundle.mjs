// Bundles the compiled CLI (dist/*.js, from tsc), its dependencies and the precompiled validators
// (dist/validators/) into one CommonJS file, dist/mesh.cjs, that bin/mesh.js loads with a V8 code cache
// made on the user's machine (see src/boot/code-cache.ts).
// Lazily imported modules stay lazy: esbuild evaluates them only when the import runs. That includes
// the Kubernetes client: it is an ES module, which Node before 20.19 cannot require() (every cluster
// command failed there while it stayed in node_modules), and bundled it is covered by the code cache
// (a cluster command starts in ≈ 0.14 s instead of ≈ 0.42 s).
// A command that never touches a cluster only pays for reading the larger file (≈ 4 MB; a few ms).
// The first line, `// mesh-build <id>`, is a hash of the rest: it names the bundle's code cache.
import { createHash } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { build, transform } from 'esbuild';
import { bundleBanner } from '../dist/boot/code-cache.js';

const OUT = 'dist/mesh.cjs';

// Outputs of earlier builds (the former split bundle in dist/bundle/, the former shipped code caches).
rmSync('dist/bundle', { recursive: true, force: true });
for (const f of readdirSync('dist')) if (/^mesh\.cjs\..*\.cache$/.test(f)) rmSync(`dist/${f}`);

// The entry registers every precompiled validator module so that esbuild bundles them.
const validators = readdirSync('dist/validators')
  .filter((f) => f.endsWith('.cjs'))
  .sort();
if (validators.length === 0)
  throw new Error('no precompiled validators in dist/validators: run build-validators first');
writeFileSync(
  'dist/bundle-entry.js',
  [
    '// Written by scripts/bundle.mjs: the entry of dist/mesh.cjs.',
    "import { registerBundledValidators } from './analyzers/schema/precompiled.js';",
    'registerBundledValidators({',
    ...validators.map(
      (f) => `  ${JSON.stringify(f)}: () => require(${JSON.stringify(`./validators/${f}`)}),`,
    ),
    '});',
    "export { main } from './cli.js';",
    '',
  ].join('\n'),
);

const result = await build({
  entryPoints: ['dist/bundle-entry.js'],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile: OUT,
  write: false,
  logLevel: 'warning',
  // Half the size to read and decode on every start (≈ 8 ms less per run); names are kept, so stack
  // traces and profiles still name functions.
  minifyWhitespace: true,
  minifySyntax: true,
  // The bundle runs through vm.Script, which has no loader for import(): externals are required instead.
  supported: { 'dynamic-import': false },
  // Modules find package files (schemas/, package.json) from their own location.
  define: { 'import.meta.url': '__meshModuleUrl' },
  banner: { js: "const __meshModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
const code = await asciiOnly(result.outputFiles[0].text);
if (/\bimport\(/.test(code.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, '')))
  throw new Error('dist/mesh.cjs contains import(), which fails under vm.Script: require the module instead');
const id = createHash('sha256').update(code).digest('hex').slice(0, 16);
writeFileSync(OUT, `${bundleBanner(id)}\n${code}`);

// The loader in CommonJS too, for bin/mesh.js (a CommonJS entry starts a few milliseconds sooner), with
// what it imports from dist/ inlined: requiring an ES module from CommonJS fails before Node 20.19.
await build({
  entryPoints: ['dist/boot/code-cache.js'],
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outfile: 'dist/boot/code-cache.cjs',
  logLevel: 'warning',
});

/**
 * The bundle with every non-ASCII character written as a \\u escape: V8 then holds the source as
 * one-byte text (read ≈ 3× faster, less memory). esbuild already escapes strings and identifiers; what
 * is left is in comments (from dependencies) and regular expressions. The escaped bundle must minify to
 * exactly what the original does (comments are dropped there), so an escape that would change code,
 * e.g. in a regular expression or a template's raw text, fails the build instead.
 */
async function asciiOnly(text) {
  const escaped = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (escaped === text) return text;
  const min = async (t) => (await transform(t, { minify: true, format: 'cjs', platform: 'node' })).code;
  if ((await min(escaped)) !== (await min(text)))
    throw new Error('non-ASCII characters in bundled code (not in comments): write them as \\u escapes');
  return escaped;
}
