/**
 * `mesh check -r X` (and `install -r X --verify`, which runs the same check with the revision of its
 * inputs) looks at revision X only: its istiod Deployment, its webhooks and the namespaces labelled for
 * it. Before, `-r` was parsed and ignored: another revision's istiod that is not ready made
 * `check -r ra` print `× Deployment/istio-system/istiod-rnr is not ready` and exit 79 although `ra` is
 * installed and ready. Without `-r` check still reports every revision.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { makeCa } from '../../support/certs.js';
import { list, startFakeApiServer, type Answer, type FakeApiServer } from '../../support/fake-api-server.js';

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const managedFields = [{ manager: 'mesh', operation: 'Apply' }];
/** The webhooks' CA bundle: a certificate (check refuses one that is not). */
const caBundle = Buffer.from(makeCa('cluster.local').certPem).toString('base64');
const labels = (rev: string) => ({
  'app.kubernetes.io/managed-by': 'mesh',
  'operator.istio.io/component': 'Pilot',
  'istio.io/rev': rev,
});

function istiod(rev: string, ready: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: `istiod-${rev}`,
      namespace: 'istio-system',
      generation: 1,
      labels: labels(rev),
      managedFields,
    },
    spec: { replicas: 1, selector: { matchLabels: { app: 'istiod', 'istio.io/rev': rev } } },
    status: {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: ready,
      availableReplicas: ready,
    },
  };
}

function validator(rev: string) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: `istio-validator-${rev}-istio-system`, labels: labels(rev), managedFields },
    webhooks: [
      {
        name: 'rev.validation.istio.io',
        clientConfig: { service: { namespace: 'istio-system', name: `istiod-${rev}` }, caBundle },
      },
    ],
  };
}

/** The revision's injector: new pods of namespaces labelled istio.io/rev=<rev> go to its istiod. */
function injector(rev: string) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: `istio-sidecar-injector-${rev}`, labels: labels(rev), managedFields },
    webhooks: [
      {
        name: 'rev.namespace.sidecar-injector.istio.io',
        clientConfig: { service: { namespace: 'istio-system', name: `istiod-${rev}` }, caBundle },
        namespaceSelector: {
          matchExpressions: [
            { key: 'istio.io/rev', operator: 'In', values: [rev] },
            { key: 'istio-injection', operator: 'DoesNotExist' },
          ],
        },
      },
    ],
  };
}

const service = (rev: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `istiod-${rev}`, namespace: 'istio-system', labels: labels(rev) },
  spec: { ports: [{ name: 'https-webhook', port: 443, targetPort: 15017 }] },
});

const namespace = (name: string, rev: string) => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { 'istio.io/rev': rev } },
});

const pod = (name: string, rev?: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    annotations: rev ? { 'sidecar.istio.io/status': JSON.stringify({ revision: rev }) } : {},
  },
  spec: { containers: [{ name: 'app' }, ...(rev ? [{ name: 'istio-proxy' }] : [])] },
  status: { phase: 'Running' },
});

/** Revision ra installed and ready; revision rnr installed with its istiod not ready. */
async function twoRevisions(): Promise<FakeApiServer> {
  const deployments = [istiod('ra', 1), istiod('rnr', 0)];
  return startFakeApiServer((method, path, query): Answer | undefined => {
    const crd = /^\/apis\/apiextensions\.k8s\.io\/v1\/customresourcedefinitions\/(.+)$/.exec(path);
    if (crd)
      return {
        status: 200,
        body: {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: crd[1] },
          spec: {
            versions: ['v1', 'v1beta1', 'v1alpha1', 'v1alpha2', 'v1alpha3'].map((name) => ({
              name,
              served: true,
            })),
          },
          status: { conditions: [{ type: 'Established', status: 'True' }] },
        },
      };
    const d = /^\/apis\/apps\/v1\/namespaces\/istio-system\/deployments\/(.+)$/.exec(path);
    if (d) {
      const found = deployments.find((x) => x.metadata.name === d[1]);
      return found ? { status: 200, body: found } : undefined;
    }
    const svc = /^\/api\/v1\/namespaces\/istio-system\/services\/istiod-(ra|rnr)$/.exec(path);
    if (svc) return { status: 200, body: service(svc[1]!) };
    switch (path) {
      case '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations':
        return list([injector('ra'), injector('rnr')]);
      case '/apis/apps/v1/deployments':
        return list(deployments);
      case '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations':
        return list([validator('ra'), validator('rnr')]);
      case '/apis/discovery.k8s.io/v1/namespaces/istio-system/endpointslices':
        return list(
          query.get('labelSelector') === 'kubernetes.io/service-name=istiod-ra'
            ? [{ endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }] }]
            : [],
        );
      case '/api/v1/namespaces':
        return list(
          query.get('labelSelector') === 'istio.io/rev'
            ? [namespace('web', 'ra'), namespace('old', 'rnr')]
            : [],
        );
      case '/api/v1/namespaces/web/pods':
        return list([pod('web-1', 'ra')]);
      case '/api/v1/namespaces/old/pods':
        return list([pod('old-1')]);
    }
    return undefined;
  });
}

describe('mesh check -r', () => {
  it('-r ra checks revision ra only: another revision that is not ready is no ×, exit 0', async () => {
    server = await twoRevisions();
    const res = await runCli(['check', '-r', 'ra', '--skip-proxies', '--kubeconfig', server.kubeconfig]);
    expect(res.stderr).toBe('');
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 15)).toEqual([
      'Control plane',
      '-------------',
      '✓ Deployment/istio-system/istiod-ra is ready',
      '',
      'Webhooks',
      '--------',
      '✓ ValidatingWebhookConfiguration/istio-validator-ra-istio-system → Service istio-system/istiod-ra has 1 ready endpoint(s)',
      '✓ MutatingWebhookConfiguration/istio-sidecar-injector-ra → Service istio-system/istiod-ra has 1 ready endpoint(s)',
      '',
      'CRDs',
      '----',
      expect.stringMatching(/^✓ \d+ CRDs present at the served versions$/),
      '',
      'Injection',
      '---------',
    ]);
    expect(lines[15]).toBe('✓ namespace web: every pod has a proxy of revision ra');
    expect(res.stdout).not.toContain('rnr');
    expect(res.stdout).not.toContain('×');
    expect(lines.at(-1)).toBe('Status: all good (1 warning(s))');
    expect(res.code).toBe(0);
  });

  it('-r of a revision that is not installed: × no control plane of that revision', async () => {
    server = await twoRevisions();
    const res = await runCli(['check', '-r', 'rb', '--skip-proxies', '--kubeconfig', server.kubeconfig]);
    expect(res.stdout.split('\n').slice(0, 4)).toEqual([
      'Control plane',
      '-------------',
      '× no control plane of revision rb installed by mesh in this cluster',
      '    hint: run mesh install -r rb',
    ]);
    expect(res.stdout).not.toContain('rnr');
    expect(res.code).toBe(79);
  });

  it('without -r every revision is checked (the one not ready is a ×, exit 79)', async () => {
    server = await twoRevisions();
    const res = await runCli(['check', '--skip-proxies', '--kubeconfig', server.kubeconfig]);
    expect(res.stdout).toContain('✓ Deployment/istio-system/istiod-ra is ready');
    expect(res.stdout).toContain('× Deployment/istio-system/istiod-rnr is not ready: 0/1 replicas ready');
    expect(res.stdout).toContain(
      '× ValidatingWebhookConfiguration/istio-validator-rnr-istio-system → Service istio-system/istiod-rnr has no ready endpoints',
    );
    expect(res.stdout).toContain('‼ namespace old: 1 pod(s) without a proxy (e.g. old-1)');
    expect(res.code).toBe(79);
  });
});
