/**
 * `mesh uninstall` and webhook configurations it leaves that call a Service it deletes. uninstall deletes
 * only what mesh installed, so a revision tag `istioctl tag set ictl -r default` made (a
 * MutatingWebhookConfiguration calling istio-system/istiod, failurePolicy Fail) stays. Before, uninstall
 * said nothing about it, and once istiod's Service is gone an API server with admission webhooks on
 * refuses every new pod in the tag's namespaces (the webhook cannot be called, failurePolicy Fail). Now uninstall names it
 * on stderr, with what its failurePolicy does and how to remove it; the objects it deletes are the same.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startStoreApiServer, type StoreApiServer } from './store-api-server.js';

const ENV = { MESH_PROTECTED_CONTEXTS: undefined, MESH_CONFIG: '/nonexistent/mesh-config.yaml', CI: '1' };

let server: StoreApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A revision tag as istioctl writes it: its webhooks call `service`. */
function istioctlTag(name: string, service: { namespace: string; name: string }, failurePolicy?: string) {
  const webhook = (n: string) => ({
    name: n,
    clientConfig: { service: { ...service, path: '/inject', port: 443 } },
    ...(failurePolicy ? { failurePolicy } : {}),
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
  });
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: `istio-revision-tag-${name}`,
      labels: { 'istio.io/rev': 'default', 'istio.io/tag': name },
    },
    webhooks: [
      webhook('rev.namespace.sidecar-injector.istio.io'),
      webhook('rev.object.sidecar-injector.istio.io'),
    ],
  };
}

async function installed() {
  server = await startStoreApiServer();
  const r = await runCli(['install', '-y', '--kubeconfig', server.kubeconfig], ENV);
  expect(r.code, r.stderr).toBe(0);
  return server;
}

describe('uninstall and webhook configurations it leaves', () => {
  it('an istioctl revision tag calling istiod: named on stderr with its failurePolicy and the way to remove it; stdout lists what is deleted, as before', async () => {
    const s = await installed();
    s.put(
      'mutatingwebhookconfigurations',
      istioctlTag('ictl', { namespace: 'istio-system', name: 'istiod' }),
      'istio-ci',
    );
    const r = await runCli(['uninstall', '--dry-run', '--kubeconfig', s.kubeconfig], ENV);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      [
        'Warning: 1 webhook configuration(s) this uninstall leaves call a Service it deletes:',
        '  MutatingWebhookConfiguration/istio-revision-tag-ictl (revision tag ictl, written by istio-ci) → Service istio-system/istiod (failurePolicy Fail: the API server refuses to create the pods it selects)',
        '  Remove it too (mesh tag remove ictl for a revision tag), or point it at a control plane that stays.',
      ].join('\n'),
    );
    expect(r.stdout).toContain('- Service/istio-system/istiod\n');
    expect(r.stdout).not.toContain('istio-revision-tag-ictl');
  }, 30_000);

  it('no warning for one calling a Service that stays, nor for mesh’s own (deleted with the revision)', async () => {
    const s = await installed();
    s.put(
      'mutatingwebhookconfigurations',
      istioctlTag('other', { namespace: 'elsewhere', name: 'istiod' }, 'Ignore'),
      'istio-ci',
    );
    const r = await runCli(['uninstall', '--dry-run', '--kubeconfig', s.kubeconfig], ENV);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('this uninstall leaves');
    expect(r.stdout).toContain('- MutatingWebhookConfiguration/istio-sidecar-injector\n');
  }, 30_000);
});
