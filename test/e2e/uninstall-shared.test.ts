// Several revisions and control planes in one cluster, edited by users between runs: what install's plan
// and uninstall's warnings say about shared objects (CRDs, gateways, injectors, users' custom resources),
// on a real API server of this file's own with the controller-manager, scheduler and a kwok node.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMesh } from './support/mesh-cli.js';
import { apply, clientsFor, type Clients } from './support/kube.js';
import { startTestbed, type Testbed } from './support/testbed.js';

let tb: Testbed;
let c: Clients;

const mesh = (...args: string[]) => runMesh([...args, '--kubeconfig', tb.kubeconfig]);

/** One request to the API server as admin (a merge patch that removes a label, a POST as kubectl). */
async function raw(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const url = new URL(c.kc.getCurrentCluster()!.server + path);
  const opts: Parameters<typeof request>[1] = { method, headers: {} };
  await c.kc.applyToHTTPSOptions(opts as any);
  opts.headers = { ...opts.headers, 'content-type': contentType };
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request(url, opts, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const dropManagedBy = (path: string) =>
  raw(
    'PATCH',
    path,
    { metadata: { labels: { 'app.kubernetes.io/managed-by': null } } },
    'application/merge-patch+json',
  );

const crdRev = async (name: string) =>
  (await raw('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)).body.metadata.labels;

beforeAll(async () => {
  tb = await startTestbed({ controllerManager: true, nodes: true });
  c = clientsFor(tb.kubeconfig);
}, 180_000);

afterAll(async () => {
  await tb?.stop();
});

describe('revisions sharing objects', () => {
  it('an install of many objects prints no Node warning; two revisions leave the shared objects as they are', async () => {
    const first = await mesh('install', '-y', '--set', 'profile=demo');
    expect(first.code, first.stderr).toBe(0);
    // every abort listener of a request was kept on the run's one signal: Node warned at the 11th
    expect(first.stderr).not.toContain('MaxListenersExceededWarning');
    expect(first.stderr).not.toMatch(/\(node:\d+\)/);
    const canary = await mesh('install', '-y', '-r', 'canary', '--set', 'profile=minimal');
    expect(canary.code, canary.stderr).toBe(0);
    // Base (CRDs, reader ServiceAccount) is shared: the canary did not take it over
    expect(canary.stderr).not.toMatch(/^~ CustomResourceDefinition\//m);
    expect((await crdRev('virtualservices.networking.istio.io'))['istio.io/rev']).toBe('default');
    for (const args of [
      ['--set', 'profile=demo'],
      ['-r', 'canary', '--set', 'profile=minimal'],
    ]) {
      const plan = await mesh('install', '--dry-run', ...args);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout.trim()).toMatch(/^Plan: 0 to create, 0 to change, 0 to prune, \d+ unchanged\.$/);
    }
    // another install namespace: new objects there, the cluster-wide shared ones untouched
    const two = await mesh(
      'install',
      '--dry-run',
      '--set',
      'namespace=istio-two',
      '--set',
      'profile=minimal',
    );
    expect(two.code, two.stderr).toBe(0);
    expect(two.stdout).not.toMatch(/^~ /m);
    expect(two.stdout).toContain('+ Deployment/istio-two/istiod');
    expect((await mesh('uninstall', '-y', '-r', 'canary')).code).toBe(0);
  });

  it('a new revision that takes the gateways over says so in its plan; its uninstall warns that it removes them', async () => {
    const plan = await mesh('install', '--dry-run', '-r', 'r3', '--set', 'profile=demo');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(
      '~ Deployment/istio-system/istio-ingressgateway (moves from revision default to r3)',
    );
    expect(plan.stdout).toContain(
      '~ Service/istio-system/istio-egressgateway (moves from revision default to r3)',
    );
    expect((await mesh('install', '-y', '-r', 'r3', '--set', 'profile=demo')).code).toBe(0);
    const dry = await mesh('uninstall', '--dry-run', '-r', 'r3');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(
      'Warning: this removes the gateways, which workloads of other revisions may use (a new revision takes the gateways over in place, as Istio upgrades them, so they belong to revision r3):\n' +
        '  Deployment/istio-system/istio-egressgateway\n' +
        '  Deployment/istio-system/istio-ingressgateway\n' +
        '  Staying without them: revision default (Deployment/istio-system/istiod).',
    );
    expect((await mesh('uninstall', '-y', '-r', 'r3')).code).toBe(0);
    // the default revision's install puts them back
    const back = await mesh('install', '-y', '--set', 'profile=demo');
    expect(back.code, back.stderr).toBe(0);
    expect((await mesh('uninstall', '--dry-run', '-r', 'default')).stderr).not.toContain(
      'removes the gateways',
    );
  });

  it("objects of mesh's whose managed-by label a user removed are named as left alone; the revision's own pods are never users", async () => {
    await dropManagedBy('/apis/rbac.authorization.k8s.io/v1/namespaces/istio-system/roles/istiod');
    const dry = await mesh('uninstall', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(
      "Left alone: Role/istio-system/istiod has mesh's fields (managedFields manager mesh) but not its managed-by label",
    );
    expect(dry.stdout).not.toContain('Role/istio-system/istiod\n');
    const purge = await mesh('uninstall', '--purge', '--dry-run');
    expect(purge.stderr).toContain("Left alone: Role/istio-system/istiod has mesh's fields");
    // install still knows it: its plan puts the label back
    const plan = await mesh('install', '--dry-run', '--set', 'profile=demo');
    expect(plan.stdout).toContain(
      '~ Role/istio-system/istiod\n    metadata.labels."app.kubernetes.io/managed-by": (none) → "mesh"',
    );
    expect((await mesh('install', '-y', '--set', 'profile=demo')).code).toBe(0);

    expect((await mesh('install', '-y', '-r', 'r5', '--set', 'profile=minimal')).code).toBe(0);
    await dropManagedBy('/apis/apps/v1/namespaces/istio-system/deployments/istiod-r5');
    const r5 = await mesh('uninstall', '--dry-run', '-r', 'r5');
    expect(r5.code, r5.stderr).toBe(0);
    expect(r5.stderr).toContain('Left alone: Deployment/istio-system/istiod-r5 has');
    expect(r5.stderr).not.toContain('pod(s) on this revision');
    await raw('DELETE', '/apis/apps/v1/namespaces/istio-system/deployments/istiod-r5');
    expect((await mesh('uninstall', '-y', '-r', 'r5')).code).toBe(0);
  });

  it('a rendered object a user created, in conflict with mesh, shows that mesh did not create it without --force', async () => {
    const cm = await raw('POST', '/api/v1/namespaces/istio-system/configmaps?fieldManager=kubectl-create', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio-sidecar-injector-c8' },
      data: { config: 'mine' },
    });
    expect(cm.status).toBe(201);
    const plan = await mesh('install', '--dry-run', '-r', 'c8', '--set', 'profile=minimal');
    expect(plan.code, plan.stderr).toBe(79);
    expect(plan.stdout).toContain(
      '! ConfigMap/istio-system/istio-sidecar-injector-c8: exists, not created by mesh (written by kubectl-create); conflict: Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.config',
    );
    const run = await mesh('install', '-y', '-r', 'c8', '--set', 'profile=minimal');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'Error: ConfigMap/istio-system/istio-sidecar-injector-c8: exists, not created by mesh',
    );
    expect(run.stderr).toContain('re-run with --force to take it over whole');
    await raw('DELETE', '/api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector-c8');
  });

  it('a gateway in a namespace that does not exist: the plan refuses it (exit 79), install changes nothing (exit 1)', async () => {
    const args = ['--set', 'profile=demo', '--set', 'components.ingressGateways[0].namespace=gw-none'];
    const plan = await mesh('install', '--dry-run', ...args);
    expect(plan.code, plan.stderr).toBe(79);
    expect(plan.stdout).toContain(
      '! Namespace/gw-none: does not exist, and mesh creates only the install namespace (5 object(s) go into it: ServiceAccount/gw-none/istio-ingressgateway-service-account, …)\n' +
        '    Hint: create it first (kubectl create namespace gw-none), or set the gateway',
    );
    expect(plan.stdout).toMatch(/, 1 namespace\(s\) missing\.$/m);
    const run = await mesh('install', '-y', ...args);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Error: Namespace/gw-none does not exist');
    expect(run.stderr).toContain('nothing was changed');
    expect(run.stderr).not.toContain('re-running the same command completes');
    expect((await raw('GET', '/api/v1/namespaces/gw-none')).status).toBe(404);
    // nothing pruned either: the ingress gateway in istio-system is still there
    expect(
      (await raw('GET', '/apis/apps/v1/namespaces/istio-system/deployments/istio-ingressgateway')).status,
    ).toBe(200);
  });

  it('two control planes of one revision: uninstalling one warns only about workloads that lose theirs', async () => {
    expect(
      (await mesh('install', '-y', '--set', 'namespace=istio-two', '--set', 'profile=minimal')).code,
    ).toBe(0);
    await apply(c.objects, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } },
    } as any);
    const two = await mesh('uninstall', '--dry-run', '--set', 'namespace=istio-two');
    expect(two.code, two.stderr).toBe(0);
    // istio-system's istiod stays, and its injector still serves shop
    expect(two.stderr).not.toContain('namespace istio-system');
    expect(two.stderr).not.toContain('namespace shop');
    expect(two.stderr).not.toContain('workloads still point at');
    expect((await mesh('uninstall', '-y', '--set', 'namespace=istio-two')).code).toBe(0);
    // with the other control plane gone, shop loses its injector: said
    const last = await mesh('uninstall', '--dry-run');
    expect(last.stderr).toContain('namespace shop (istio-injection=enabled): no pods on this revision yet');
  });

  it("uninstall --purge names the users' Istio configuration the CRDs take with them; a user who may not list it is told", async () => {
    for (const [plural, kind, spec] of [
      ['virtualservices', 'VirtualService', { hosts: ['web'] }],
      ['destinationrules', 'DestinationRule', { host: 'web' }],
    ] as const)
      for (const name of ['web', 'api'].slice(0, kind === 'VirtualService' ? 2 : 1)) {
        const res = await raw('POST', `/apis/networking.istio.io/v1/namespaces/shop/${plural}`, {
          apiVersion: 'networking.istio.io/v1',
          kind,
          metadata: { name },
          spec,
        });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
      }
    const dry = await mesh('uninstall', '--purge', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain(
      'Warning: deleting the CRDs deletes 3 Istio configuration object(s) with them, for good:\n' +
        '  DestinationRule (1): shop/web\n' +
        '  VirtualService (2): shop/api, shop/web\n',
    );
    // may list what uninstall deletes, but not VirtualServices
    const name = 'purge-without-istio-config';
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: [
        {
          apiGroups: [
            '',
            'apps',
            'apiextensions.k8s.io',
            'rbac.authorization.k8s.io',
            'policy',
            'autoscaling',
            'admissionregistration.k8s.io',
          ],
          resources: ['*'],
          verbs: ['get', 'list'],
        },
      ],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mesh-e2e-user' }],
    };
    await apply(c.objects, role as any);
    await apply(c.objects, binding as any);
    const limited = await runMesh([
      'uninstall',
      '--purge',
      '--dry-run',
      '--kubeconfig',
      tb.restrictedKubeconfig,
    ]);
    expect(limited.code, limited.stderr).toBe(0);
    expect(limited.stderr).toMatch(
      /Warning: cannot tell which Istio configuration objects \(VirtualServices, …\) deleting the CRDs deletes with them: .*cannot list resource/,
    );
  });
});
