/**
 * The `inputs` and `requires` metadata of analyzers is what the runner decides by: an analyzer whose
 * required kind is absent is skipped (and says so), and one that reads a kind its `inputs` do not declare
 * fails (IST0001). These tests run every analyzer over every manifest the repository and the upstream
 * conformance corpus hold, so a read of an undeclared kind anywhere fails here.
 */
import { describe, expect, it } from 'vitest';
import { runAnalyzers } from '../../../src/analyzers/run.js';
import { cliRunOptions } from '../../support/analyze.js';
import { defineAnalyzer, K } from '../../../src/analyzers/types.js';
import { EVERY_ANALYZER as every, loadCorpus } from './corpus.js';

describe('analyzer inputs metadata', () => {
  it('every required kind is a declared input', () => {
    for (const a of every)
      for (const k of a.requires ?? []) expect(a.inputs, `${a.name} requires ${k}`).toContain(k);
  });

  it('no analyzer reads a kind it does not declare, over every manifest in the repository and corpus', async () => {
    const corpus = await loadCorpus();
    expect(corpus.resources.length).toBeGreaterThan(500);
    const failures = new Set<string>();
    for (const resources of corpus.inputs) {
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
