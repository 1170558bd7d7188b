/**
 * `mesh check` for a user the API server refuses some reads: each refused read is a failed check of its
 * own (`× cannot check: <the server's message>`, with the RBAC hint), every other check still runs and is
 * reported, in text and `-o json`, and the exit code is 79 (a × result). Before, check listed every kind
 * mesh manages in one go, and one forbidden list (Secrets cluster-wide) ended the whole run with
 * `Error: secrets is forbidden: …`, exit 1, and no result at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { makeCa } from '../../support/certs.js';
import { forbidden, list, startFakeApiServer, type FakeApiServer } from '../../support/fake-api-server.js';

const RBAC_HINT = '    hint: the user lacks read access for this check';
const SECRETS_FORBIDDEN =
  'secrets is forbidden: User "ci" cannot list resource "secrets" in API group "" at the cluster scope';

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('mesh check with a forbidden cluster-wide list', () => {
  it('a forbidden Secrets list is one × cannot check line; the other checks still run (text and -o json), exit 79', async () => {
    server = await startFakeApiServer((method, path) => {
      if (path === '/api/v1/secrets') return forbidden('list', 'secrets', '', 'at the cluster scope');
      if (path === '/version')
        return { status: 200, body: { major: '1', minor: '33', gitVersion: 'v1.33.0' } };
      return undefined;
    });
    const args = ['check', '--skip-proxies', '--kubeconfig', server.kubeconfig];

    const text = await runCli(args);
    expect(text.stderr).toBe('');
    expect(text.stdout.trimEnd().split('\n')).toEqual([
      'Control plane',
      '-------------',
      `× cannot check: ${SECRETS_FORBIDDEN}`,
      RBAC_HINT,
      '× no control plane installed by mesh in this cluster',
      '    hint: run mesh install',
      '',
      'Certificates',
      '------------',
      '‼ no ConfigMap istio-system/istio-ca-root-cert: the root proxies trust is unknown',
      '    hint: istiod publishes it when it runs as the CA; is istiod running, or is an external CA in use?',
      '',
      'Status: 2 problem(s) found, 1 warning(s)',
    ]);
    expect(text.code).toBe(79);

    const json = await runCli([...args, '-o', 'json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(79);
    const { results } = JSON.parse(json.stdout) as { results: Array<Record<string, string>> };
    expect(results.map((r) => [r.group, r.status, r.message])).toEqual([
      ['Control plane', 'fail', `cannot check: ${SECRETS_FORBIDDEN}`],
      ['Control plane', 'fail', 'no control plane installed by mesh in this cluster'],
      [
        'Certificates',
        'warn',
        'no ConfigMap istio-system/istio-ca-root-cert: the root proxies trust is unknown',
      ],
    ]);
    expect(results[0]!.hint).toBe('the user lacks read access for this check');
  });

  it('webhook configurations, endpoint slices, CRDs and namespaces refused: × cannot check in each group that reads them, the Deployment still checked', async () => {
    const owned = {
      'app.kubernetes.io/managed-by': 'mesh',
      'operator.istio.io/component': 'Pilot',
      'istio.io/rev': 'default',
    };
    const managedFields = [{ manager: 'mesh', operation: 'Apply' }];
    const istiod = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'istiod',
        namespace: 'istio-system',
        generation: 1,
        labels: owned,
        managedFields,
      },
      spec: { replicas: 1 },
      status: {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
      },
    };
    const validator = {
      metadata: { name: 'istio-validator-istio-system', labels: owned, managedFields },
      webhooks: [
        {
          name: 'rev.validation.istio.io',
          clientConfig: {
            service: { namespace: 'istio-system', name: 'istiod' },
            caBundle: Buffer.from(makeCa('cluster.local').certPem).toString('base64'),
          },
        },
      ],
    };
    server = await startFakeApiServer((method, path) => {
      const crd = /^\/apis\/apiextensions\.k8s\.io\/v1\/customresourcedefinitions\/(.+)$/.exec(path);
      if (crd)
        return forbidden(
          'get',
          'customresourcedefinitions',
          'apiextensions.k8s.io',
          'at the cluster scope',
          crd[1],
        );
      switch (path) {
        case '/apis/apps/v1/deployments':
          return list([istiod]);
        case '/apis/apps/v1/namespaces/istio-system/deployments/istiod':
          return { status: 200, body: istiod };
        case '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations':
          return list([validator]);
        case '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations':
          return forbidden(
            'list',
            'mutatingwebhookconfigurations',
            'admissionregistration.k8s.io',
            'at the cluster scope',
          );
        case '/apis/discovery.k8s.io/v1/namespaces/istio-system/endpointslices':
          return forbidden('list', 'endpointslices', 'discovery.k8s.io', 'in the namespace "istio-system"');
        case '/api/v1/namespaces':
          return forbidden('list', 'namespaces', '', 'at the cluster scope');
      }
      return undefined;
    });
    const args = ['check', '--skip-proxies', '--kubeconfig', server.kubeconfig];

    const json = await runCli([...args, '-o', 'json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(79);
    const { results } = JSON.parse(json.stdout) as { results: Array<Record<string, string>> };
    expect(results.map((r) => [r.group, r.status])).toEqual([
      ['Control plane', 'fail'],
      ['Control plane', 'ok'],
      ['Webhooks', 'fail'],
      ['Webhooks', 'fail'],
      ['CRDs', 'fail'],
      ['Injection', 'fail'],
      ['Certificates', 'warn'],
    ]);
    const namespacesForbidden =
      'cannot check: namespaces is forbidden: User "ci" cannot list resource "namespaces" in API group "" at the cluster scope';
    expect(results.map((r) => r.message).slice(0, 4)).toEqual([
      // the Namespace mesh installed is one of the objects check lists
      namespacesForbidden,
      'Deployment/istio-system/istiod is ready',
      'cannot check: mutatingwebhookconfigurations.admissionregistration.k8s.io is forbidden: User "ci" cannot list resource "mutatingwebhookconfigurations" in API group "admissionregistration.k8s.io" at the cluster scope',
      'cannot check: endpointslices.discovery.k8s.io is forbidden: User "ci" cannot list resource "endpointslices" in API group "discovery.k8s.io" in the namespace "istio-system"',
    ]);
    // the CRDs are read one by one, several at a time: the first refusal names its CRD
    expect(results[4]!.message).toMatch(
      /^cannot check: customresourcedefinitions\.apiextensions\.k8s\.io "[a-z.]+\.istio\.io" is forbidden: User "ci" cannot get resource "customresourcedefinitions"/,
    );
    expect(results[5]!.message).toBe(namespacesForbidden);
    for (const r of results.filter((x) => x.status === 'fail'))
      expect(r.hint).toBe('the user lacks read access for this check');

    const text = await runCli(args);
    expect(text.code).toBe(79);
    expect(text.stdout.split('\n').slice(0, 12)).toEqual([
      'Control plane',
      '-------------',
      `× ${namespacesForbidden}`,
      RBAC_HINT,
      '✓ Deployment/istio-system/istiod is ready',
      '',
      'Webhooks',
      '--------',
      `× ${results[2]!.message}`,
      RBAC_HINT,
      `× ${results[3]!.message}`,
      RBAC_HINT,
    ]);
    expect(text.stdout.trimEnd().split('\n').pop()).toBe('Status: 5 problem(s) found, 1 warning(s)');
  });
});
