// `mesh install`, `manifest diff`, `uninstall`, `precheck` and `check` against a real kube-apiserver of
// its own (this file purges CRDs and cuts the connection to the server, so it shares no server with
// other files), with the real kube-controller-manager, kube-scheduler and a kwok node: the Deployments
// mesh creates roll out, schedule and become ready the way they would in a cluster, and nothing in the
// tests writes Deployment or Pod status.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runMesh, type MeshRun } from './support/mesh-cli.js';
import { apply, clientsFor, eventually, uniqueName, type Clients } from './support/kube.js';
import { startTestbed, type Testbed } from './support/testbed.js';

const mesh = (args: string[], env: Record<string, string> = {}) => runMesh(args, { env });

let tb: Testbed;
let c: Clients;
let kubeconfig: string;

const installArgs = (ns: string, ...more: string[]) => [
  '--kubeconfig',
  kubeconfig,
  '--set',
  `namespace=${ns}`,
  ...more,
];

const installReady = (ns: string, ...more: string[]): Promise<MeshRun> =>
  mesh(['install', '-y', ...installArgs(ns, ...more)]);

/** A pod nodeSelector no node satisfies: the scheduler leaves istiod's pod Pending and says why. */
const UNSCHEDULABLE = ['--set', 'values.pilot.nodeSelector.mesh-e2e/pool=none'];

/** `kind/ns/name` of every object `manifest generate` renders for these flags. */
async function renderedRefs(ns: string, ...more: string[]): Promise<string[]> {
  const out = await mesh(['manifest', 'generate', '--set', `namespace=${ns}`, ...more]);
  expect(out.code).toBe(0);
  return out.stdout
    .split(/^---$/m)
    .map((d) => parse(d))
    .map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
}

async function exists(ref: string): Promise<boolean> {
  const [kind, ...rest] = ref.split('/');
  const name = rest.pop()!;
  const namespace = rest[0];
  const api =
    {
      CustomResourceDefinition: 'apiextensions.k8s.io/v1',
      ClusterRole: 'rbac.authorization.k8s.io/v1',
      ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
      Role: 'rbac.authorization.k8s.io/v1',
      RoleBinding: 'rbac.authorization.k8s.io/v1',
      Deployment: 'apps/v1',
      HorizontalPodAutoscaler: 'autoscaling/v2',
      PodDisruptionBudget: 'policy/v1',
      MutatingWebhookConfiguration: 'admissionregistration.k8s.io/v1',
      ValidatingWebhookConfiguration: 'admissionregistration.k8s.io/v1',
    }[kind!] ?? 'v1';
  try {
    await c.objects.read({
      apiVersion: api,
      kind,
      metadata: { name, ...(namespace ? { namespace } : {}) },
    } as any);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  tb = await startTestbed({ controllerManager: true, nodes: true });
  c = clientsFor(tb.kubeconfig);
  kubeconfig = tb.kubeconfig;
}, 180_000);

afterAll(async () => {
  await tb?.stop();
});

describe('mesh install on a real API server', () => {
  const ns = uniqueName('mesh-default');

  it('installs the default profile: every rendered object accepted, Deployments ready, exit 0', async () => {
    const run = await installReady(ns);
    expect(run.stderr).toContain(`Context: `);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Installed 1\.30\.0 in mesh-default-\w+: \d+ object\(s\) applied/);
    // 16 CRDs polled 8 at a time on one signal: Node warned of a listener leak on every install
    expect(run.stderr).not.toContain('MaxListenersExceededWarning');
    const refs = await renderedRefs(ns);
    for (const ref of refs) expect(await exists(ref), ref).toBe(true);
    const istiod = await c.apps.readNamespacedDeployment({ name: 'istiod', namespace: ns });
    expect(istiod.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'mesh',
      'operator.istio.io/component': 'Pilot',
    });
    expect(istiod.metadata?.managedFields?.map((f) => f.manager)).toContain('mesh');
  });

  it('a second run plans nothing and changes nothing', async () => {
    const plan = await mesh(['install', '--dry-run', ...installArgs(ns)]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^Plan: 0 to create, 0 to change, 0 to prune, \d+ unchanged\.$/),
    ]);
    const diff = await mesh(['manifest', 'diff', ...installArgs(ns)]);
    expect(diff.code).toBe(0);
    const again = await mesh(['install', '-y', ...installArgs(ns)]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Nothing to change');
  });

  it('the plan shows field-level changes and prunes, and install applies and prunes them', async () => {
    const plan = await mesh([
      'manifest',
      'diff',
      ...installArgs(
        ns,
        '--set',
        'values.pilot.env.PILOT_X=1',
        '--set',
        'components.ingressGateways[0].enabled=false',
      ),
    ]);
    expect(plan.code).toBe(79);
    expect(plan.stdout).toContain(`~ Deployment/${ns}/istiod`);
    expect(plan.stdout).toContain(
      'spec.template.spec.containers[name:discovery].env[name:PILOT_X]: (none) → {"name":"PILOT_X","value":"1"}',
    );
    expect(plan.stdout).toContain(`- Deployment/${ns}/istio-ingressgateway`);
    expect(plan.stdout).toContain(`- Service/${ns}/istio-ingressgateway`);
    const run = await installReady(
      ns,
      '--set',
      'values.pilot.env.PILOT_X=1',
      '--set',
      'components.ingressGateways[0].enabled=false',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await exists(`Deployment/${ns}/istio-ingressgateway`)).toBe(false);
    const back = await installReady(ns);
    expect(back.code, back.stderr).toBe(0);
    expect(await exists(`Deployment/${ns}/istio-ingressgateway`)).toBe(true);
  });

  it('mesh check reports the installed control plane', async () => {
    const run = await mesh(['check', '--kubeconfig', kubeconfig, '--set', `namespace=${ns}`, '-o', 'json']);
    const out = JSON.parse(run.stdout);
    const messages = out.results.map((r: any) => `${r.status} ${r.message}`);
    expect(messages).toContain(`ok Deployment/${ns}/istiod is ready`);
    expect(messages).toContain('ok 15 CRDs present at the served versions');
    // The endpoint controller gives the webhooks' Service istiod's ready pod; the CA bundle is istiod's to
    // write once it serves, and no istiod process runs here: a warning, not a failure.
    expect(messages).toContain(
      `ok MutatingWebhookConfiguration/istio-sidecar-injector-${ns} → Service ${ns}/istiod has 1 ready endpoint(s)`,
    );
    expect(messages).toContain(
      `warn MutatingWebhookConfiguration/istio-sidecar-injector-${ns}: 4 webhook(s) without a CA bundle`,
    );
    expect(out.results.filter((r: any) => r.status === 'fail')).toEqual([]);
    expect(run.code).toBe(0);
  });

  it("install --verify (istioctl's) ends with check's control-plane group on stdout", async () => {
    const run = await installReady(ns, '--verify');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('Nothing to change: the cluster already matches.');
    expect(run.stdout).toContain(`Deployment/${ns}/istiod is ready`);
    expect(run.stdout).toContain('15 CRDs present at the served versions');
    const without = await installReady(ns);
    expect([without.code, without.stdout]).toEqual([0, '']);
  });

  it('uninstall removes every owned object of the revision and leaves decoys and base alone', async () => {
    const decoyNs = uniqueName('decoy');
    await c.core.createNamespace({ body: { metadata: { name: decoyNs } } });
    const decoys = [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio', namespace: decoyNs },
        data: { mesh: '{}' },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'other-owner',
          namespace: ns,
          labels: { 'operator.istio.io/component': 'Pilot', 'istio.io/rev': 'default' },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'istiod',
          namespace: decoyNs,
          labels: { 'app.kubernetes.io/managed-by': 'someone-else', 'istio.io/rev': 'default' },
        },
      },
    ];
    for (const d of decoys) await apply(c.objects, d as any);
    // Workloads on the default revision: an injection-enabled namespace running a Deployment injected by
    // `mesh kube-inject` with the installed injector ConfigMap, a pod labelled for the revision in an
    // unlabelled namespace, and a namespace on another revision (not a user of this one).
    const shop = uniqueName('shop');
    const loose = uniqueName('loose');
    const other = uniqueName('other-rev');
    await c.core.createNamespace({
      body: { metadata: { name: shop, labels: { 'istio-injection': 'enabled' } } },
    });
    await c.core.createNamespace({ body: { metadata: { name: loose } } });
    await c.core.createNamespace({
      body: { metadata: { name: other, labels: { 'istio.io/rev': 'canary' } } },
    });
    const web = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: shop },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          // The testbed's API server runs without the ServiceAccount admission plugin, which would
          // fill this in; the injected proxy's token volume needs it.
          spec: { serviceAccountName: 'default', containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    };
    const injected = await runMesh(
      [
        'kube-inject',
        '-f',
        '-',
        '--kubeconfig',
        kubeconfig,
        '-i',
        ns,
        '--injectConfigMapName',
        'istio-sidecar-injector',
        '--meshConfigMapName',
        'istio',
      ],
      { input: stringify(web) },
    );
    expect(injected.code, injected.stderr).toBe(0);
    await apply(c.objects, parse(injected.stdout));
    await c.core.createNamespacedPod({
      namespace: loose,
      body: {
        metadata: { name: 'pinned', labels: { 'istio.io/rev': 'default' } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    });
    await c.core.createNamespacedPod({
      namespace: other,
      body: { metadata: { name: 'elsewhere' }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    });
    await eventually('the injected web pods', async () =>
      (await c.core.listNamespacedPod({ namespace: shop })).items.length === 2 ? true : undefined,
    );
    const webPods = (await c.core.listNamespacedPod({ namespace: shop })).items
      .map((p) => p.metadata!.name!)
      .sort();

    const list = await mesh(['uninstall', '--dry-run', '--kubeconfig', kubeconfig]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`- Deployment/${ns}/istiod`);
    expect(list.stdout).not.toContain('CustomResourceDefinition');
    const warning = [
      'Warning: workloads still point at revision default.',
      `  namespace ${loose}: 1 pod(s) on this revision (pinned)`,
      `  namespace ${shop} (istio-injection=enabled): 2 pod(s) on this revision (${webPods.join(', ')})`,
    ];
    for (const line of warning) expect(list.stderr).toContain(line);
    expect(list.stderr).not.toContain(other);
    // istiod's and the gateway's own pods go with the revision: they are not listed as users.
    expect(list.stderr).not.toContain(`namespace ${ns}`);
    const run = await mesh(['uninstall', '-y', '--kubeconfig', kubeconfig]);
    // A warning, not a failure: the uninstall goes ahead, waits until the objects are gone, exits 0.
    for (const line of warning) expect(run.stderr).toContain(line);
    expect(run.stderr.indexOf('Warning: workloads')).toBeLessThan(
      run.stderr.indexOf(`- Deployment/${ns}/istiod`),
    );
    expect(run.stderr).toMatch(/✔ Removed \d+ object\(s\) of revision default\./);
    expect(run.code, run.stderr).toBe(0);
    const rendered = await renderedRefs(ns);
    const base = rendered.filter(
      (r) =>
        r.startsWith('CustomResourceDefinition/') ||
        r.startsWith('Namespace/') ||
        r.includes('istio-reader-service-account'),
    );
    for (const ref of rendered) expect(await exists(ref), ref).toBe(base.includes(ref));
    for (const d of decoys)
      expect(await exists(`${d.kind}/${d.metadata.namespace}/${d.metadata.name}`)).toBe(true);
  });
});

describe('profiles, revisions and faults', () => {
  it('precheck: the restricted user is told which verbs it lacks before install tries (exit 79); admin passes', async () => {
    const denied = await mesh(['precheck', '--kubeconfig', tb.restrictedKubeconfig]);
    expect(denied.code).toBe(79);
    expect(denied.stdout).toContain(
      '× cannot get/list/create/patch/delete customresourcedefinitions.apiextensions.k8s.io',
    );
    expect(denied.stdout).toContain('× cannot get/list/create/patch/delete deployments.apps in istio-system');
    // the install lock: a warning (install runs unlocked), not a failure
    expect(denied.stdout).toContain(
      '‼ cannot get/create/update/delete leases.coordination.k8s.io in kube-system: install would run without its lock (Lease kube-system/mesh-install)',
    );
    const ok = await mesh(['precheck', '--kubeconfig', kubeconfig, '-o', 'json']);
    const results = JSON.parse(ok.stdout).results;
    expect(results.filter((r: any) => r.status === 'fail')).toEqual([]);
    expect(results).toContainEqual({
      group: 'Permissions',
      status: 'ok',
      message: 'can get/create/update/delete leases.coordination.k8s.io in kube-system (the install lock)',
    });
    expect(ok.code).toBe(0);
  });

  it('installs the minimal profile as a revision next to nothing else: no gateway, revisioned names', async () => {
    const ns = uniqueName('mesh-minimal');
    const run = await installReady(ns, '--set', 'profile=minimal', '-r', 'canary');
    expect(run.code, run.stderr).toBe(0);
    expect(await exists(`Deployment/${ns}/istiod-canary`)).toBe(true);
    expect(await exists(`Deployment/${ns}/istio-ingressgateway`)).toBe(false);
    expect(await exists(`ConfigMap/${ns}/istio-sidecar-injector-canary`)).toBe(true);
    // istioctl's `uninstall -f iop.yaml` / `--set revision=…`: the revision comes from the spec
    const byRevision = await mesh(['uninstall', '--dry-run', '-r', 'canary', '--kubeconfig', kubeconfig]);
    expect(byRevision.stdout).toContain(`- Deployment/${ns}/istiod-canary`);
    const iop = join(tb.kubeconfig, '..', `${ns}-iop.yaml`);
    writeFileSync(
      iop,
      `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  namespace: ${ns}\n  revision: canary\n`,
    );
    // a spec describes one install: its namespace too (istio-system when it names none, where there is
    // nothing of canary's)
    for (const flags of [
      ['-f', iop],
      ['--set', 'revision=canary', '--set', `namespace=${ns}`],
    ]) {
      const dry = await mesh(['uninstall', '--dry-run', ...flags, '--kubeconfig', kubeconfig]);
      expect([dry.code, dry.stdout, dry.stderr], flags.join(' ')).toEqual([
        byRevision.code,
        byRevision.stdout,
        byRevision.stderr,
      ]);
    }
    const elsewhere = await mesh([
      'uninstall',
      '--dry-run',
      '--set',
      'revision=canary',
      '--kubeconfig',
      kubeconfig,
    ]);
    expect([elsewhere.code, elsewhere.stdout]).toEqual([0, '']);
    expect(elsewhere.stderr).toContain(
      'Nothing to remove: no objects of revision canary installed by mesh in istio-system.',
    );
    const un = await mesh(['uninstall', '-y', '-r', 'canary', '--kubeconfig', kubeconfig]);
    expect(un.code).toBe(0);
    expect(await exists(`Deployment/${ns}/istiod-canary`)).toBe(false);
  });

  it('a conflicting object is reported with its owner, and --force takes it over', async () => {
    const ns = uniqueName('mesh-conflict');
    await c.core.createNamespace({ body: { metadata: { name: ns } } });
    await apply(c.objects, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: ns },
      data: { mesh: 'accessLogFile: /tmp/x\n' },
    } as any);
    const run = await installReady(ns, '--set', 'profile=minimal');
    expect(run.code).toBe(1);
    // the user made it, not mesh: the error says so next to the conflict (without --force too)
    expect(run.stderr).toContain(
      `Error: ConfigMap/${ns}/istio: exists, not created by mesh (written by mesh-e2e); conflict: `,
    );
    expect(run.stderr).toContain('mesh-e2e');
    expect(run.stderr).toContain('--force');
    const forced = await installReady(ns, '--set', 'profile=minimal', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    const cm = await c.core.readNamespacedConfigMap({ name: 'istio', namespace: ns });
    expect(parse(cm.data!.mesh!)).toMatchObject({ rootNamespace: ns });
  });

  it("an object the server refuses halfway: named with the server's reason and what was already applied; a re-run completes", async () => {
    const ns = uniqueName('mesh-quota');
    await c.core.createNamespace({ body: { metadata: { name: ns } } });
    // The API server's ResourceQuota admission refuses a Deployment in this namespace; everything before
    // it (CRDs, Base, Pilot's other objects) is accepted.
    await c.core.createNamespacedResourceQuota({
      namespace: ns,
      body: { metadata: { name: 'no-deployments' }, spec: { hard: { 'count/deployments.apps': '0' } } },
    });
    const run = await installReady(ns, '--set', 'profile=minimal');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `Error: Deployment/${ns}/istiod: deployments.apps "istiod" is forbidden: exceeded quota: no-deployments.* ` +
          `\\(already applied \\d+ object\\(s\\): CRDs and namespace \\d+/\\d+ ready, Base \\d+/\\d+ ready, Pilot \\d+/\\d+ applied\\)`,
      ),
    );
    expect(run.stderr).toContain(`- ConfigMap/${ns}/istio\n`);
    expect(run.stderr).not.toContain(`- Deployment/${ns}/istiod\n`);
    expect(await exists(`ConfigMap/${ns}/istio`)).toBe(true);
    await c.core.deleteNamespacedResourceQuota({ name: 'no-deployments', namespace: ns });
    const rerun = await installReady(ns, '--set', 'profile=minimal');
    expect(rerun.code, rerun.stderr).toBe(0);
  });

  it("a Deployment that never becomes ready: the timeout names it, the scheduler's reason and what was applied", async () => {
    const ns = uniqueName('mesh-stuck');
    const run = await mesh([
      'install',
      '-y',
      '--readiness-timeout',
      '5s',
      ...installArgs(ns, '--set', 'profile=minimal', ...UNSCHEDULABLE),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `Error: Deployment/${ns}/istiod is not ready after 5s: 0/1 replicas ready; .*pod istiod-[a-z0-9-]+: PodScheduled=False: 0/1 nodes are available: 1 node\\(s\\) didn't match Pod's node affinity/selector.*` +
          `\\(already applied \\d+ object\\(s\\): CRDs and namespace \\d+/\\d+ ready, Base \\d+/\\d+ ready, Pilot (\\d+)/\\1 applied\\)`,
      ),
    );
    expect(run.stderr).toContain('Applied before the failure:');
    expect(run.stderr).toContain(`- Deployment/${ns}/istiod\n`);
    expect(run.stderr).toContain(`- CustomResourceDefinition/virtualservices.networking.istio.io\n`);
    const rerun = await installReady(ns, '--set', 'profile=minimal');
    expect(rerun.code, rerun.stderr).toBe(0);
  });

  it('the API server going away mid-install is one clear error; a re-run completes', async () => {
    const ns = uniqueName('mesh-cut');
    const target = new URL(tb.server);
    const sockets = new Set<Socket>();
    const proxy: Server = createServer((s) => {
      const up = connect(Number(target.port), target.hostname);
      sockets.add(s).add(up);
      s.pipe(up).pipe(s);
      s.on('error', () => up.destroy());
      up.on('error', () => s.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const port = (proxy.address() as { port: number }).port;
    const cfg = parse(readFileSync(tb.kubeconfig, 'utf8'));
    for (const cl of cfg.clusters) cl.cluster.server = `https://127.0.0.1:${port}`;
    const viaProxy = join(tb.kubeconfig, '..', `${ns}.kubeconfig`);
    writeFileSync(viaProxy, stringify(cfg));
    const running = mesh([
      'install',
      '-y',
      '--kubeconfig',
      viaProxy,
      '--set',
      `namespace=${ns}`,
      '--set',
      'profile=minimal',
      '--readiness-timeout',
      '60s',
      ...UNSCHEDULABLE,
    ]);
    // Cut the connection while mesh waits for istiod to become ready (it cannot: no node fits): once every
    // Pilot object exists. (Waiting for the Deployment alone cut an apply still in flight now and then.)
    const pilot = ['Deployment', 'Role', 'RoleBinding', 'HorizontalPodAutoscaler', 'Service'].map(
      (kind) => `${kind}/${ns}/istiod`,
    );
    const applied = async () => (await Promise.all(pilot.map(exists))).every(Boolean);
    for (let i = 0; i < 200 && !(await applied()); i++) await new Promise((r) => setTimeout(r, 250));
    proxy.close();
    for (const s of sockets) s.destroy();
    const run = await running;
    expect(run.code).toBe(1);
    // The cut falls between requests (cannot reach) or, if an answer was still on its way, on a request
    // (sent no answer): either is one line with what was applied.
    expect(run.stderr).toMatch(
      /Error: (cannot reach the Kubernetes API server https:\/\/127\.0\.0\.1:\d+: |\S+: the Kubernetes API server https:\/\/127\.0\.0\.1:\d+ sent no answer to ).*\(already applied \d+ object\(s\): CRDs and namespace \d+\/\d+ ready, Base \d+\/\d+ ready, Pilot \d+\/\d+ applied[;)]/,
    );
    expect(run.stderr).toContain('Hint: re-running the same command completes the install');
    const rerun = await installReady(ns, '--set', 'profile=minimal');
    expect(rerun.code, rerun.stderr).toBe(0);
  });

  it('a protected context is refused unless named with --context', async () => {
    const context = parse(readFileSync(kubeconfig, 'utf8'))['current-context'];
    const run = await mesh(['install', '-y', ...installArgs('mesh-protected')], {
      MESH_PROTECTED_CONTEXTS: context,
    });
    expect(run.code).toBe(64);
    expect(run.stderr).toContain(`context "${context}" is protected`);
    expect(await exists('Namespace/mesh-protected')).toBe(false);
  });

  it('uninstall waits until deleted objects are gone; one held by a finalizer is named when --wait runs out (exit 1)', async () => {
    const ns = uniqueName('mesh-held');
    expect((await installReady(ns, '--set', 'profile=minimal', '-r', 'held')).code).toBe(0);
    const hold = 'mesh-e2e.example.com/hold';
    await c.apps.patchNamespacedDeployment({
      name: 'istiod-held',
      namespace: ns,
      body: [{ op: 'add', path: '/metadata/finalizers', value: [hold] }],
    });
    const run = await mesh(['uninstall', '-y', '-r', 'held', '--wait', '3s', '--kubeconfig', kubeconfig]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `Error: 1 deleted object(s) still there after 3s: Deployment/${ns}/istiod-held (terminating, finalizers ${hold})`,
    );
    expect(await exists(`ConfigMap/${ns}/istio-sidecar-injector-held`)).toBe(false);
    const noWait = await mesh(['uninstall', '-y', '-r', 'held', '--no-wait', '--kubeconfig', kubeconfig]);
    expect(noWait.code, noWait.stderr).toBe(0);
    expect(noWait.stderr).toContain(
      '✔ Deleted 1 object(s) of revision held (not waiting until they are gone).',
    );
    await c.apps.patchNamespacedDeployment({
      name: 'istiod-held',
      namespace: ns,
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    await eventually('the held Deployment to be gone', async () =>
      (await exists(`Deployment/${ns}/istiod-held`)) ? undefined : true,
    );
  });

  it('a user who may not list pods still uninstalls; the warning says it could not tell who uses the revision', async () => {
    const ns = uniqueName('mesh-limited');
    expect((await installReady(ns, '--set', 'profile=minimal', '-r', 'limited')).code).toBe(0);
    // Everything uninstall lists and deletes, but not pods.
    const name = uniqueName('uninstall-without-pods');
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
          resources: [
            'namespaces',
            'customresourcedefinitions',
            'serviceaccounts',
            'configmaps',
            'secrets',
            'services',
            'deployments',
            'daemonsets',
            'clusterroles',
            'clusterrolebindings',
            'roles',
            'rolebindings',
            'poddisruptionbudgets',
            'horizontalpodautoscalers',
            'mutatingwebhookconfigurations',
            'validatingwebhookconfigurations',
          ],
          verbs: ['get', 'list', 'delete'],
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
    try {
      const run = await mesh(['uninstall', '-y', '-r', 'limited', '--kubeconfig', tb.restrictedKubeconfig]);
      expect(run.stderr).toMatch(
        /Warning: cannot tell which workloads still point at revision limited: .*User "mesh-e2e-user" cannot list resource "pods"/,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(await exists(`Deployment/${ns}/istiod-limited`)).toBe(false);
    } finally {
      await c.objects.delete(binding as any);
      await c.objects.delete(role as any);
    }
  });

  it('uninstall --purge removes every object mesh installed, CRDs included', async () => {
    const ns = uniqueName('mesh-purge');
    expect((await installReady(ns, '--set', 'profile=minimal')).code).toBe(0);
    const run = await mesh(['uninstall', '--purge', '-y', '--kubeconfig', kubeconfig]);
    expect(run.code, run.stderr).toBe(0);
    // The API server's CRD finalizer removes each CRD (and its custom objects) a moment after the
    // delete; uninstall waits for that before it reports success.
    expect(await exists('CustomResourceDefinition/virtualservices.networking.istio.io')).toBe(false);
    expect(await exists(`Deployment/${ns}/istiod`)).toBe(false);
    expect(await exists(`ServiceAccount/${ns}/istio-reader-service-account`)).toBe(false);
  });
});
