import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../src/manifests/load.js';
import { buildBlockIndex } from '../../../src/manifests/block-index.js';
import { parsedPositionOf, positionOf } from '../../../src/manifests/positions.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';

const ROOT = join(import.meta.dirname, '../../..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
  });
}

/** Every path to a map key or sequence item in a value. */
function allPaths(v: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  const entries: Array<[string | number, unknown]> = Array.isArray(v)
    ? v.map((x, i) => [i, x])
    : v && typeof v === 'object'
      ? Object.entries(v)
      : [];
  for (const [k, x] of entries) {
    out.push([...prefix, k]);
    allPaths(x, [...prefix, k], out);
  }
  return out;
}

describe('fast block-YAML position index', () => {
  it('agrees with the full YAML parser on every field of every real manifest it accepts', () => {
    const files = [
      ...yamlFiles(join(ROOT, 'examples')),
      ...yamlFiles(join(ROOT, '../shared/conformance/istio-analyze/testdata')),
      ...yamlFiles(join(ROOT, 'test/fixtures')),
    ];
    let compared = 0;
    let indexed = 0;
    for (const file of files) {
      const resources: Resource[] = [];
      parseManifestText(readFileSync(file, 'utf8'), file, resources, [] as LoadProblem[]);
      for (const r of resources) {
        if (!r.source || !buildBlockIndex(r.source.text, r.source.lineOffset)) continue;
        indexed++;
        const idx = buildBlockIndex(r.source.text, r.source.lineOffset)!;
        for (const p of allPaths(r.body)) {
          const fast = positionOf(r, p);
          const slow = parsedPositionOf(r.source, [...r.source.prefix, ...p]);
          // Inside a one-line flow collection the index knows the line (the key's); the column is exact
          // for every key and item it indexes itself.
          expect(fast?.line, `${file} ${p.join('.')}`).toBe(slow?.line);
          if (idx.has([...r.source.prefix, ...p].join('\u0000')))
            expect(fast, `${file} ${p.join('.')}`).toEqual(slow);
          compared++;
        }
      }
    }
    expect(indexed).toBeGreaterThan(300);
    expect(compared).toBeGreaterThan(10_000);
  });

  it('handles sequences at the key indentation, quoted keys, block scalars and one-line flow collections', () => {
    const text = [
      'metadata:',
      '  annotations:',
      '    "sidecar.istio.io/inject": "true"',
      '    note: |',
      '      key: not a key',
      '      - not an item',
      'spec:',
      '  hosts: [a, b]',
      '  http:',
      '  - name: first',
      '    route:',
      '    -   destination: {host: a}',
      '  - name: second # comment',
      '',
    ].join('\n');
    const idx = buildBlockIndex(text, 10)!;
    const at = (...p: Array<string | number>) => idx.get(p.join('\u0000'));
    expect(at('metadata', 'annotations', 'sidecar.istio.io/inject')).toEqual({ line: 13, column: 5 });
    expect(at('metadata', 'annotations', 'note', 'key')).toBeUndefined();
    expect(at('spec', 'http', '0', 'route', '0', 'destination')).toEqual({ line: 22, column: 9 });
    expect(at('spec', 'http', '1')).toEqual({ line: 23, column: 5 });
    expect(at('spec', 'http', '1', 'name')).toEqual({ line: 23, column: 5 });
  });

  it('declines flow-style documents and multi-line flow collections so the parser takes over', () => {
    expect(buildBlockIndex('{"a": 1}', 0)).toBeUndefined();
    expect(buildBlockIndex('a: [1,\n  2]\n', 0)).toBeUndefined();
    expect(buildBlockIndex('a: "x\n  y"\n', 0)).toBeUndefined();
    const resources: Resource[] = [];
    parseManifestText(
      '{"apiVersion": "v1", "kind": "Service",\n "metadata": {"name": "x"}}',
      'x.json',
      resources,
      [],
    );
    expect(positionOf(resources[0]!, 'metadata.name')).toEqual({ line: 2, column: 15 });
  });
});
