/**
 * What `mesh check` reads of the API server. Before, it listed every MutatingWebhookConfiguration twice per
 * run (once by mesh's label for its own, once whole for the injectors that overlap or serve namespaces):
 * two identical round trips, each a full list on a cluster with many webhooks, once more per run of
 * `--wait`. Now one list gives both, and the report is the same.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
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
});
