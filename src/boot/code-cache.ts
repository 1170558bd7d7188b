/**
 * Loading the single-file CLI bundle (dist/mesh.cjs) with a V8 code cache.
 *
 * `npm run build` bundles the CLI into one CommonJS file whose first line is `// mesh-build <id>` (a
 * content hash), runs representative commands and saves V8's code cache for the file: one per command
 * group (`<bundle>.<id>.<group>.cache`: bytecode of every function that group's commands compiled, so a
 * run deserializes only what its command uses). Loading the bundle with its cache skips parsing and
 * compiling the code a run needs, which is a large share of a short run.
 *
 * The cache is only an accelerator: a missing cache, one for another build id, or one V8 rejects (another
 * Node version or V8 flags) means the bundle is compiled from source as usual. The build id in the file
 * name ties a cache to the exact bundle it was made from (V8 itself only checks the source length).
 */
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

export type CacheState = 'used' | 'rejected' | 'missing';

export interface LoadedBundle<T> {
  exports: T;
  /** The compiled script, for producing a cache after a training run. */
  script: Script;
  /** The cache file that belongs to this bundle (whether or not it exists). */
  cacheFile: string;
  cache: CacheState;
}

const BANNER = /^\/\/ mesh-build ([0-9a-f]{8,64})$/;

/** Commands with a cache of their own (trained by scripts/code-cache.mjs); all others use `cli`'s. */
export const CACHE_GROUPS: Readonly<Record<string, string>> = {
  analyze: 'analyze',
  'proxy-config': 'proxy-config',
  pc: 'proxy-config',
};

/**
 * V8 settings per command group, each for the V8 versions it was measured on. They are applied before the
 * bundle is compiled, so a group's cache is made and used under the same flags (V8 rejects a cache made
 * under others). A V8 outside a setting's versions gets V8's defaults: a later V8 that dropped a flag would
 * print an error about it, and one that tiers up differently would need measuring again.
 */
const V8_SETTINGS: ReadonlyArray<{ groups: readonly string[]; v8: RegExp; flag: string }> = [
  // analyze keeps nearly everything it allocates while it parses (the documents): letting the young
  // generation grow faster saves scavenges that would copy them (≈ 16 → 11 scavenges, ≈ 12 ms less GC on
  // the benchmark corpus). proxy-config was measured slower with it. Node 20–24 (V8 11–13).
  { groups: ['analyze'], v8: /^1[1-3]\./, flag: '--semi-space-growth-factor=8' },
  // Optimize later. V8's default budget suits long-running programs; in a run of a few hundred
  // milliseconds it sends many functions to TurboFan that then run only briefly, and on a small machine
  // those compilations compete with the run itself. Measured with a budget of 400,000 (Node 20's default
  // is 67,584; 262,144 gained a little less, 1,000,000 and more lost again): analyze on the benchmark
  // corpus −12 to −15 % wall time and −30 % CPU, `pc all` on a 50 MB dump −9 %, a corpus five times
  // larger about the same wall time (−5 to +3 %) with −15 % CPU. Node 20 (V8 11) only: Node 22 and later
  // add Maglev, a tier in between, and tier up differently.
  { groups: ['analyze', 'proxy-config'], v8: /^11\./, flag: '--interrupt-budget=400000' },
];

/** The V8 flags a command group runs with on a given V8 version. */
export function v8FlagsFor(group: string, v8Version: string = process.versions.v8): string[] {
  return V8_SETTINGS.filter((s) => s.groups.includes(group) && s.v8.test(v8Version)).map((s) => s.flag);
}

/** The cache group of a command line (arguments after `mesh`): its command's, else `cli`. */
export function cacheGroup(args: readonly string[]): string {
  const first = args.find((a) => !a.startsWith('-'));
  return first !== undefined && Object.hasOwn(CACHE_GROUPS, first) ? CACHE_GROUPS[first]! : 'cli';
}

/** `// mesh-build <id>`: the first line of a bundle written by scripts/bundle.mjs. */
export function bundleBanner(id: string): string {
  return `// mesh-build ${id}`;
}

/** Where a cache of a bundle lives: next to it, named by the bundle's build id and the group. */
export function cacheFileFor(bundleFile: string, source: string, group: string): string {
  const firstLine = source.slice(0, source.indexOf('\n'));
  const id = BANNER.exec(firstLine)?.[1];
  return id ? `${bundleFile}.${id}.${group}.cache` : '';
}

/** Evaluates a CommonJS bundle (like `require`, but through vm.Script so a code cache can be given). */
export function loadBundle<T>(
  bundleFile: string,
  opts: { useCache?: boolean; group?: string } = {},
): LoadedBundle<T> {
  const group = opts.group ?? 'cli';
  for (const flag of v8FlagsFor(group)) setFlagsFromString(flag);
  const bytes = readFileSync(bundleFile);
  // The build writes the bundle in ASCII, which decodes as latin1 in half the time of UTF-8.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const cacheFile = cacheFileFor(bundleFile, source, group);
  let cachedData: Buffer | undefined;
  if (cacheFile && opts.useCache !== false) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined; // no cache for this build: compile from source
    }
  }
  const script = new Script(Module.wrap(source), { filename: bundleFile, cachedData });
  const cache: CacheState = !cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used';
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: unknown },
    filename: string,
    dirname: string,
  ) => void;
  const mod = { exports: {} as unknown };
  wrapper.call(mod.exports, mod.exports, createRequire(bundleFile), mod, bundleFile, dirname(bundleFile));
  return { exports: mod.exports as T, script, cacheFile, cache };
}
