/**
 * What `mesh check` reads of the API server. Before, it listed every MutatingWebhookConfiguration twice per
 * run (once by mesh's label for its own, once whole for the injectors that overlap or serve namespaces):
 * two identical round trips, each a full list on a cluster with many webhooks, once more per run of
 * `--wait`. Now one list gives both, and the report is the same. Likewise the Service, its endpoints and
 * the root ConfigMap that several webhook configurations call were read once per configuration (istiod's
 * validator and injector: each twice); now once per run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { makeCa } from '../../support/certs.js';
import { startStoreApiServer, type StoreApiServer } from './store-api-server.js';

const ENV = { MESH_PROTECTED_CONTEXTS: undefined, MESH_CONFIG: '/nonexistent/mesh-config.yaml', CI: '1' };
const MUTATING = 'GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

let server: StoreApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('mesh check reads', () => {
  it('lists the MutatingWebhookConfigurations once, and still checks mesh’s injector and another tool’s overlapping one', async () => {
    server = await startStoreApiServer();
    const install = await runCli(['install', '-y', '--kubeconfig', server.kubeconfig], ENV);
    expect(install.code, install.stderr).toBe(0);
    // another tool's injector for the same pods (not labelled managed-by=mesh)
    const mesh = server.get('mutatingwebhookconfigurations', undefined, 'istio-sidecar-injector');
    server.put(
      'mutatingwebhookconfigurations',
      {
        ...structuredClone(mesh),
        metadata: { name: 'other-injector', labels: { 'istio.io/rev': 'default' } },
      },
      'kubectl-create',
    );
    const before = server.requests.length;
    const r = await runCli(['check', '--skip-proxies', '--kubeconfig', server.kubeconfig], ENV);
    const lists = server.requests.slice(before).filter((q) => q.split('?')[0] === MUTATING);
    expect(lists).toEqual([MUTATING]);
    expect(r.stdout).toContain(
      '× MutatingWebhookConfiguration/istio-sidecar-injector → Service istio-system/istiod has no ready endpoints',
    );
    expect(r.stdout).toMatch(
      /^× MutatingWebhookConfiguration\/istio-sidecar-injector and MutatingWebhookConfiguration\/other-injector inject the same pods: /m,
    );
    expect(r.code).toBe(79);
  }, 30_000);

  it('reads the Service, endpoints and root ConfigMap that both of istiod’s webhook configurations call once', async () => {
    server = await startStoreApiServer();
    const install = await runCli(['install', '-y', '--kubeconfig', server.kubeconfig], ENV);
    expect(install.code, install.stderr).toBe(0);
    // istiod's work once it serves: its CA's root in the webhooks and in istio-ca-root-cert
    const ca = makeCa('cluster.local');
    for (const [plural, name] of [
      ['mutatingwebhookconfigurations', 'istio-sidecar-injector'],
      ['validatingwebhookconfigurations', 'istio-validator-istio-system'],
    ] as const)
      for (const w of server.get(plural, undefined, name).webhooks)
        w.clientConfig.caBundle = Buffer.from(ca.certPem).toString('base64');
    server.put(
      'configmaps',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio-ca-root-cert', namespace: 'istio-system' },
        data: { 'root-cert.pem': ca.certPem },
      },
      'istiod',
    );
    const before = server.requests.length;
    const r = await runCli(['check', '--skip-proxies', '--kubeconfig', server.kubeconfig], ENV);
    const reads = server.requests.slice(before);
    const count = (path: string) => reads.filter((q) => q.split('?')[0] === `GET ${path}`).length;
    expect(count('/api/v1/namespaces/istio-system/services/istiod')).toBe(1);
    expect(count('/apis/discovery.k8s.io/v1/namespaces/istio-system/endpointslices')).toBe(1);
    // once for the webhooks' CA bundles, once for the Certificates group
    expect(count('/api/v1/namespaces/istio-system/configmaps/istio-ca-root-cert')).toBe(2);
    // both configurations still checked, each on its own line
    for (const wh of [
      'ValidatingWebhookConfiguration/istio-validator-istio-system',
      'MutatingWebhookConfiguration/istio-sidecar-injector',
    ])
      expect(r.stdout).toContain(`× ${wh} → Service istio-system/istiod has no ready endpoints\n`);
    expect(r.stdout).not.toContain('CA bundle');
  }, 30_000);
});
