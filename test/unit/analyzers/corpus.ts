/**
 * Every manifest the repository and the upstream conformance corpus hold, as the analyzer metadata tests
 * (inputs.test.ts, codes.test.ts) run every analyzer over them.
 */
import { join } from 'node:path';
import { loadManifests } from '../../../src/manifests/load.js';
import { ALL_ANALYZERS, OPT_IN_ANALYZERS } from '../../../src/analyzers/registry.js';
import type { Resource } from '../../../src/manifests/types.js';

export const REPO = join(import.meta.dirname, '../../..');
export const UPSTREAM = join(REPO, '../shared/conformance/istio-analyze');
export const EVERY_ANALYZER = [...ALL_ANALYZERS, ...OPT_IN_ANALYZERS];

/**
 * The corpus's objects, and the inputs to run them as: each file on its own (as a user runs mesh on one
 * file), then all of them together.
 */
export async function loadCorpus(): Promise<{ resources: Resource[]; inputs: Resource[][] }> {
  const load = await loadManifests([
    join(UPSTREAM, 'testdata'),
    join(REPO, 'test/fixtures'),
    join(REPO, 'test/conformance/fixtures'),
    join(REPO, 'examples'),
  ]);
  const byFile = new Map<string, Resource[]>();
  for (const r of load.resources) byFile.set(r.origin.file, [...(byFile.get(r.origin.file) ?? []), r]);
  return { resources: load.resources, inputs: [...byFile.values(), load.resources] };
}
