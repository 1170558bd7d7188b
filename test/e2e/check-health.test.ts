// `mesh check` against a real kube-apiserver (with the controller-manager, scheduler and a kwok node)
// after a user edited what mesh installed: a label removed, a webhook configuration, a Service or the
// install namespace deleted, two injectors of one revision, a namespace left without an injector. Each
// test asserts the exact ✓/‼/× line (and hint) a user reads. Every test installs its own revision in its
// own namespace; the ones that need the default revision (F, then E) run last, in that order.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMesh, type MeshRun } from './support/mesh-cli.js';
import { clientsFor, eventually, uniqueName, type Clients } from './support/kube.js';
import { startTestbed, type Testbed } from './support/testbed.js';

let tb: Testbed;
let c: Clients;

beforeAll(async () => {
  tb = await startTestbed({ controllerManager: true, nodes: true });
  c = clientsFor(tb.kubeconfig);
}, 180_000);

afterAll(async () => {
  await tb?.stop();
});

const mesh = (args: string[]) => runMesh([...args, '--kubeconfig', tb.kubeconfig]);

/** The minimal profile in `ns`, of `revision` (none: the default revision). */
const inputs = (ns: string, revision?: string) => [
  '--set',
  `namespace=${ns}`,
  '--set',
  'profile=minimal',
  ...(revision ? ['-r', revision] : []),
];

async function install(ns: string, revision?: string): Promise<void> {
  const run = await mesh(['install', '-y', ...inputs(ns, revision)]);
  expect(run.code, run.stderr).toBe(0);
}

const check = (ns: string, revision?: string) => mesh(['check', '--skip-proxies', ...inputs(ns, revision)]);

/** `line` is on stdout, followed by `hint` when given. */
function expectLine(run: MeshRun, line: string, hint?: string): void {
  const lines = run.stdout.split('\n');
  const at = lines.indexOf(line);
  expect(at, `${line}\nnot in:\n${run.stdout}`).toBeGreaterThanOrEqual(0);
  if (hint !== undefined) expect(lines[at + 1]).toBe(`    hint: ${hint}`);
}

const admission = (kind: string, name: string) =>
  ({ apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name } }) as any;

const gone = (read: () => Promise<unknown>) => () =>
  read().then(
    () => undefined,
    () => true,
  );

describe('mesh check after a user edited what mesh installed', () => {
  it("A: a Deployment without mesh's label is named as such (not missing) and still checked for readiness", async () => {
    const ns = uniqueName('chk-a');
    await install(ns, 'ra');
    await c.apps.patchNamespacedDeployment(
      {
        name: 'istiod-ra',
        namespace: ns,
        body: [{ op: 'remove', path: '/metadata/labels/app.kubernetes.io~1managed-by' }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const run = await check(ns, 'ra');
    // Before: "× Deployment/…/istiod-ra is missing, while 15 other object(s) mesh installed with it are there"
    expect(run.stdout).not.toContain('is missing');
    expectLine(
      run,
      `× Deployment/${ns}/istiod-ra exists but no longer carries mesh's label app.kubernetes.io/managed-by=mesh: uninstall will leave it`,
      'run mesh install with the same inputs to label it again',
    );
    expectLine(run, `✓ Deployment/${ns}/istiod-ra is ready`);
    expect(run.code).toBe(79);
    // install labels it again
    await install(ns, 'ra');
    const again = await check(ns, 'ra');
    expect(again.stdout).not.toContain('no longer carries');
    expect(again.code, again.stdout).toBe(0);
  });

  it('B: a deleted injector MutatingWebhookConfiguration and mesh ConfigMap are missing', async () => {
    const ns = uniqueName('chk-b');
    await install(ns, 'rb');
    await c.objects.delete(admission('MutatingWebhookConfiguration', `istio-sidecar-injector-rb-${ns}`));
    await c.core.deleteNamespacedConfigMap({ name: 'istio-rb', namespace: ns });
    await eventually(
      'the webhook configuration to be gone',
      gone(() =>
        c.objects.read(admission('MutatingWebhookConfiguration', `istio-sidecar-injector-rb-${ns}`)),
      ),
    );
    const run = await check(ns, 'rb');
    // Before: no line named it, and the Control plane group was all ✓
    const hint = 'someone deleted it: run mesh install with the same inputs to put it back';
    expectLine(
      run,
      `× MutatingWebhookConfiguration/istio-sidecar-injector-rb-${ns} is missing, while 14 other object(s) mesh installed with it are there`,
      hint,
    );
    expectLine(
      run,
      `× ConfigMap/${ns}/istio-rb is missing, while 14 other object(s) mesh installed with it are there`,
      hint,
    );
    expect(run.code).toBe(79);
  });

  it('C: a deleted istiod Service: the webhooks\' Service does not exist (not "no ready endpoints")', async () => {
    const ns = uniqueName('chk-c');
    await install(ns, 'rc');
    await c.core.deleteNamespacedService({ name: 'istiod-rc', namespace: ns });
    const run = await check(ns, 'rc');
    expect(run.stdout).not.toContain('has no ready endpoints');
    const hint = 'someone deleted it: run mesh install with the same inputs to put it back';
    expectLine(
      run,
      `× ValidatingWebhookConfiguration/istio-validator-rc-${ns} → Service ${ns}/istiod-rc does not exist (failurePolicy Ignore: Istio configuration goes unvalidated)`,
      hint,
    );
    expectLine(
      run,
      `× MutatingWebhookConfiguration/istio-sidecar-injector-rc-${ns} → Service ${ns}/istiod-rc does not exist (failurePolicy Fail: the API server refuses to create the pods it selects)`,
      hint,
    );
    expectLine(
      run,
      `× Service/${ns}/istiod-rc is missing, while 15 other object(s) mesh installed with it are there`,
      hint,
    );
    expectLine(run, `✓ Deployment/${ns}/istiod-rc is ready`);
    expect(run.code).toBe(79);
  });

  it('D: the install namespace deleted: the cluster-scoped leftovers are named, and the webhooks whose Service is gone', async () => {
    const ns = uniqueName('chk-d');
    await install(ns, 'rd');
    await c.core.deleteNamespace({ name: ns });
    await eventually(
      'the namespace to be gone',
      gone(() => c.core.readNamespace({ name: ns })),
      60_000,
    );
    const run = await check(ns, 'rd');
    // Before: "× no control plane of revision rd installed by mesh in this cluster"
    expect(run.stdout).not.toContain('no control plane');
    const leftovers = [
      `ClusterRole/istio-reader-clusterrole-rd-${ns}`,
      `ClusterRole/istiod-clusterrole-rd-${ns}`,
      `ClusterRole/istiod-gateway-controller-rd-${ns}`,
      `ClusterRoleBinding/istio-reader-clusterrole-rd-${ns}`,
      `ClusterRoleBinding/istiod-clusterrole-rd-${ns}`,
      `ClusterRoleBinding/istiod-gateway-controller-rd-${ns}`,
      `ValidatingWebhookConfiguration/istio-validator-rd-${ns}`,
      `MutatingWebhookConfiguration/istio-sidecar-injector-rd-${ns}`,
    ];
    expectLine(
      run,
      `× namespace ${ns} does not exist, while 8 object(s) mesh installed for it are still there: ${leftovers.join(', ')}`,
      `run mesh install --set namespace=${ns} (with the same inputs) to put the control plane back, or mesh uninstall --set namespace=${ns} to remove what is left`,
    );
    const hint = `its namespace ${ns} is gone: run mesh install --set namespace=${ns} to put the control plane back, or mesh uninstall --set namespace=${ns} to remove this webhook configuration`;
    expectLine(
      run,
      `× MutatingWebhookConfiguration/istio-sidecar-injector-rd-${ns} → Service ${ns}/istiod-rd does not exist (failurePolicy Fail: the API server refuses to create the pods it selects)`,
      hint,
    );
    expectLine(
      run,
      `× ValidatingWebhookConfiguration/istio-validator-rd-${ns} → Service ${ns}/istiod-rd does not exist (failurePolicy Ignore: Istio configuration goes unvalidated)`,
      hint,
    );
    expect(run.code).toBe(79);
    // what the hint says removes the leftovers
    const un = await mesh(['uninstall', '-y', ...inputs(ns, 'rd')]);
    expect(un.code, un.stderr).toBe(0);
    const after = await check(ns, 'rd');
    expectLine(after, '× no control plane of revision rd installed by mesh in this cluster');
  });

  it('F: the default revision uninstalled while another remains: an istio-injection namespace has no injector, its pods a proxy of a revision that is gone', async () => {
    const ns = uniqueName('chk-f');
    const shop = uniqueName('shop');
    await install(ns);
    await install(ns, 'rf');
    // pods made while nothing selects the namespace (an injector whose istiod does not listen refuses them)
    await c.core.createNamespace({ body: { metadata: { name: shop } } });
    await c.core.createNamespacedPod({
      namespace: shop,
      body: {
        metadata: {
          name: 'web-old',
          annotations: { 'sidecar.istio.io/status': JSON.stringify({ revision: 'default' }) },
        },
        spec: {
          containers: [
            { name: 'app', image: 'nginx' },
            { name: 'istio-proxy', image: 'proxyv2' },
          ],
        },
      },
    });
    await c.core.createNamespacedPod({
      namespace: shop,
      body: { metadata: { name: 'web-bare' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
    });
    const un = await mesh(['uninstall', '-y', ...inputs(ns)]);
    expect(un.code, un.stderr).toBe(0);
    await c.core.patchNamespace(
      { name: shop, body: [{ op: 'add', path: '/metadata/labels/istio-injection', value: 'enabled' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const run = await check(ns);
    // Before: "✓ namespace shop: every pod has a proxy of revision default", or with the bare pod
    // "‼ … 1 pod(s) without a proxy" and the hint to restart them
    expect(run.stdout).not.toContain(`namespace ${shop}: every pod`);
    expect(run.stdout).not.toContain(`namespace ${shop}: 1 pod(s) without a proxy`);
    const lines = run.stdout.split('\n');
    const at = lines.indexOf(
      `× namespace ${shop} (istio-injection=enabled): no injector selects it; new pods get no proxy`,
    );
    expect(at, run.stdout).toBeGreaterThanOrEqual(0);
    expect(lines[at + 1]).toMatch(
      /^ {4}hint: remove its istio-injection label and label it istio\.io\/rev=r[a-z] \(an installed revision\), or install the default revision \(mesh install\)$/,
    );
    expectLine(
      run,
      `× namespace ${shop}: 1 pod(s) run a proxy of revision default, which is not installed (e.g. web-old)`,
      'their proxies have no istiod to connect to: point the namespace at an installed revision, then restart them',
    );
    expect(run.code).toBe(79);
  });

  it('E: two control planes of the default revision in two namespaces: check names both injectors and the selectors they share', async () => {
    const [one, two] = [uniqueName('chk-e'), uniqueName('chk-e')].sort((a, b) =>
      `istio-sidecar-injector-${a}`.localeCompare(`istio-sidecar-injector-${b}`),
    );
    await install(one!);
    await install(two!);
    const pre = await mesh(['precheck', ...inputs(uniqueName('chk-e3'))]);
    expect(pre.stdout).toContain('already injects the same pods');
    const run = await check(one!);
    // Before: "Status: all good"
    expectLine(
      run,
      `× MutatingWebhookConfiguration/istio-sidecar-injector-${one} and MutatingWebhookConfiguration/istio-sidecar-injector-${two} inject the same pods: ` +
        'rev.namespace.sidecar-injector.istio.io (namespaces istio.io/rev in (default),!istio-injection; pods sidecar.istio.io/inject notin (false)), ' +
        'rev.object.sidecar-injector.istio.io (namespaces !istio.io/rev,!istio-injection; pods sidecar.istio.io/inject notin (false),istio.io/rev in (default)), ' +
        'namespace.sidecar-injector.istio.io (namespaces istio-injection in (enabled); pods sidecar.istio.io/inject notin (false)), ' +
        'object.sidecar-injector.istio.io (namespaces !istio-injection,!istio.io/rev; pods sidecar.istio.io/inject in (true),!istio.io/rev)',
      `pods they select get two sidecars: uninstall one of them (e.g. mesh uninstall --set namespace=${two} -y), or install it with another --revision`,
    );
    expect(run.code).toBe(79);
    // a check of another revision does not report them
    const other = await check(one!, 'ra');
    expect(other.stdout).not.toContain('inject the same pods');
  });
});
