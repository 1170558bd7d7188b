/**
 * Replays Istio's own analyzer test corpus (../shared/conformance/istio-analyze) through mesh's analyzers,
 * set up the way the upstream harness sets up each case, and compares the (code, origin) multisets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifests/load.js';
import { runAnalyzers } from '../../src/analyzers/run.js';
import { findAnalyzer } from '../../src/analyzers/registry.js';
import { loadMeshConfig, loadMeshNetworks } from '../../src/analyzers/meshconfig.js';

const ROOT = join(import.meta.dirname, '../../../shared/conformance/istio-analyze');
interface Case {
  uniqueName: string;
  inputFiles: string[];
  meshConfigFile: string | null;
  meshNetworksFile: string | null;
  analyzer: string;
  expected: Array<{ code: string; resource: string }>;
  skipAll?: boolean;
}
const cases: Case[] = JSON.parse(readFileSync(join(ROOT, 'expected.json'), 'utf8'));
const deviations: Record<string, string> = JSON.parse(
  readFileSync(join(import.meta.dirname, 'analyze-deviations.json'), 'utf8'),
);

export async function replay(c: Case): Promise<string[]> {
  const analyzer = findAnalyzer(c.analyzer);
  if (!analyzer) throw new Error(`analyzer ${c.analyzer} is not registered`);
  const load = await loadManifests(c.inputFiles.map((f) => join(ROOT, f)));
  const run = runAnalyzers(load.resources, {
    defaultNamespace: undefined,
    reportNamespace: undefined,
    istioNamespace: 'istio-system',
    meshConfig: loadMeshConfig(c.meshConfigFile ? join(ROOT, c.meshConfigFile) : undefined),
    meshNetworks: loadMeshNetworks(c.meshNetworksFile ? join(ROOT, c.meshNetworksFile) : undefined),
    defaultIngress: true,
    analyzers: [analyzer],
    harness: true,
  });
  return run.findings.map((f) => `${f.code} ${f.origin ?? ''}`).sort();
}

describe('istioctl analyzer conformance replay', () => {
  it('every deviation names a real case', () => {
    const names = new Set(cases.map((c) => c.uniqueName));
    for (const name of Object.keys(deviations)) expect(names.has(name), name).toBe(true);
  });
  for (const c of cases) {
    const reason = deviations[c.uniqueName];
    it(`${c.uniqueName}${reason ? ' (deviation: expected differs, see analyze-deviations.json)' : ''}`, async () => {
      const expected = c.expected.map((e) => `${e.code} ${e.resource}`).sort();
      const got = await replay(c);
      if (reason) expect(got).not.toEqual(expected);
      else expect(got).toEqual(expected);
    });
  }
});
