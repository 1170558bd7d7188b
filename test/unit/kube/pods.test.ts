import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApi } from '../../../src/kube/api.js';
import { loadKubeContext } from '../../../src/kube/config.js';
import {
  assertProxyPod,
  comparePodsForPick,
  hasIstioProxy,
  listProxyPods,
  parsePodRef,
  resolvePod,
  selectorString,
} from '../../../src/kube/pods.js';
import { fakePod, startFakeKube, type FakeKube } from '../../support/port-forward-server.js';

describe('parsePodRef', () => {
  it('takes the namespace after the last dot', () => {
    expect(parsePodRef('reviews-v1-abc')).toEqual({
      kind: 'pod',
      name: 'reviews-v1-abc',
      namespace: undefined,
    });
    expect(parsePodRef('reviews-v1-abc.bookinfo')).toEqual({
      kind: 'pod',
      name: 'reviews-v1-abc',
      namespace: 'bookinfo',
    });
    expect(parsePodRef('deployment/reviews.bookinfo')).toEqual({
      kind: 'deployment',
      name: 'reviews',
      namespace: 'bookinfo',
    });
    expect(parsePodRef('deploy/reviews')).toEqual({
      kind: 'deployment',
      name: 'reviews',
      namespace: undefined,
    });
    expect(parsePodRef('svc/productpage.bookinfo').kind).toBe('service');
  });

  it('rejects unknown kinds and empty parts as usage errors', () => {
    expect(() => parsePodRef('configmap/x')).toThrow(/unsupported resource type in "configmap\/x"/);
    expect(() => parsePodRef('x.')).toThrow(/invalid pod reference/);
    for (const bad of ['cronjob/x', 'x.', 'x.Shop', 'x.y/z', 'a_b.shop'])
      expect(() => parsePodRef(bad), bad).toThrow(expect.objectContaining({ exitCode: 64 }));
  });
});

describe('selectors and pod choice', () => {
  it('renders LabelSelectors and plain maps as selector text', () => {
    expect(selectorString({ app: 'reviews', version: 'v1' })).toBe('app=reviews,version=v1');
    expect(
      selectorString({
        matchLabels: { app: 'reviews' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'x', operator: 'NotIn', values: ['c'] },
          { key: 'y', operator: 'Exists' },
          { key: 'z', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=reviews,tier in (a,b),x notin (c),y,!z');
    expect(selectorString(undefined)).toBe('');
  });

  it('prefers running, then ready, then older pods', () => {
    const pods = [
      fakePod('pending', 'ns', { phase: 'Pending', created: '2020-01-01T00:00:00Z' }),
      fakePod('unready', 'ns', { ready: false, created: '2020-01-01T00:00:00Z' }),
      fakePod('young', 'ns', { created: '2026-02-01T00:00:00Z' }),
      fakePod('old', 'ns', { created: '2026-01-01T00:00:00Z' }),
    ];
    expect(pods.sort(comparePodsForPick).map((p) => p.metadata.name)).toEqual([
      'old',
      'young',
      'unready',
      'pending',
    ]);
  });

  it('finds istio-proxy as a container or as a native sidecar', () => {
    expect(hasIstioProxy(fakePod('a', 'ns'))).toBe(true);
    expect(hasIstioProxy(fakePod('a', 'ns', { proxy: false }))).toBe(false);
    const native = fakePod('a', 'ns', { proxy: false });
    native.spec.initContainers = [{ name: 'istio-proxy', restartPolicy: 'Always' }];
    expect(hasIstioProxy(native)).toBe(true);
  });

  it('explains a pod without proxy and a pod that is not running', () => {
    expect(() => assertProxyPod(fakePod('db-0', 'data', { proxy: false }))).toThrow(
      'pod db-0.data has no istio-proxy container',
    );
    expect(() => assertProxyPod(fakePod('web', 'shop', { phase: 'Pending' }))).toThrow(
      'pod web.shop is not running (phase Pending)',
    );
  });
});

describe('against the API server stand-in', () => {
  let kube: FakeKube;
  let api: KubeApi;
  beforeAll(async () => {
    kube = await startFakeKube({
      token: 'tok-123',
      objects: [
        fakePod('reviews-v1-old', 'bookinfo', {
          labels: { app: 'reviews' },
          created: '2026-01-01T00:00:00Z',
        }),
        fakePod('reviews-v1-new', 'bookinfo', {
          labels: { app: 'reviews' },
          created: '2026-03-01T00:00:00Z',
        }),
        fakePod('ratings-x', 'bookinfo', { labels: { app: 'ratings' }, phase: 'Pending' }),
        fakePod('mysql-0', 'bookinfo', { labels: { app: 'mysql' }, proxy: false }),
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'reviews', namespace: 'bookinfo' },
          spec: { selector: { matchLabels: { app: 'reviews' } } },
        },
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'ratings', namespace: 'bookinfo' },
          spec: { selector: { matchLabels: { app: 'ratings' } } },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'external', namespace: 'bookinfo' },
          spec: {},
        },
      ],
    });
    api = new KubeApi(
      loadKubeContext({ kubeconfig: kube.kubeconfig({ namespace: 'bookinfo', token: 'tok-123' }) }),
      5000,
    );
  });
  afterAll(() => kube.close());

  it('resolves a pod in the context namespace', async () => {
    const pod = await resolvePod(api, parsePodRef('reviews-v1-new'), api.kube.namespace);
    expect(pod.metadata.name).toBe('reviews-v1-new');
  });

  it('resolves deployment/<name> to its oldest running pod', async () => {
    const pod = await resolvePod(api, parsePodRef('deployment/reviews.bookinfo'), 'default');
    expect(pod.metadata.name).toBe('reviews-v1-old');
  });

  it('says pods "x" not found, as the API server does', async () => {
    await expect(resolvePod(api, parsePodRef('nope.bookinfo'), 'default')).rejects.toThrow(
      'pods "nope" not found',
    );
    await expect(resolvePod(api, parsePodRef('deployment/nope.bookinfo'), 'default')).rejects.toThrow(
      'deployments "nope" not found',
    );
  });

  it('reports a workload without running pods and a service without selector', async () => {
    await expect(resolvePod(api, parsePodRef('deployment/ratings.bookinfo'), 'default')).rejects.toThrow(
      'no running pod found for deployment/ratings in namespace bookinfo',
    );
    await expect(resolvePod(api, parsePodRef('svc/external.bookinfo'), 'default')).rejects.toThrow(
      '"service/external" does not refer to a pod',
    );
  });

  it('lists only pods with an istio-proxy container', async () => {
    const pods = await listProxyPods(api, 'bookinfo');
    expect(pods.map((p) => p.metadata.name).sort()).toEqual([
      'ratings-x',
      'reviews-v1-new',
      'reviews-v1-old',
    ]);
    expect((await listProxyPods(api, undefined)).length).toBe(3);
  });

  it('turns 401 into an expired-credentials message that never shows the token', async () => {
    const bad = new KubeApi(loadKubeContext({ kubeconfig: kube.kubeconfig({ token: 'expired-tok' }) }), 5000);
    const err = await resolvePod(bad, parsePodRef('x'), 'default').catch((e) => e);
    expect(err.message).toBe(
      `the Kubernetes API server ${kube.url} rejected the credentials of context "fake" (401 Unauthorized)`,
    );
    expect(err.hint).toContain('expired');
    expect(`${err.message} ${err.hint}`).not.toContain('expired-tok');
  });
});

describe('API server failures', () => {
  it('reports an unreachable server in one line', async () => {
    const kube = await startFakeKube();
    const file = kube.kubeconfig();
    await kube.close();
    const api = new KubeApi(loadKubeContext({ kubeconfig: file }), 5000);
    const err = await resolvePod(api, parsePodRef('x'), 'default').catch((e) => e);
    expect(err.message).toMatch(
      /^cannot reach the Kubernetes API server http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/,
    );
  });

  it('times out with the timeout in the message', async () => {
    const kube = await startFakeKube({ delayMs: 2000, objects: [fakePod('x', 'default')] });
    const api = new KubeApi(loadKubeContext({ kubeconfig: kube.kubeconfig() }), 200);
    const err = await resolvePod(api, parsePodRef('x'), 'default').catch((e) => e);
    expect(err.message).toBe(
      `timed out after 0.2s waiting for the Kubernetes API server ${kube.url} (GET /api/v1/namespaces/default/pods/x)`,
    );
    await kube.close();
  });

  it('reports a failing credential plugin (e.g. an expired cloud login) in one line', async () => {
    const kube = await startFakeKube();
    const file = kube.kubeconfig().replace(/config$/, 'exec-config');
    writeFileSync(
      file,
      readFileSync(kube.kubeconfig(), 'utf8').replace(
        '  user: {}',
        '  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: sh\n      args: ["-c", "echo token has expired >&2; exit 1"]',
      ),
    );
    const api = new KubeApi(loadKubeContext({ kubeconfig: file }), 5000);
    const err = await resolvePod(api, parsePodRef('x'), 'default').catch((e) => e);
    expect(err.message).toMatch(/^cannot get credentials for context "fake": /);
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.hint).toContain('log in again');
    await kube.close();
  });
});
