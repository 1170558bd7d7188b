/**
 * A failure while analyzing one document stays with that document: it is reported on it (IST0001, with
 * its file and line) and the analyzer still reports on every other document.
 */
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../src/manifests/load.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';
import { locateFindings, runAnalyzers } from '../../../src/analyzers/run.js';
import { findAnalyzer } from '../../../src/analyzers/registry.js';
import { cliRunOptions } from '../../support/analyze.js';
import { defineAnalyzer } from '../../../src/analyzers/types.js';

const vs = (name: string, weight: number) =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: ${name}\nspec:\n  hosts: [${name}]\n  http:\n  - route:\n    - destination:\n        host: ${name}\n      weight: ${weight}\n`;

function load(files: Record<string, string>): Resource[] {
  const resources: Resource[] = [];
  const problems: LoadProblem[] = [];
  for (const [file, text] of Object.entries(files)) parseManifestText(text, file, resources, problems);
  expect(problems).toEqual([]);
  return resources;
}

async function run(
  resources: Resource[],
  analyzers = [findAnalyzer('schema.ValidationAnalyzer.VirtualService')!],
) {
  const out = runAnalyzers(resources, cliRunOptions({ analyzers }));
  await locateFindings(out.findings);
  return out.findings.map((f) => [f.code, f.origin, f.file, f.line, f.message]);
}

describe('a failing document is contained', () => {
  it('a document too deep for the schema validator (not read from a file) does not hide the others', async () => {
    const resources = load({ 'a.yaml': vs('deep', 1), 'b.yaml': vs('bad', -5) });
    // Objects that do not come through the file loader (and its nesting limit) can be arbitrarily deep,
    // and ones not read by the fast YAML parser may hold nulls anywhere (so the validator looks everywhere).
    let nested: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20_000; i++) nested = { a: nested };
    resources[0]!.spec.http[0].x = nested;
    resources[0]!.nullFree = false;
    const findings = await run(resources);
    expect(findings).toEqual([
      [
        'IST0001',
        'VirtualService default/deep',
        'a.yaml',
        1,
        expect.stringMatching(
          /^Internal error: analyzer schema.ValidationAnalyzer.VirtualService failed on this resource and left it out: Maximum call stack size exceeded$/,
        ),
      ],
      [
        'IST0106',
        'VirtualService default/bad',
        'b.yaml',
        11,
        'Schema validation error: weight must be a non-negative integer, got -5',
      ],
    ]);
  });

  it('a cross-resource analyzer keeps reporting on the others and names each failing document', async () => {
    const resources = load({
      'one.yaml': vs('one', 1),
      'boom.yaml': vs('boom', 1),
      'two.yaml': vs('two', 1),
      'boom2.yaml': vs('boom2', 1),
    });
    const fragile = defineAnalyzer({
      name: 'test.Fragile',
      description: 'reports every VirtualService, but cannot read some',
      codes: ['IST0102'],
      inputs: ['networking.istio.io/VirtualService'],
      analyze(ctx) {
        const all = ctx.each('networking.istio.io/VirtualService');
        for (const r of all) {
          if (r.name.startsWith('boom')) throw new TypeError(`cannot read ${r.name}`);
          ctx.report('IST0102', r, [`seen with ${all.length - 1} others`]);
        }
      },
    });
    expect(await run(resources, [fragile])).toEqual([
      ['IST0001', 'VirtualService default/boom', 'boom.yaml', 1, expect.stringContaining('cannot read boom')],
      [
        'IST0001',
        'VirtualService default/boom2',
        'boom2.yaml',
        1,
        expect.stringContaining('cannot read boom2'),
      ],
      ['IST0102', 'VirtualService default/one', 'one.yaml', 1, expect.stringContaining('seen with 1 others')],
      ['IST0102', 'VirtualService default/two', 'two.yaml', 1, expect.stringContaining('seen with 1 others')],
    ]);
  });

  it('a failure no single document explains is reported once for the analyzer', async () => {
    const resources = load({ 'one.yaml': vs('one', 1), 'two.yaml': vs('two', 1) });
    const pairwise = defineAnalyzer({
      name: 'test.Pairwise',
      description: 'fails when it sees two VirtualServices',
      codes: [],
      inputs: ['networking.istio.io/VirtualService'],
      analyze(ctx) {
        if (ctx.each('networking.istio.io/VirtualService').length > 1) throw new Error('two at once');
      },
    });
    expect(await run(resources, [pairwise])).toEqual([
      [
        'IST0001',
        undefined,
        undefined,
        undefined,
        'Internal error: analyzer test.Pairwise failed: two at once',
      ],
    ]);
  });
});
