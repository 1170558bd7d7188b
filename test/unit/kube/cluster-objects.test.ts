import { describe, expect, it } from 'vitest';
import { clusterResource, overlay, redactSecret, REDACTED_VALUE } from '../../../src/kube/cluster-objects.js';
import {
  inRevision,
  isDiscoveredGroup,
  istioConfigMap,
  meshConfigMapName,
} from '../../../src/kube/cluster.js';
import { parseManifestText } from '../../../src/manifests/load.js';
import type { Resource } from '../../../src/manifests/types.js';

const fromCluster = (kind: string, ns: string | undefined, name: string, group = ''): Resource =>
  clusterResource({ metadata: { name, namespace: ns } }, group ? `${group}/v1` : 'v1', kind);

function fromFile(text: string): Resource[] {
  const out: Resource[] = [];
  parseManifestText(text, 'f.yaml', out, []);
  return out;
}

describe('cluster objects as analysis inputs', () => {
  it('keep the list kind and version, lose managedFields, and have no file', () => {
    const r = clusterResource(
      {
        metadata: { name: 'x', namespace: 'a', managedFields: [{ manager: 'kubectl' }] },
        spec: { hosts: ['h'] },
      },
      'networking.istio.io/v1',
      'VirtualService',
    );
    expect(r).toMatchObject({
      key: 'networking.istio.io/VirtualService',
      name: 'x',
      namespace: 'a',
      spec: { hosts: ['h'] },
    });
    expect(r.body).toMatchObject({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService' });
    expect(r.metadata.managedFields).toBeUndefined();
    expect(r.origin).toMatchObject({ file: '', cluster: true });
  });

  it('keep only the keys of Secrets (and public certificates), dropping values and last-applied copies', () => {
    const secret = {
      metadata: {
        name: 's',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"key":"c2VjcmV0"}}' },
      },
      data: { 'tls.key': 'c2VjcmV0', 'tls.crt': 'Y2VydA==', token: 'dG9rZW4=' },
      stringData: { password: 'hunter2' },
    };
    redactSecret(secret);
    expect(secret.data).toEqual({ 'tls.key': REDACTED_VALUE, 'tls.crt': 'Y2VydA==', token: REDACTED_VALUE });
    expect(secret.stringData).toEqual({ password: REDACTED_VALUE });
    expect(JSON.stringify(secret)).not.toMatch(/c2VjcmV0|hunter2|dG9rZW4/);
  });

  it('are replaced by file objects of the same kind, namespace and name', () => {
    const cluster = [
      fromCluster('VirtualService', 'shop', 'reviews', 'networking.istio.io'),
      fromCluster('VirtualService', 'shop', 'ratings', 'networking.istio.io'),
      fromCluster('VirtualService', 'other', 'reviews', 'networking.istio.io'),
      fromCluster('Namespace', undefined, 'shop'),
    ];
    const files = fromFile(
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: reviews}\n---\n' +
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n',
    );
    const merged = overlay(cluster, files, 'shop');
    const names = merged.map(
      (r) => `${r.origin.cluster ? 'cluster' : 'file'} ${r.kind} ${r.namespace ?? ''}/${r.name}`,
    );
    expect(names).toEqual([
      'cluster VirtualService shop/ratings',
      'cluster VirtualService other/reviews',
      'file VirtualService /reviews',
      'file Namespace /shop',
    ]);
  });

  it('come from the Istio and Gateway API groups, and the control plane ConfigMaps of the revision', () => {
    expect(
      ['networking.istio.io', 'security.istio.io', 'istio.io', 'gateway.networking.k8s.io'].every(
        isDiscoveredGroup,
      ),
    ).toBe(true);
    expect(['apps', 'notistio.io', 'gateway.networking.x-k8s.io.evil'].some(isDiscoveredGroup)).toBe(false);
    // the istio… ConfigMaps (every revision's mesh config and injector, as istioctl), not leader elections
    const cm = (name: string, annotations?: Record<string, string>) => ({ metadata: { name, annotations } });
    for (const name of ['istio', 'istio-canary', 'istio-sidecar-injector', 'istio-sidecar-injector-canary'])
      expect(istioConfigMap(cm(name)), name).toBe(true);
    expect(istioConfigMap(cm('kube-root-ca.crt'))).toBe(false);
    expect(
      istioConfigMap(
        cm('istio-leader', { 'control-plane.alpha.kubernetes.io/leader': '{"holderIdentity":"x"}' }),
      ),
    ).toBe(false);
    // the mesh config is the analyzed revision's
    expect([meshConfigMapName(undefined), meshConfigMapName('default'), meshConfigMapName('canary')]).toEqual(
      ['istio', 'istio', 'istio-canary'],
    );
  });

  it('belong to the analyzed revision unless labelled istio.io/rev for another (as istioctl reads them)', () => {
    const canary = { 'istio.io/rev': 'canary' };
    const hook = 'admissionregistration.k8s.io/MutatingWebhookConfiguration';
    // Unlabelled objects belong to every revision; labelled ones to theirs (default: `default`).
    expect(inRevision(hook, undefined, undefined)).toBe(true);
    expect(inRevision(hook, canary, undefined)).toBe(false);
    expect(inRevision(hook, { 'istio.io/rev': 'default' }, undefined)).toBe(true);
    expect(inRevision(hook, canary, 'canary')).toBe(true);
    expect(inRevision('networking.istio.io/VirtualService', canary, 'stable')).toBe(false);
    // Workloads, Services, Namespaces, Nodes, Secrets and Gateway API Gateways are read whatever the label.
    for (const key of ['core/Pod', 'core/Service', 'core/Namespace', 'gateway.networking.k8s.io/Gateway'])
      expect(inRevision(key, canary, undefined), key).toBe(true);
  });
});
