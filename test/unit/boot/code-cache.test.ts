import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleBanner, cacheGroup, loadBundle, v8FlagsFor } from '../../../src/boot/code-cache.js';

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

/** Loads once without a cache and saves the cache the way the build does. */
function makeCache(file: string): void {
  const b = loadBundle<Api>(file, { useCache: false });
  b.exports.answer();
  writeFileSync(b.cacheFile, b.script.createCachedData());
}

describe('loadBundle', () => {
  it('evaluates a CommonJS bundle with its own __filename, with or without a cache', () => {
    const file = writeBundle('a.cjs', 'aaaaaaaaaaaaaaaa', 42);
    const cold = loadBundle<Api>(file);
    expect(cold.cache).toBe('missing');
    expect(cold.exports.answer()).toBe(42);
    expect(cold.exports.file).toBe(file);
    makeCache(file);
    const warm = loadBundle<Api>(file);
    expect(warm.cache).toBe('used');
    expect(warm.cacheFile).toBe(`${file}.aaaaaaaaaaaaaaaa.cli.cache`);
    expect(warm.exports.answer()).toBe(42);
  });

  it('never applies a cache to another build, even one of the same length', () => {
    const file = writeBundle('b.cjs', 'bbbbbbbbbbbbbbbb', 1);
    makeCache(file);
    // A rebuild: same length, new code, new id. The old cache is not even looked at.
    writeBundle('b.cjs', 'cccccccccccccccc', 2);
    const b = loadBundle<Api>(file);
    expect(b.cache).toBe('missing');
    expect(b.exports.answer()).toBe(2);
  });

  it('compiles from source when V8 rejects the cache (corrupt, or another Node version)', () => {
    const file = writeBundle('c.cjs', 'dddddddddddddddd', 3);
    writeFileSync(`${file}.dddddddddddddddd.cli.cache`, Buffer.from('not a V8 code cache'));
    const b = loadBundle<Api>(file);
    expect(b.cache).toBe('rejected');
    expect(b.exports.answer()).toBe(3);
  });

  it('ignores caches when told to, and for a bundle without a build line', () => {
    const file = writeBundle('d.cjs', 'eeeeeeeeeeeeeeee', 4);
    makeCache(file);
    expect(loadBundle<Api>(file, { useCache: false }).cache).toBe('missing');
    const plain = join(dir, 'plain.cjs');
    writeFileSync(plain, body(5));
    const b = loadBundle<Api>(plain);
    expect(b.cache).toBe('missing');
    expect(b.cacheFile).toBe('');
    expect(b.exports.answer()).toBe(5);
  });

  it('reads a bundle that is not ASCII as UTF-8', () => {
    const file = join(dir, 'utf8.cjs');
    writeFileSync(file, `${bundleBanner('abababababababab')}\nexports.answer = () => 'µs → ✓';\n`);
    expect(loadBundle<{ answer: () => string }>(file).exports.answer()).toBe('µs → ✓');
  });

  it('keeps one cache per group, and a run reads only its own group', () => {
    const file = writeBundle('e.cjs', 'ffffffffffffffff', 6);
    const b = loadBundle<Api>(file, { useCache: false, group: 'analyze' });
    writeFileSync(b.cacheFile, b.script.createCachedData());
    expect(b.cacheFile).toBe(`${file}.ffffffffffffffff.analyze.cache`);
    expect(loadBundle<Api>(file, { group: 'analyze' }).cache).toBe('used');
    expect(loadBundle<Api>(file, { group: 'proxy-config' }).cache).toBe('missing');
  });
});

describe('cacheGroup', () => {
  it.each([
    [['analyze', 'x.yaml'], 'analyze'],
    [['-v', 'analyze'], 'analyze'],
    [['proxy-config', 'all'], 'proxy-config'],
    [['pc', 'cluster'], 'proxy-config'],
    [['version'], 'cli'],
    [['--help'], 'cli'],
    [[], 'cli'],
    [['constructor'], 'cli'],
  ])('%j -> %s', (args, group) => {
    expect(cacheGroup(args)).toBe(group);
  });
});

describe('v8FlagsFor', () => {
  it('gives each group the V8 settings measured for it, only on the V8 versions they were measured on', () => {
    // Node 20 (V8 11): analyze and proxy-config start optimizing later; analyze's young generation grows faster.
    expect(v8FlagsFor('analyze', '11.3.244.8-node.33')).toEqual([
      '--semi-space-growth-factor=8',
      '--interrupt-budget=400000',
    ]);
    expect(v8FlagsFor('proxy-config', '11.3.244.8-node.33')).toEqual(['--interrupt-budget=400000']);
    expect(v8FlagsFor('cli', '11.3.244.8-node.33')).toEqual([]);
    // Node 22 and 24 tier up differently (Maglev): only the GC setting applies.
    expect(v8FlagsFor('analyze', '12.4.254.21-node.33')).toEqual(['--semi-space-growth-factor=8']);
    expect(v8FlagsFor('proxy-config', '13.6.233.10-node.27')).toEqual([]);
    // A V8 nobody measured gets V8's defaults.
    expect(v8FlagsFor('analyze', '14.0.1')).toEqual([]);
  });
});
