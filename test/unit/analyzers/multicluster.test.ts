import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../../src/manifests/load.js';
import { findInconsistentServices } from '../../../src/analyzers/multicluster/service.js';
import { analyzeText, cliRunOptions } from '../../support/analyze.js';
import { runAnalyzers } from '../../../src/analyzers/run.js';
import { findAnalyzer } from '../../../src/analyzers/registry.js';

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
      ['extra-port', 'my-namespace', ['cluster1', 'cluster2'], ['service ports are inconsistent']],
      [
        'inconsistent-port-name',
        'my-namespace',
        ['cluster1', 'cluster2'],
        ['service ports are inconsistent'],
      ],
      [
        'mixed-mode',
        'my-namespace',
        ['cluster1', 'cluster2'],
        ['service has mixed mode like headless and clusterIP'],
      ],
      ['mixed-type', 'my-namespace', ['cluster1', 'cluster2'], ['service type is inconsistent']],
      ['mixed-port-protocol', 'my-namespace', ['cluster1', 'cluster2'], ['service ports are inconsistent']],
    ]);
    expect(found[0].service.origin.file).toContain('inconsistent-service-1.yaml');
  });

  it('has nothing to compare in a single cluster', async () => {
    const text = `apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec:\n  ports: [{name: http, port: 9080}]\n`;
    expect(await analyzeText(text, ['services.MultiClusterServiceAnalyzer'])).toEqual([]);
    const one = await cluster('cluster1', 'inconsistent-service-1.yaml');
    expect(findInconsistentServices([one, { ...one, cluster: 'cluster2' }])).toEqual([]);
  });

  it('compares the copies of each cluster in one analysis; the primary (and files) is cluster "default"', async () => {
    const { resources: primary } = await loadManifests([join(DATA, 'inconsistent-service-1.yaml')]);
    const { resources: remote } = await loadManifests([join(DATA, 'inconsistent-service-2.yaml')]);
    const west = remote.map((r) => ({ ...r, origin: { ...r.origin, cluster: true, clusterName: 'west' } }));
    const run = runAnalyzers(
      [...primary, ...west],
      cliRunOptions({ analyzers: [findAnalyzer('services.MultiClusterServiceAnalyzer')!] }),
    );
    expect(run.findings.map((f) => [f.code, f.origin, f.resource!.origin.clusterName])).toEqual([
      ['IST0170', 'Service my-namespace/extra-port', undefined],
      ['IST0170', 'Service my-namespace/inconsistent-port-name', undefined],
      ['IST0170', 'Service my-namespace/mixed-mode', undefined],
      ['IST0170', 'Service my-namespace/mixed-port-protocol', undefined],
      ['IST0170', 'Service my-namespace/mixed-type', undefined],
    ]);
    expect(run.findings[0]!.message).toContain('across clusters ["default" "west"]');
    // both copies are inputs (not one object redefined by the other), and lookups answer with the first
    expect(run.snapshot.eachIn('core/Service', 'my-namespace')).toHaveLength(primary.length + west.length);
    expect(run.snapshot.duplicates).toEqual([]);
    expect(
      run.snapshot.get('core/Service', 'my-namespace', 'mixed-type')!.origin.clusterName,
    ).toBeUndefined();
  });
});

describe('the mesh configuration of several clusters', () => {
  const docs = (text: string) => loadManifests(['-'], { stdin: text });
  const remoteOf = (rs: Awaited<ReturnType<typeof docs>>['resources'], clusterName: string) =>
    rs.map((r) => ({ ...r, origin: { ...r.origin, cluster: true, clusterName } }));
  const reviews = (ports: string) =>
    `apiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec:\n  ports: [${ports}]\n`;
  const route = `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews, namespace: shop}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews}\n`;

  it('is one set: a VirtualService both clusters hold is analyzed once, not in conflict with itself (IST0109)', async () => {
    const { resources: primary } = await docs(`${reviews('{name: http, port: 9080}')}---\n${route}`);
    const { resources: remote } = await docs(`${reviews('{name: http, port: 9080}')}---\n${route}`);
    const run = runAnalyzers([...primary, ...remoteOf(remote, 'west')], cliRunOptions({}));
    expect(run.findings.filter((f) => f.code === 'IST0109')).toEqual([]);
    expect(run.snapshot.each('networking.istio.io/VirtualService')).toHaveLength(1);
    expect(run.snapshot.shadowed.map((r) => `${r.kind} ${r.origin.clusterName}`)).toEqual([
      'VirtualService west',
    ]);
    // Services are each cluster's own: both copies are analyzed
    expect(run.snapshot.each('core/Service').filter((s) => s.name === 'reviews')).toHaveLength(2);
  });

  it("routes to a host by the primary's Service: the remote copy's other ports do not make it multi-port (IST0112)", async () => {
    const { resources: primary } = await docs(`${reviews('{name: http, port: 9080}')}---\n${route}`);
    const { resources: remote } = await docs(reviews('{name: http, port: 9080}, {name: grpc, port: 9090}'));
    const run = runAnalyzers([...primary, ...remoteOf(remote, 'west')], cliRunOptions({}));
    expect(run.findings.map((f) => f.code)).not.toContain('IST0112');
    // where the copies differ is IST0170's to say
    expect(run.findings.filter((f) => f.code === 'IST0170').map((f) => f.origin)).toEqual([
      'Service shop/reviews',
    ]);
  });
});
