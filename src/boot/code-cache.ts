/**
 * Loading the single-file CLI bundle (dist/mesh.cjs) with a V8 code cache made on the user's machine.
 *
 * `npm run build` bundles the CLI into one CommonJS file whose first line is `// mesh-build <id>` (a
 * content hash). The first run of a command group (`analyze`, `proxy-config`, everything else) compiles
 * the bundle from source and, once its output is written, saves V8's code cache of what it compiled in a
 * per-user cache directory; later runs of the group load the bundle with it and skip parsing and
 * compiling the code they need. A cache holds only what the run that made it compiled: a later run at
 * least twice as long (a larger input, which reaches more code) saves it again if it compiled more, so
 * a cache made by `mesh analyze one-file.yaml` grows to cover the repository analyzed next.
 *
 * A code cache holds bytecode for one exact runtime. V8 itself checks only its own version, its flags and
 * the source length, and it accepts a cache made by another Node build with the same V8 (Node 20.11.1 and
 * 20.20.2 both run V8 11.3): the bytecode then refers to another build's built-ins and the process
 * crashes. So a cache is only ever read by the runtime that wrote it: its file name holds the bundle's
 * build id, the group and a hash of the runtime (Node version, platform, architecture, V8's cache tag,
 * which covers V8's version and flags, and the identity of the node binary itself). Nothing is shipped.
 * Any failure to read or write a cache only means compiling from source.
 */
import { isAscii } from 'node:buffer';
import { readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { cachedDataVersionTag } from 'node:v8';
import { Script } from 'node:vm';
import { makeDirs } from '../util/dirs.js';

export type CacheState = 'used' | 'rejected' | 'missing' | 'off';

export interface LoadedBundle<T> {
  exports: T;
  /** The compiled script, for saving its code cache after a run. */
  script: Script;
  /** The cache file of this bundle, group and runtime (whether or not it exists); '' when caching is off. */
  cacheFile: string;
  cache: CacheState;
  /** Size of the cache the bundle was loaded with (0 without one). */
  cacheBytes: number;
}

const BANNER = /^\/\/ mesh-build ([0-9a-f]{8,64})$/;

/** Caches not written for this long are deleted when a new cache is saved (older builds, old Node). */
const STALE_MS = 30 * 24 * 3600 * 1000;

/**
 * Runs shorter than this never look for code their cache lacks: asking V8 for the cache costs a few
 * milliseconds (≈ 8 ms for the analyze group's).
 */
const GROW_MIN_MS = 200;

/**
 * Commands with a cache of their own; all others share `cli`'s. A group's cache holds what its first run
 * compiled, so commands that talk to a cluster share one (`cluster`): it holds the Kubernetes client.
 */
export const CACHE_GROUPS: Readonly<Record<string, string>> = {
  analyze: 'analyze',
  'proxy-config': 'proxy-config',
  pc: 'proxy-config',
  ...Object.fromEntries(
    [
      'install',
      'upgrade',
      'uninstall',
      'check',
      'precheck',
      'certs',
      'proxy-status',
      'ps',
      'drift',
      'version',
    ].map((c) => [c, 'cluster']),
  ),
};

/** The cache group of a command line (arguments after `mesh`): its command's, else `cli`. */
export function cacheGroup(args: readonly string[]): string {
  const first = args.find((a) => !a.startsWith('-'));
  return first !== undefined && Object.hasOwn(CACHE_GROUPS, first) ? CACHE_GROUPS[first]! : 'cli';
}

/** `// mesh-build <id>`: the first line of a bundle written by scripts/bundle.mjs. */
export function bundleBanner(id: string): string {
  return `// mesh-build ${id}`;
}

/** What a code cache is only valid for: one Node binary, run with one set of V8 flags. */
export interface Runtime {
  /** `process.version`. */
  node: string;
  platform: string;
  arch: string;
  /** `v8.cachedDataVersionTag()`: V8's version, its flags and the CPU features it uses. */
  v8Tag: number;
  /** The node binary: path, size, modification time and inode (a rebuilt binary of the same version). */
  binary: string;
}

/** The runtime of this process. */
export function currentRuntime(): Runtime {
  let binary = process.execPath;
  try {
    const st = statSync(process.execPath);
    binary += `:${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    // the binary cannot be inspected: the path and the rest still separate runtimes
  }
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    v8Tag: cachedDataVersionTag(),
    binary,
  };
}

/**
 * A short hash of a runtime, for cache file names: 64 bits of FNV-1a (two 32-bit lanes with different
 * offsets). It only has to keep runtimes apart, not resist an attacker, and `node:crypto` alone would add
 * several milliseconds to every start (it is the largest module the loader would need).
 */
export function runtimeKey(rt: Runtime): string {
  const text = [rt.node, rt.platform, rt.arch, rt.v8Tag, rt.binary].join('\n');
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (a >>> 15);
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return hex(a) + hex(b);
}

/**
 * The per-user directory for mesh's code caches: `$MESH_CACHE_DIR`, else the platform's cache directory
 * (`$XDG_CACHE_HOME/mesh` or `~/.cache/mesh`; `~/Library/Caches/mesh` on macOS; `%LOCALAPPDATA%\mesh`
 * on Windows), always with `code-cache` appended. Undefined when there is no home directory.
 */
export function defaultCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: string = process.platform,
): string | undefined {
  if (env.MESH_CACHE_DIR) return join(env.MESH_CACHE_DIR, 'code-cache');
  let home: string;
  try {
    home = env.HOME || homedir();
  } catch {
    return undefined;
  }
  if (!home) return undefined;
  let base: string;
  if (platform === 'darwin') base = join(home, 'Library', 'Caches');
  else if (platform === 'win32') base = env.LOCALAPPDATA || join(home, 'AppData', 'Local');
  else base = env.XDG_CACHE_HOME || join(home, '.cache');
  return join(base, 'mesh', 'code-cache');
}

/** The build id of a bundle's source (its first line), or undefined for a bundle without one. */
function buildId(source: string): string | undefined {
  return BANNER.exec(source.slice(0, source.indexOf('\n')))?.[1];
}

/** Where the cache of a bundle build, group and runtime lives. */
export function cacheFileFor(dir: string, id: string, group: string, runtime: string): string {
  return join(dir, `mesh-${id}-${group}-${runtime}.cache`);
}

export interface LoadOptions {
  /** The cache directory; undefined turns caching off. */
  cacheDir?: string;
  /** The command group (see `cacheGroup`). */
  group?: string;
  /** The runtime key (see `runtimeKey`); this process's when not given. */
  runtime?: string;
}

/** Evaluates a CommonJS bundle (like `require`, but through vm.Script so a code cache can be given). */
export function loadBundle<T>(bundleFile: string, opts: LoadOptions = {}): LoadedBundle<T> {
  const bytes = readFileSync(bundleFile);
  // The build writes the bundle in ASCII, which decodes as latin1 in half the time of UTF-8.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  const id = buildId(source);
  const cacheFile =
    id && opts.cacheDir
      ? cacheFileFor(opts.cacheDir, id, opts.group ?? 'cli', opts.runtime ?? runtimeKey(currentRuntime()))
      : '';
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined; // not made yet for this build, group and runtime
    }
  }
  const script = new Script(Module.wrap(source), { filename: bundleFile, cachedData });
  const cache: CacheState = !cacheFile
    ? 'off'
    : !cachedData
      ? 'missing'
      : script.cachedDataRejected
        ? 'rejected'
        : 'used';
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: unknown },
    filename: string,
    dirname: string,
  ) => void;
  const mod = { exports: {} as unknown };
  wrapper.call(mod.exports, mod.exports, createRequire(bundleFile), mod, bundleFile, dirname(bundleFile));
  return { exports: mod.exports as T, script, cacheFile, cache, cacheBytes: cachedData?.length ?? 0 };
}

/** Beside each cache: how long (ms) the run that last saved or checked it took. */
function runTimeFile(cacheFile: string): string {
  return `${cacheFile}.ms`;
}

/**
 * After a run: saves the code cache of everything the run compiled when there was none (or V8 rejected
 * it), or when a run at least twice as long as the one that made it (and at least `GROW_MIN_MS`) compiled
 * code the cache lacks. Writes are atomic (concurrent runs each write a whole file); caches nobody wrote
 * for 30 days are deleted. Quiet: a cache that cannot be written is simply not there next time.
 */
export function saveCache(bundle: LoadedBundle<unknown>, opts: { runMs?: number; now?: number } = {}): void {
  if (!bundle.cacheFile || bundle.cache === 'off') return;
  const runMs = Math.round(opts.runMs ?? 0);
  const growing = bundle.cache === 'used';
  if (growing) {
    if (runMs < GROW_MIN_MS) return;
    const madeIn = Number(readText(runTimeFile(bundle.cacheFile)));
    if (madeIn > 0 && runMs < 2 * madeIn) return;
  }
  const data = bundle.script.createCachedData();
  if (growing && data.length <= bundle.cacheBytes) {
    // nothing new compiled: runs of this size need not look again
    quietly(() => writeFileSync(runTimeFile(bundle.cacheFile), String(runMs)));
    return;
  }
  const dir = dirname(bundle.cacheFile);
  const tmp = `${bundle.cacheFile}.${process.pid}.tmp`;
  try {
    makeDirs(dir);
    writeFileSync(tmp, data);
    renameSync(tmp, bundle.cacheFile);
  } catch {
    quietly(() => rmSync(tmp, { force: true }));
    return;
  }
  quietly(() => writeFileSync(runTimeFile(bundle.cacheFile), String(runMs)));
  const now = opts.now ?? Date.now();
  quietly(() => {
    for (const f of readdirSync(dir)) {
      const file = join(dir, f);
      if (/^mesh-.*\.(cache|tmp|ms)$/.test(f) && now - statSync(file).mtimeMs > STALE_MS) rmSync(file);
    }
  });
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function quietly(f: () => void): void {
  try {
    f();
  } catch {
    // an accelerator only: nothing to report
  }
}
