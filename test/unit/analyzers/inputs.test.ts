/**
 * The `inputs` and `requires` metadata of analyzers is what the runner decides by: an analyzer whose
 * required kind is absent is skipped (and says so), and one that reads a kind its `inputs` do not declare
 * fails (IST0001). These tests run every analyzer over every manifest the repository and the upstream
 * conformance corpus hold, so a read of an undeclared kind anywhere fails here.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../../src/manifests/load.js';
import { runAnalyzers } from '../../../src/analyzers/run.js';
import { ALL_ANALYZERS, OPT_IN_ANALYZERS } from '../../../src/analyzers/registry.js';
import { cliRunOptions } from '../../support/analyze.js';
import { defineAnalyzer, K } from '../../../src/analyzers/types.js';
import type { Resource } from '../../../src/manifests/types.js';

const REPO = join(import.meta.dirname, '../../..');
const CORPUS = [
  join(REPO, '../shared/conformance/istio-analyze/testdata'),
  join(REPO, 'test/fixtures'),
  join(REPO, 'test/conformance/fixtures'),
  join(REPO, 'examples'),
];
const every = [...ALL_ANALYZERS, ...OPT_IN_ANALYZERS];

describe('analyzer inputs metadata', () => {
  it('every required kind is a declared input', () => {
    for (const a of every)
      for (const k of a.requires ?? []) expect(a.inputs, `${a.name} requires ${k}`).toContain(k);
  });

  it('no analyzer reads a kind it does not declare, over every manifest in the repository and corpus', async () => {
    const load = await loadManifests(CORPUS);
    expect(load.resources.length).toBeGreaterThan(500);
    // Each file on its own (as a user runs mesh on one file), then all of them together.
    const byFile = new Map<string, Resource[]>();
    for (const r of load.resources) byFile.set(r.origin.file, [...(byFile.get(r.origin.file) ?? []), r]);
    const failures = new Set<string>();
    for (const resources of [...byFile.values(), load.resources]) {
      const run = runAnalyzers(resources, cliRunOptions({ analyzers: every }));
      for (const f of run.findings) if (f.code === 'IST0001') failures.add(f.message);
    }
    expect([...failures]).toEqual([]);
  });

  it('an analyzer reading an undeclared kind fails with IST0001 naming the kind', () => {
    const sloppy = defineAnalyzer({
      name: 'test.Sloppy',
      description: 'reads Services without declaring them',
      codes: [],
      inputs: [K.VirtualService],
      analyze(ctx) {
        ctx.each(K.Service);
      },
    });
    const run = runAnalyzers([], cliRunOptions({ analyzers: [sloppy] }));
    expect(run.findings.map((f) => [f.code, f.message])).toEqual([
      [
        'IST0001',
        'Internal error: analyzer test.Sloppy failed: it reads core/Service, which its inputs do not declare (a bug in mesh, please report it)',
      ],
    ]);
  });

  it('an analyzer whose required kind is absent is skipped with the reason', () => {
    const picky = defineAnalyzer({
      name: 'test.Picky',
      description: 'needs Services',
      codes: [],
      inputs: [K.Service],
      requires: [K.Service],
      analyze: () => {},
    });
    const run = runAnalyzers([], cliRunOptions({ analyzers: [picky] }));
    expect(run.executed).toEqual([]);
    expect(run.skipped).toEqual([{ name: 'test.Picky', reason: 'no Service in the inputs' }]);
  });
});
