/**
 * Property-based robustness: random and mutated manifests through the loader and every analyzer must never
 * throw, and the run must end in one of the documented exit codes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { analyzePaths } from '../../src/analyzers/pipeline.js';
import { cliRunOptions } from '../support/analyze.js';
import { PLANTED } from '../support/manifests.js';
import { ISTIO_KINDS } from '../../src/manifests/kinds.js';

const EXAMPLES = join(import.meta.dirname, '../../examples/bookinfo');
const seeds = readdirSync(EXAMPLES).map((f) => readFileSync(join(EXAMPLES, f), 'utf8'));
const ALLOWED_EXIT = new Set([0, 65, 79]);

async function analyzeStdin(text: string) {
  const out = await analyzePaths({
    ...cliRunOptions(),
    paths: ['-'],
    load: { stdin: text, maxExpandedNodes: 20_000 },
    failureThreshold: 'Error',
  });
  // Findings of an analyzer that threw are reported as IST0001 instead of crashing: that is a bug too.
  const internal = out.findings.filter((f) => f.code === 'IST0001');
  return { exitCode: out.exitCode, internal };
}

const istioKinds = Object.entries(ISTIO_KINDS).flatMap(([group, kinds]) =>
  Object.entries(kinds).flatMap(([kind, versions]) =>
    versions.map((v) => ({ apiVersion: `${group}/${v}`, kind })),
  ),
);
const kinds = [
  ...istioKinds,
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'Namespace' },
  { apiVersion: 'v1', kind: 'Pod' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway' },
];

/** A line-level mutation of a seed manifest. */
const mutation = fc.record({
  seed: fc.nat({ max: seeds.length - 1 }),
  ops: fc.array(
    fc.record({
      kind: fc.constantFrom('delete', 'duplicate', 'replace', 'indent', 'truncate', 'garbage', 'swap'),
      at: fc.nat(),
      text: fc.oneof(
        fc.string(),
        fc.constantFrom(
          '- ',
          ': ',
          '[',
          '{',
          '*a',
          '&a x',
          '"',
          "'",
          '---',
          '...',
          'null',
          '~',
          '-1',
          '1e400',
          '0x1F',
        ),
      ),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});

function mutate(seed: string, ops: Array<{ kind: string; at: number; text: string }>): string {
  let lines = seed.split('\n');
  for (const op of ops) {
    const i = op.at % Math.max(lines.length, 1);
    switch (op.kind) {
      case 'delete':
        lines.splice(i, 1);
        break;
      case 'duplicate':
        lines.splice(i, 0, lines[i] ?? '');
        break;
      case 'replace': {
        const l = lines[i] ?? '';
        const colon = l.indexOf(':');
        lines[i] = colon >= 0 ? `${l.slice(0, colon + 1)} ${op.text}` : op.text;
        break;
      }
      case 'indent':
        lines[i] = ' '.repeat(op.text.length % 5) + (lines[i] ?? '').trimStart();
        break;
      case 'truncate':
        lines = lines.slice(0, i);
        break;
      case 'garbage':
        lines.splice(i, 0, op.text);
        break;
      case 'swap':
        [lines[i], lines[0]] = [lines[0] ?? '', lines[i] ?? ''];
        break;
    }
  }
  return lines.join('\n');
}

describe('robustness (property-based)', () => {
  it('survives mutated real manifests', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, async ({ seed, ops }) => {
        const r = await analyzeStdin(mutate(seeds[seed]!, ops));
        expect(ALLOWED_EXIT.has(r.exitCode)).toBe(true);
        expect(r.internal).toEqual([]);
      }),
      { numRuns: 1500 },
    );
  });

  it('survives structurally random objects of every known kind', async () => {
    const obj = fc.record({
      kind: fc.constantFrom(...kinds),
      name: fc.oneof(fc.constant('x'), fc.string({ maxLength: 12 })),
      ns: fc.option(fc.constantFrom('default', 'istio-system', 'shop', ''), { nil: undefined }),
      spec: fc.anything({ maxDepth: 4, withNullPrototype: false, withObjectString: false }),
      metadataExtra: fc.option(
        fc.dictionary(fc.constantFrom('labels', 'annotations'), fc.anything({ maxDepth: 2 })),
        { nil: undefined },
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(obj, { minLength: 1, maxLength: 6 }), async (objs) => {
        const docs = objs.map((o) => ({
          apiVersion: o.kind.apiVersion,
          kind: o.kind.kind,
          metadata: {
            name: o.name,
            ...(o.ns !== undefined ? { namespace: o.ns } : {}),
            ...(o.metadataExtra ?? {}),
          },
          spec: o.spec,
        }));
        let text: string;
        try {
          text = docs.map((d) => stringify(d)).join('---\n');
        } catch {
          return; // values YAML cannot represent (e.g. symbols) are not manifests
        }
        const r = await analyzeStdin(text);
        expect(ALLOWED_EXIT.has(r.exitCode)).toBe(true);
        expect(r.internal).toEqual([]);
      }),
      { numRuns: 1500 },
    );
  });

  it('takes mappings whose keys shadow toString/valueOf wherever a string is expected', async () => {
    // String({ toString: '' }) throws; the analyzers read such values as text instead.
    const odd = '{ toString: "", valueOf: 1 }';
    const r = await analyzeStdin(
      [
        `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: x\n  annotations:\n    a.istio.io/b: ${odd}\n  labels:\n    app: ${odd}\nspec:\n  hosts: [${odd}]\n  gateways: [${odd}]\n  exportTo: [${odd}]\n`,
        `apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: g\nspec:\n  servers:\n  - port: { number: 80, name: http, protocol: HTTP }\n    hosts: [${odd}]\n`,
        // workloads: the labels and annotations of a Pod and of a Deployment's pod template
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: { app: ${odd} }\n  annotations: { a: ${odd} }\nspec:\n  containers: [{ name: c, image: i }]\n`,
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    metadata:\n      labels: { app: ${odd} }\n      annotations: { a: ${odd} }\n    spec:\n      containers: [{ name: c, image: i }]\n`,
      ].join('---\n'),
    );
    expect(ALLOWED_EXIT.has(r.exitCode)).toBe(true);
    expect(r.internal).toEqual([]);
  });

  it('survives arbitrary text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 400, unit: 'binary' }), async (text) => {
        const r = await analyzeStdin(text);
        expect(ALLOWED_EXIT.has(r.exitCode)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

/** A hostile VirtualService: `payload` (JSON text) under an unknown field, written as JSON or YAML. */
function hostile(
  format: 'json' | 'yaml-flow' | 'yaml-block',
  payload: string,
): { file: string; text: string } {
  const head = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' };
  if (format === 'json')
    return {
      file: 'hostile.json',
      text: `{"apiVersion":"${head.apiVersion}","kind":"${head.kind}","metadata":{"name":"hostile"},"spec":{"hosts":["h"],"http":[{"route":[{"destination":{"host":"h"}}],"x":${payload}}]}}`,
    };
  const lead = `apiVersion: ${head.apiVersion}\nkind: ${head.kind}\nmetadata:\n  name: hostile\nspec:\n  hosts: [h]\n  http:\n  - route:\n    - destination:\n        host: h\n`;
  if (format === 'yaml-flow') return { file: 'hostile.yaml', text: `${lead}    x: ${payload}\n` };
  return {
    file: 'hostile.yaml',
    text: `${lead}    x:\n${stringify(JSON.parse(payload), { indent: 2 }).replace(/^/gm, '      ')}`,
  };
}

describe('robustness: hostile documents never hide a sibling file’s findings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-hostile-'));
  writeFileSync(join(dir, 'sibling.yaml'), PLANTED);

  const format = fc.constantFrom('json', 'yaml-flow', 'yaml-block') as fc.Arbitrary<
    'json' | 'yaml-flow' | 'yaml-block'
  >;
  const payload = fc.oneof(
    // Deep nesting of mappings or sequences, around the limit and far past it. Block style indents every
    // level, so past a few hundred levels it is megabytes of text: those are written in flow style.
    fc
      .record({
        depth: fc.oneof(fc.integer({ min: 95, max: 105 }), fc.integer({ min: 1, max: 20_000 })),
        open: fc.constantFrom('[', '{"a":'),
        format,
      })
      .map(({ depth, open, format }) => ({
        text: `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`,
        format: depth > 300 && format === 'yaml-block' ? ('yaml-flow' as const) : format,
      })),
    // Huge arrays, of scalars or small objects.
    fc
      .record({
        n: fc.integer({ min: 0, max: 50_000 }),
        item: fc.constantFrom('1', '"s"', '{"k":null}', '[]'),
        format,
      })
      .map(({ n, item, format }) => ({ text: `[${Array(n).fill(item).join(',')}]`, format })),
    // Long keys and values.
    fc
      .record({
        n: fc.integer({ min: 1, max: 300_000 }),
        c: fc.constantFrom('k', 'é', '"', '\\', '{'),
        format,
      })
      .map(({ n, c, format }) => ({
        text: `{${JSON.stringify(c.repeat(n))}:${JSON.stringify(c.repeat(n % 1000))}}`,
        format,
      })),
  );

  it('reports the planted finding next to deep, huge and long documents in JSON and YAML', async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const { file, text } = hostile(p.format, p.text);
        rmSync(join(dir, 'hostile.json'), { force: true });
        rmSync(join(dir, 'hostile.yaml'), { force: true });
        writeFileSync(join(dir, file), text);
        const out = await analyzePaths({ ...cliRunOptions(), paths: [dir], failureThreshold: 'Error' });
        expect(out.findings.map((f) => [f.code, f.origin, f.line])).toContainEqual([
          'IST0106',
          'VirtualService default/planted',
          12,
        ]);
        expect(out.findings.filter((f) => f.code === 'IST0001')).toEqual([]);
        expect(out.exitCode).toBe(79);
        // The hostile file is either analyzed (an unknown field) or refused with a located problem.
        const refused = out.load.problems.filter((pr) => pr.severity === 'error');
        const analyzed = out.findings.some((f) => f.origin === 'VirtualService default/hostile');
        expect(refused.length + Number(analyzed)).toBe(1);
        for (const pr of refused)
          expect(pr).toMatchObject({ file: join(dir, file), line: expect.any(Number) });
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
