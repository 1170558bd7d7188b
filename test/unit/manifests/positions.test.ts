import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allPaths, ROOT, yamlFiles } from '../../support/manifests.js';
import { parseManifestText } from '../../../src/manifests/load.js';
import { fastLocate, UNSUPPORTED } from '../../../src/manifests/fast-yaml.js';
import { parsedPositionOf, positionOf } from '../../../src/manifests/positions.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';

describe('field positions', () => {
  it('agree with the full YAML parser on every field of every real manifest the fast parser reads', () => {
    const files = [
      ...yamlFiles(join(ROOT, 'examples')),
      ...yamlFiles(join(ROOT, '../shared/conformance/istio-analyze/testdata')),
      ...yamlFiles(join(ROOT, 'test/fixtures')),
    ];
    let compared = 0;
    let fastDocs = 0;
    for (const file of files) {
      const resources: Resource[] = [];
      parseManifestText(readFileSync(file, 'utf8'), file, resources, [] as LoadProblem[]);
      for (const r of resources) {
        if (!r.source?.fast) continue;
        fastDocs++;
        for (const p of allPaths(r.body)) {
          const fast = positionOf(r, p);
          const slow = parsedPositionOf(r.source, [...r.source.prefix, ...p]);
          expect(fast, `${file} ${p.join('.')}`).toEqual(slow);
          compared++;
        }
        // A path that does not exist points at its deepest existing ancestor.
        const [first] = allPaths(r.body);
        if (first) expect(positionOf(r, [...first, 'no-such-field', 3])).toEqual(positionOf(r, first));
      }
    }
    expect(fastDocs).toBeGreaterThan(300);
    expect(compared).toBeGreaterThan(10_000);
  });

  it('handles sequences at the key indentation, quoted keys, block scalars and one-line flow collections', () => {
    const text = [
      'metadata:',
      '  name: x',
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
      '    -   destination: {}',
      '  - name: second # comment',
      '',
    ].join('\n');
    const resources: Resource[] = [];
    parseManifestText(`apiVersion: v1\nkind: X\n${text}`, 'x.yaml', resources, []);
    const at = (...p: Array<string | number>) => positionOf(resources[0]!, p);
    expect(at('metadata', 'annotations', 'sidecar.istio.io/inject')).toEqual({ line: 6, column: 5 });
    expect(at('metadata', 'annotations', 'note', 'key')).toEqual({ line: 7, column: 5 });
    expect(at('spec', 'hosts', 1)).toEqual({ line: 11, column: 14 });
    expect(at('spec', 'http', 0, 'route', 0, 'destination')).toEqual({ line: 15, column: 9 });
    expect(at('spec', 'http', 1)).toEqual({ line: 16, column: 5 });
    expect(at('spec', 'http', 1, 'name')).toEqual({ line: 16, column: 5 });
  });

  it('locate every field of JSON files (single objects and Lists) where the full YAML parser does', () => {
    const files = [...yamlFiles(join(ROOT, 'examples')), ...yamlFiles(join(ROOT, 'test/fixtures'))];
    const bodies: Record<string, unknown>[] = [];
    for (const file of files) {
      const resources: Resource[] = [];
      parseManifestText(readFileSync(file, 'utf8'), file, resources, [] as LoadProblem[]);
      for (const r of resources) bodies.push(r.body);
    }
    // Keys JSON escapes, and values of every type.
    bodies.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'esc', annotations: { 'a"b': 'x', 'c\\d': '\u00e9', 'e/f': '' } },
      data: { n: null, t: true, num: -1.5e3, list: [[], {}, [1, [2]]] },
    });
    let compared = 0;
    const texts = [
      ...bodies.map((b, i) => JSON.stringify(b, null, i % 2 === 0 ? 2 : undefined)),
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: bodies }, null, 1),
    ];
    for (const text of texts) {
      const resources: Resource[] = [];
      parseManifestText(text, 'x.json', resources, []);
      for (const r of resources) {
        expect(r.source?.json).toBe(true);
        for (const p of allPaths(r.body)) {
          for (const path of [p, [...p, 'no-such-field']]) {
            expect(positionOf(r, path), `${path.join('.')}`).toEqual(
              parsedPositionOf(r.source!, [...r.source!.prefix, ...path]),
            );
            compared++;
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(5_000);
  });

  it('uses the full parser for multi-line flow collections and multi-line values', () => {
    expect(fastLocate('{"a": 1}', ['a'])).toBe(UNSUPPORTED);
    const resources: Resource[] = [];
    parseManifestText(
      '{"apiVersion": "v1", "kind": "Service",\n "metadata": {"name": "x"}}',
      'x.json',
      resources,
      [],
    );
    expect(positionOf(resources[0]!, 'metadata.name')).toEqual({ line: 2, column: 15 });
    parseManifestText(
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: &n >\n    x\n  namespace: y\n',
      'y.yaml',
      resources,
      [],
    );
    expect(positionOf(resources[1]!, 'metadata.namespace')).toEqual({ line: 6, column: 3 });
    parseManifestText(
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n  finalizers: [a,\n    b]\n  namespace: y\n',
      'z.yaml',
      resources,
      [],
    );
    expect(resources[2]!.source?.fast).toBe(false);
    expect(positionOf(resources[2]!, 'metadata.namespace')).toEqual({ line: 7, column: 3 });
    expect(positionOf(resources[2]!, 'metadata.finalizers[1]')).toEqual({ line: 6, column: 5 });
  });
});
