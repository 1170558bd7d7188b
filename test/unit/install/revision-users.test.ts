import { describe, expect, it } from 'vitest';
import {
  formatRevisionUsers,
  injectedRevision,
  namespaceSelects,
  revisionUsers,
} from '../../../src/install/revision-users.js';
import { appliedSummary } from '../../../src/kube/installer.js';

const ns = (name: string, labels: Record<string, string> = {}) => ({ metadata: { name, labels } });
const status = (revision?: string) =>
  JSON.stringify({ containers: ['istio-proxy'], ...(revision !== undefined ? { revision } : {}) });
const pod = (
  namespace: string,
  name: string,
  opts: { labels?: Record<string, string>; injected?: string; phase?: string } = {},
) => ({
  metadata: {
    name,
    namespace,
    labels: opts.labels ?? {},
    ...(opts.injected !== undefined ? { annotations: { 'sidecar.istio.io/status': opts.injected } } : {}),
  },
  status: { phase: opts.phase ?? 'Running' },
});

describe('namespaceSelects: which namespace label sends new pods to a revision', () => {
  it('istio-injection=enabled selects the default revision and wins over istio.io/rev', () => {
    expect(namespaceSelects({ 'istio-injection': 'enabled' }, 'default')).toBe('istio-injection=enabled');
    expect(namespaceSelects({ 'istio-injection': 'enabled', 'istio.io/rev': 'canary' }, 'canary')).toBe(
      undefined,
    );
    expect(namespaceSelects({ 'istio-injection': 'disabled', 'istio.io/rev': 'default' }, 'default')).toBe(
      undefined,
    );
  });

  it('istio.io/rev=<revision> (or one of its tags) selects it', () => {
    expect(namespaceSelects({ 'istio.io/rev': 'default' }, 'default')).toBe('istio.io/rev=default');
    expect(namespaceSelects({ 'istio.io/rev': 'canary' }, 'canary')).toBe('istio.io/rev=canary');
    expect(namespaceSelects({ 'istio.io/rev': 'canary' }, 'default')).toBe(undefined);
    expect(namespaceSelects({ 'istio.io/rev': 'prod' }, 'canary', new Set(['canary', 'prod']))).toBe(
      'istio.io/rev=prod',
    );
    expect(namespaceSelects(undefined, 'default')).toBe(undefined);
  });
});

describe('injectedRevision', () => {
  it('reads the revision from sidecar.istio.io/status; no revision field means default', () => {
    expect(injectedRevision(pod('a', 'p', { injected: status('canary') }))).toBe('canary');
    expect(injectedRevision(pod('a', 'p', { injected: status() }))).toBe('default');
    expect(injectedRevision(pod('a', 'p'))).toBe(undefined);
    expect(injectedRevision(pod('a', 'p', { injected: '{not json' }))).toBe(undefined);
  });
});

describe('revisionUsers', () => {
  const istiod = {
    kind: 'Deployment',
    metadata: { name: 'istiod-canary', namespace: 'istio-system' },
    spec: { selector: { matchLabels: { app: 'istiod', 'istio.io/rev': 'canary' } } },
  };

  it('lists labelled namespaces and, per namespace, pods labelled for or injected by the revision', () => {
    const users = revisionUsers({
      revision: 'canary',
      namespaces: [
        ns('shop', { 'istio.io/rev': 'canary' }),
        ns('empty', { 'istio.io/rev': 'canary' }),
        ns('old'),
      ],
      pods: [
        pod('shop', 'web-2', { injected: status('canary') }),
        pod('shop', 'web-1', { injected: status('canary') }),
        pod('shop', 'job-1', { injected: status('canary'), phase: 'Succeeded' }),
        pod('old', 'legacy', { injected: status('default') }),
        pod('old', 'pinned', { labels: { 'istio.io/rev': 'canary' } }),
        pod('istio-system', 'istiod-canary-abc', { labels: { app: 'istiod', 'istio.io/rev': 'canary' } }),
      ],
      removed: [
        istiod,
        // A Service's selector is a plain map: it owns no pods and hides none.
        {
          kind: 'Service',
          metadata: { name: 'istiod', namespace: 'old' },
          spec: { selector: { app: 'istiod' } },
        },
      ],
    });
    expect(users).toEqual({
      namespaces: [
        { namespace: 'empty', label: 'istio.io/rev=canary' },
        { namespace: 'shop', label: 'istio.io/rev=canary' },
      ],
      pods: [
        { namespace: 'old', count: 1, names: ['pinned'] },
        { namespace: 'shop', label: 'istio.io/rev=canary', count: 2, names: ['web-1', 'web-2'] },
      ],
    });
    expect(formatRevisionUsers(users, 'canary').split('\n')).toEqual([
      'Warning: workloads still point at revision canary. Once it is removed their proxies lose their control plane, and its injector no longer gives new pods a proxy:',
      '  namespace empty (istio.io/rev=canary): no pods on this revision yet',
      '  namespace old: 1 pod(s) on this revision (pinned)',
      '  namespace shop (istio.io/rev=canary): 2 pod(s) on this revision (web-1, web-2)',
      '  Move them first: label the namespaces for another revision and restart their pods.',
    ]);
  });

  it('shows a few pod names and says when there are more; pods of a tag count', () => {
    const users = revisionUsers({
      revision: 'canary',
      tags: ['prod'],
      namespaces: [],
      pods: ['a', 'b', 'c', 'd', 'e'].map((n) => pod('big', n, { labels: { 'istio.io/rev': 'prod' } })),
    });
    expect(users.pods).toEqual([{ namespace: 'big', count: 5, names: ['a', 'b', 'c'] }]);
    expect(formatRevisionUsers(users, 'canary')).toContain(
      'namespace big: 5 pod(s) on this revision (a, b, c, …)',
    );
  });

  it('nothing pointing at the revision: no warning', () => {
    const users = revisionUsers({
      revision: 'default',
      namespaces: [ns('x', { 'istio.io/rev': 'canary' })],
      pods: [pod('x', 'p', { injected: status('canary') })],
    });
    expect(users).toEqual({ namespaces: [], pods: [] });
    expect(formatRevisionUsers(users, 'default')).toBe('');
  });
});

describe('appliedSummary: what a halfway install had applied', () => {
  it('names each step reached with its count, and whether it became ready', () => {
    expect(
      appliedSummary([
        { label: 'CRDs and namespace', total: 16, applied: 16, ready: true },
        { label: 'Base', total: 9, applied: 9, ready: true },
        { label: 'Pilot', total: 7, applied: 3, ready: false },
      ]),
    ).toBe('already applied 28 object(s): CRDs and namespace 16/16 ready, Base 9/9 ready, Pilot 3/7 applied');
  });

  it('says so when nothing was applied', () => {
    expect(appliedSummary([])).toBe('nothing was applied');
    expect(appliedSummary([{ label: 'CRDs and namespace', total: 16, applied: 0, ready: false }])).toBe(
      'nothing was applied',
    );
  });
});

describe('revisionUsers with another control plane of the revision staying', () => {
  const proxied = (namespace: string, name: string, istiod: string) => ({
    ...pod(namespace, name, { injected: status() }),
    spec: {
      containers: [
        {
          name: 'istio-proxy',
          env: [{ name: 'PROXY_CONFIG', value: JSON.stringify({ discoveryAddress: `${istiod}.svc:15012` }) }],
        },
      ],
    },
  });
  const injector = {
    namespaceSelector: {
      matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }],
    },
  };

  it("lists only what loses its injector or control plane; istiod's pods are never users", () => {
    const u = revisionUsers({
      revision: 'default',
      namespaces: [ns('shop', { 'istio-injection': 'enabled' }), ns('tools', { 'istio.io/rev': 'default' })],
      pods: [
        pod('istio-system', 'istiod-abc', { labels: { app: 'istiod', 'istio.io/rev': 'default' } }),
        proxied('shop', 'web-1', 'istiod.istio-system'),
        proxied('shop', 'web-2', 'istiod.istio-two'),
      ],
      staying: { injectors: [injector], deletedServices: new Set(['istio-two/istiod']) },
    });
    expect(u).toEqual({
      namespaces: [{ namespace: 'tools', label: 'istio.io/rev=default' }],
      pods: [{ namespace: 'shop', count: 1, names: ['web-2'] }],
    });
  });
});
