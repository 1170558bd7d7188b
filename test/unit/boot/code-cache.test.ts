import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedDataVersionTag } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bundleBanner,
  cacheFileFor,
  cacheGroup,
  currentRuntime,
  defaultCacheDir,
  loadBundle,
  runtimeKey,
  saveCache,
  type Runtime,
} from '../../../src/boot/code-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Api {
  answer: () => number;
  file: string;
}
const body = (n: number) =>
  `exports.answer = function () { return ${n}; };\nexports.file = __filename;\nexports.answer();\n`;

function writeBundle(name: string, id: string, n: number): string {
  const file = join(dir, name);
  writeFileSync(file, `${bundleBanner(id)}\n${body(n)}`);
  return file;
}

let dirs = 0;
const newCacheDir = () => join(dir, `cache-${dirs++}`);

describe('loadBundle and saveCache', () => {
  it('compiles from source and saves the cache on the first run; the next run of this runtime uses it', () => {
    const file = writeBundle('a.cjs', 'aaaaaaaaaaaaaaaa', 42);
    const cacheDir = newCacheDir();
    const cold = loadBundle<Api>(file, { cacheDir });
    expect(cold.cache).toBe('missing');
    expect(cold.exports.answer()).toBe(42);
    expect(cold.exports.file).toBe(file);
    saveCache(cold);
    // the cache, and how long the run that made it took
    expect(readdirSync(cacheDir).sort()).toEqual([
      `mesh-aaaaaaaaaaaaaaaa-cli-${runtimeKey(currentRuntime())}.cache`,
      `mesh-aaaaaaaaaaaaaaaa-cli-${runtimeKey(currentRuntime())}.cache.ms`,
    ]);
    const warm = loadBundle<Api>(file, { cacheDir });
    expect(warm.cache).toBe('used');
    expect(warm.cacheFile).toBe(cold.cacheFile);
    expect(warm.exports.answer()).toBe(42);
  });

  it('saves the cache again after a much longer run that compiled code the cache lacks', () => {
    // `more()` is compiled only when called: a short first run leaves it out of the cache
    const file = join(dir, 'grow.cjs');
    writeFileSync(
      file,
      `${bundleBanner('6666666666666666')}\nexports.small = function () { return 1; };\nexports.more = function () { return [1, 2, 3].map((x) => x * 2).join(); };\n`,
    );
    const cacheDir = newCacheDir();
    const first = loadBundle<{ small: () => number; more: () => string }>(file, { cacheDir });
    first.exports.small();
    saveCache(first, { runMs: 150 });
    const made = statSync(first.cacheFile).size;
    expect(readFileSync(`${first.cacheFile}.ms`, 'utf8')).toBe('150');

    // a run not twice as long is not looked at, whatever it compiled
    const second = loadBundle<{ small: () => number; more: () => string }>(file, { cacheDir });
    expect(second.cache).toBe('used');
    second.exports.more();
    saveCache(second, { runMs: 290 });
    expect(statSync(first.cacheFile).size).toBe(made);

    // twice as long, and it compiled `more`: the cache grows
    const third = loadBundle<{ small: () => number; more: () => string }>(file, { cacheDir });
    third.exports.more();
    saveCache(third, { runMs: 400 });
    expect(statSync(first.cacheFile).size).toBeGreaterThan(made);
    expect(readFileSync(`${first.cacheFile}.ms`, 'utf8')).toBe('400');

    // a longer run that compiled nothing new leaves the cache as it is and notes its length
    const grown = statSync(first.cacheFile).size;
    const fourth = loadBundle<{ small: () => number; more: () => string }>(file, { cacheDir });
    fourth.exports.more();
    saveCache(fourth, { runMs: 900 });
    expect(statSync(first.cacheFile).size).toBe(grown);
    expect(readFileSync(`${first.cacheFile}.ms`, 'utf8')).toBe('900');
    // short runs never ask V8 for the cache
    const short = loadBundle<{ small: () => number; more: () => string }>(file, { cacheDir });
    saveCache(short, { runMs: 50 });
    expect(readFileSync(`${first.cacheFile}.ms`, 'utf8')).toBe('900');
  });

  it('never reads a cache another runtime wrote, even one V8 would accept (same V8, other Node build)', () => {
    const file = writeBundle('r.cjs', 'abcdefabcdefabcd', 7);
    const cacheDir = newCacheDir();
    // This process's V8 accepts what it wrote itself; under another runtime's key it is not looked at.
    const made = loadBundle<Api>(file, { cacheDir, runtime: 'node-20.11.1' });
    saveCache(made);
    expect(loadBundle<Api>(file, { cacheDir, runtime: 'node-20.11.1' }).cache).toBe('used');
    const other = loadBundle<Api>(file, { cacheDir, runtime: 'node-20.20.2' });
    expect(other.cache).toBe('missing');
    expect(other.exports.answer()).toBe(7);
  });

  it('never applies a cache to another build, even one of the same length', () => {
    const file = writeBundle('b.cjs', 'bbbbbbbbbbbbbbbb', 1);
    const cacheDir = newCacheDir();
    saveCache(loadBundle<Api>(file, { cacheDir }));
    // A rebuild: same length, new code, new id. The old cache is not even looked at.
    writeBundle('b.cjs', 'cccccccccccccccc', 2);
    const b = loadBundle<Api>(file, { cacheDir });
    expect(b.cache).toBe('missing');
    expect(b.exports.answer()).toBe(2);
  });

  it('compiles from source when V8 rejects the cache, and replaces that cache', () => {
    const file = writeBundle('c.cjs', 'dddddddddddddddd', 3);
    const cacheDir = newCacheDir();
    const cacheFile = cacheFileFor(cacheDir, 'dddddddddddddddd', 'cli', runtimeKey(currentRuntime()));
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cacheFile, Buffer.from('not a V8 code cache'));
    const b = loadBundle<Api>(file, { cacheDir });
    expect(b.cache).toBe('rejected');
    expect(b.exports.answer()).toBe(3);
    saveCache(b);
    expect(loadBundle<Api>(file, { cacheDir }).cache).toBe('used');
  });

  it('is off without a cache directory, and for a bundle without a build line', () => {
    const file = writeBundle('d.cjs', 'eeeeeeeeeeeeeeee', 4);
    const off = loadBundle<Api>(file);
    expect(off.cache).toBe('off');
    saveCache(off); // nothing to save, nowhere
    const plain = join(dir, 'plain.cjs');
    writeFileSync(plain, body(5));
    const cacheDir = newCacheDir();
    const b = loadBundle<Api>(plain, { cacheDir });
    expect(b.cache).toBe('off');
    expect(b.cacheFile).toBe('');
    expect(b.exports.answer()).toBe(5);
    saveCache(b);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it('runs normally when the cache directory cannot be written', () => {
    const file = writeBundle('f.cjs', '1111111111111111', 8);
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'a file where the cache directory would be');
    const b = loadBundle<Api>(file, { cacheDir: join(blocker, 'code-cache') });
    expect(b.cache).toBe('missing');
    expect(() => saveCache(b)).not.toThrow();
    expect(b.exports.answer()).toBe(8);
  });

  it('deletes caches nobody wrote for 30 days when it saves one', () => {
    const file = writeBundle('g.cjs', '2222222222222222', 9);
    const cacheDir = newCacheDir();
    mkdirSync(cacheDir, { recursive: true });
    const old = join(cacheDir, 'mesh-0000000000000000-cli-0000000000000000.cache');
    const recent = join(cacheDir, 'mesh-0000000000000001-cli-0000000000000000.cache');
    const foreign = join(cacheDir, 'other-tool.cache');
    for (const f of [old, recent, foreign]) writeFileSync(f, 'x');
    const longAgo = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    utimesSync(old, longAgo, longAgo);
    utimesSync(foreign, longAgo, longAgo);
    const b = loadBundle<Api>(file, { cacheDir });
    saveCache(b);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
    expect(existsSync(b.cacheFile)).toBe(true);
  });

  it('reads a bundle that is not ASCII as UTF-8', () => {
    const file = join(dir, 'utf8.cjs');
    writeFileSync(file, `${bundleBanner('abababababababab')}\nexports.answer = () => 'µs → ✓';\n`);
    expect(loadBundle<{ answer: () => string }>(file).exports.answer()).toBe('µs → ✓');
  });

  it('keeps one cache per group, and a run reads only its own group', () => {
    const file = writeBundle('e.cjs', 'ffffffffffffffff', 6);
    const cacheDir = newCacheDir();
    saveCache(loadBundle<Api>(file, { cacheDir, group: 'analyze' }));
    expect(loadBundle<Api>(file, { cacheDir, group: 'analyze' }).cache).toBe('used');
    expect(loadBundle<Api>(file, { cacheDir, group: 'proxy-config' }).cache).toBe('missing');
  });
});

describe('runtimeKey', () => {
  const base: Runtime = {
    node: 'v20.20.2',
    platform: 'linux',
    arch: 'x64',
    v8Tag: 2208153205,
    binary: '/usr/bin/node:96000000:1700000000000:1234',
  };

  it('differs for every part of the runtime, including Node builds that share a V8', () => {
    const keys = [
      base,
      { ...base, node: 'v20.11.1' }, // same V8 11.3 and the same V8 cache tag: the crash of issue 13
      { ...base, arch: 'arm64' },
      { ...base, platform: 'darwin' },
      { ...base, v8Tag: 1234 }, // other V8 flags (NODE_OPTIONS=--max-old-space-size=4096)
      { ...base, binary: '/usr/bin/node:96000000:1700000009999:1234' }, // a rebuilt binary
    ].map(runtimeKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(runtimeKey({ ...base })).toBe(keys[0]);
  });

  it("includes this process's Node version and V8 cache tag", () => {
    const rt = currentRuntime();
    expect(rt.node).toBe(process.version);
    expect(rt.v8Tag).toBe(cachedDataVersionTag());
    expect(rt.binary.startsWith(process.execPath)).toBe(true);
  });
});

describe('defaultCacheDir', () => {
  it('follows MESH_CACHE_DIR, XDG_CACHE_HOME and each platform’s cache folder', () => {
    expect(defaultCacheDir({ MESH_CACHE_DIR: '/c', HOME: '/h' }, 'linux')).toBe('/c/code-cache');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }, 'linux')).toBe('/x/mesh/code-cache');
    expect(defaultCacheDir({ HOME: '/h' }, 'linux')).toBe('/h/.cache/mesh/code-cache');
    expect(defaultCacheDir({ HOME: '/h' }, 'darwin')).toBe('/h/Library/Caches/mesh/code-cache');
    expect(defaultCacheDir({ HOME: '/h', LOCALAPPDATA: '/l' }, 'win32')).toBe(
      join('/l', 'mesh', 'code-cache'),
    );
  });
});

describe('cacheGroup', () => {
  it.each([
    [['analyze', 'x.yaml'], 'analyze'],
    [['-v', 'analyze'], 'analyze'],
    [['proxy-config', 'all'], 'proxy-config'],
    [['pc', 'cluster'], 'proxy-config'],
    [['version'], 'cluster'],
    [['ps'], 'cluster'],
    [['install', '-y'], 'cluster'],
    [['manifest', 'generate'], 'cli'],
    [['--help'], 'cli'],
    [[], 'cli'],
    [['constructor'], 'cli'],
  ])('%j -> %s', (args, group) => {
    expect(cacheGroup(args)).toBe(group);
  });
});
