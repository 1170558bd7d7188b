import { describe, expect, it } from 'vitest';
import type { Resource } from '../../../src/manifests/types.js';
import type { Workload } from '../../../src/analyzers/types.js';
import { namespaceInAmbient, workloadInMesh } from '../../../src/analyzers/util/labels.js';
import { labelsMatch, selectorMatches, selectorString } from '../../../src/kube/labels.js';

function ns(name: string, labels: Record<string, string>): Resource {
  const metadata = { name, labels };
  return {
    apiVersion: 'v1',
    group: '',
    version: 'v1',
    kind: 'Namespace',
    key: 'core/Namespace',
    name,
    namespace: undefined,
    metadata,
    spec: {},
    body: { apiVersion: 'v1', kind: 'Namespace', metadata },
    origin: { file: 'ns.yaml', docIndex: 0, line: 1, column: 1 },
  };
}

function workload(over: Partial<Workload>): Workload {
  return {
    kind: 'Deployment',
    name: 'reviews',
    namespace: 'shop',
    labels: { app: 'reviews' },
    annotations: {},
    podSpec: { containers: [{ name: 'app', image: 'reviews:1' }] },
    resource: undefined as unknown as Resource,
    isPod: false,
    ...over,
  };
}

describe('label selectors', () => {
  it('a plain selector needs every key with the same value; empty matches all', () => {
    expect(labelsMatch({ app: 'reviews' }, { app: 'reviews', version: 'v1' })).toBe(true);
    expect(labelsMatch({ app: 'reviews', version: 'v2' }, { app: 'reviews', version: 'v1' })).toBe(false);
    expect(labelsMatch({ app: '' }, {})).toBe(false);
    expect(labelsMatch(undefined, { app: 'x' })).toBe(true);
  });

  it('matchExpressions support In, NotIn, Exists and DoesNotExist', () => {
    const sel = {
      matchLabels: { team: 'a' },
      matchExpressions: [
        { key: 'istio-injection', operator: 'NotIn', values: ['disabled'] },
        { key: 'istio.io/rev', operator: 'DoesNotExist' },
        { key: 'tier', operator: 'In', values: ['web', 'api'] },
        { key: 'owner', operator: 'Exists' },
      ],
    };
    expect(selectorMatches(sel, { team: 'a', tier: 'api', owner: 'x' })).toBe(true);
    expect(selectorMatches(sel, { team: 'a', tier: 'api', owner: 'x', 'istio-injection': 'disabled' })).toBe(
      false,
    );
    expect(selectorMatches(sel, { team: 'a', tier: 'db', owner: 'x' })).toBe(false);
    expect(selectorMatches(sel, { team: 'a', tier: 'api' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, { a: '1' })).toBe(false);
  });

  it('prints selectors sorted by key', () => {
    expect(selectorString({ version: 'v1', app: 'reviews' })).toBe('app=reviews,version=v1');
  });
});

describe('workloadInMesh', () => {
  const lookup = (list: Resource[]) => (name: string) => list.find((n) => n.name === name);

  it('follows the namespace injection label when the workload says nothing', () => {
    expect(workloadInMesh(workload({}), lookup([ns('shop', { 'istio-injection': 'enabled' })]))).toBe(true);
    expect(workloadInMesh(workload({}), lookup([ns('shop', {})]))).toBe(false);
  });

  it('lets the sidecar.istio.io/inject label win over the annotation and the namespace', () => {
    const w = workload({
      labels: { 'sidecar.istio.io/inject': 'false' },
      annotations: { 'sidecar.istio.io/inject': 'true' },
    });
    expect(workloadInMesh(w, lookup([ns('shop', { 'istio-injection': 'enabled' })]))).toBe(false);
  });

  it('counts an istio-proxy container with an image, and treats an unknown namespace as asked', () => {
    const injected = workload({
      podSpec: { containers: [{ name: 'istio-proxy', image: 'proxyv2:1.24' }] },
    });
    expect(workloadInMesh(injected, lookup([]))).toBe(true);
    expect(workloadInMesh(workload({}), lookup([]))).toBe(false);
    expect(workloadInMesh(workload({}), lookup([]), { unknownNamespace: true })).toBe(true);
  });

  it('a namespace is ambient only without sidecar injection labels', () => {
    expect(namespaceInAmbient(ns('a', { 'istio.io/dataplane-mode': 'ambient' }))).toBe(true);
    expect(
      namespaceInAmbient(ns('a', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/rev': 'canary' })),
    ).toBe(false);
  });
});
