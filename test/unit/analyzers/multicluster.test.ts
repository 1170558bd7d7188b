import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../../src/manifests/load.js';
import { findInconsistentServices } from '../../../src/analyzers/multicluster/service.js';
import { analyzeText } from '../../support/analyze.js';

const DATA = join(import.meta.dirname, '../../../../shared/conformance/istio-analyze/testdata/multicluster');

async function cluster(name: string, file: string) {
  const { resources } = await loadManifests([join(DATA, file)]);
  return { cluster: name, services: resources.filter((r) => r.kind === 'Service') };
}

describe('services.MultiClusterServiceAnalyzer', () => {
  it('finds Services that differ between clusters, with the clusters and what differs', async () => {
    const found = findInconsistentServices([
      await cluster('cluster1', 'inconsistent-service-1.yaml'),
      await cluster('cluster2', 'inconsistent-service-2.yaml'),
    ]);
    expect(found.map((s) => [s.name, s.namespace, s.clusters, s.reasons])).toEqual([
      ['extra-port', 'my-namespace', ['cluster1', 'cluster2'], ['different ports']],
      ['inconsistent-port-name', 'my-namespace', ['cluster1', 'cluster2'], ['different ports']],
      [
        'mixed-mode',
        'my-namespace',
        ['cluster1', 'cluster2'],
        ['headless in some clusters but with a cluster IP in others'],
      ],
      ['mixed-type', 'my-namespace', ['cluster1', 'cluster2'], ['different Service types']],
      ['mixed-port-protocol', 'my-namespace', ['cluster1', 'cluster2'], ['different ports']],
    ]);
    expect(found[0].service.origin.file).toContain('inconsistent-service-1.yaml');
  });

  it('has nothing to compare in a single cluster', async () => {
    const text = `apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec:\n  ports: [{name: http, port: 9080}]\n`;
    expect(await analyzeText(text, ['services.MultiClusterServiceAnalyzer'])).toEqual([]);
    const one = await cluster('cluster1', 'inconsistent-service-1.yaml');
    expect(findInconsistentServices([one, { ...one, cluster: 'cluster2' }])).toEqual([]);
  });
});
