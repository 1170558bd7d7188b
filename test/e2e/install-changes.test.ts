// `mesh install`, `check` and `uninstall` against a real kube-apiserver (with the controller-manager,
// scheduler and a kwok node) whose objects another client changes under them: a namespace being deleted
// when install starts or while it waits, a Deployment held by a finalizer while check reads it, a
// user's object that carries mesh's ownership labels without mesh having applied it, and a port of
// mesh's Service renumbered by hand.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMesh, type MeshRun } from './support/mesh-cli.js';
import { runMeshInPty } from './support/pty.js';
import { apply, clientsFor, eventually, uniqueName, type Clients } from './support/kube.js';
import { startTestbed, type Testbed } from './support/testbed.js';

let tb: Testbed;
let c: Clients;

const HOLD = 'mesh-e2e.example.com/hold';

const mesh = (args: string[], onStderr?: (soFar: string) => void) =>
  runMesh([...args, '--kubeconfig', tb.kubeconfig], { onStderr });

/** The inputs every test here installs with: the minimal profile in `ns`, as revision `revision`. */
const inputs = (ns: string, revision: string) => [
  '--set',
  `namespace=${ns}`,
  '--set',
  'profile=minimal',
  '-r',
  revision,
];

/** A pod nodeSelector no node satisfies: istiod's new pod stays Pending, and the scheduler says why. */
const UNSCHEDULABLE = ['--set', 'values.pilot.nodeSelector.mesh-e2e/pool=none'];

const install = (ns: string, ...more: string[]) =>
  mesh(['install', '-y', '--set', `namespace=${ns}`, '--set', 'profile=minimal', ...more]);

/** `mesh precheck|check … -o json` gave a × in `group` whose message matches `message`, and exit 79. */
function expectFail(run: MeshRun, group: string, message: RegExp): void {
  expect(JSON.parse(run.stdout).results).toContainEqual(
    expect.objectContaining({ group, status: 'fail', message: expect.stringMatching(message) }),
  );
  expect(run.code).toBe(79);
}

/** A ConfigMap whose finalizer nobody removes: its namespace stays Terminating until the test releases it. */
async function holdNamespace(ns: string): Promise<() => Promise<void>> {
  await c.core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: 'held', finalizers: [HOLD] } },
  });
  return async () => {
    await c.core.patchNamespacedConfigMap({
      name: 'held',
      namespace: ns,
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
  };
}

/** The install lock (Lease kube-system/mesh-install) is gone: the next run goes ahead. */
async function expectLockReleased(): Promise<void> {
  await expect(
    c.objects.read({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'mesh-install', namespace: 'kube-system' },
    } as any),
  ).rejects.toThrow();
}

async function webhookExists(name: string): Promise<boolean> {
  return c.objects
    .read({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name },
    } as any)
    .then(
      () => true,
      () => false,
    );
}

beforeAll(async () => {
  tb = await startTestbed({ controllerManager: true, nodes: true });
  c = clientsFor(tb.kubeconfig);
}, 180_000);

afterAll(async () => {
  await tb?.stop();
});

describe('objects deleted under mesh', () => {
  it('install into a namespace that is being deleted stops before changing anything, naming what holds it (exit 1)', async () => {
    const ns = uniqueName('mesh-terminating');
    await c.core.createNamespace({ body: { metadata: { name: ns } } });
    const release = await holdNamespace(ns);
    await c.core.deleteNamespace({ name: ns });
    // The namespace controller reports what keeps the namespace; mesh's message quotes it.
    await eventually('the namespace to report its finalizers', async () => {
      const live = await c.core.readNamespace({ name: ns });
      return live.status?.conditions?.some((x) => x.type === 'NamespaceFinalizersRemaining')
        ? true
        : undefined;
    });
    try {
      // Before: it applied the CRDs and the namespace, then waited the whole readiness timeout for
      // "phase Terminating" and said re-running would complete the install.
      const run = await install(ns, '--readiness-timeout', '60s');
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        new RegExp(
          `Error: Namespace/${ns} is being deleted \\(since [^;]+; [^)]*Some content in the namespace has finalizers remaining: ${HOLD} in 1 resource instances\\): mesh cannot apply it until it is gone; nothing was changed\n`,
        ),
      );
      expect(run.stderr).toContain('Hint: wait until it is gone (or remove what holds it');
      expect(run.stderr).not.toContain('Applied before the failure');
      expect(await webhookExists(`istio-sidecar-injector-${ns}`)).toBe(false);
      // precheck says so first (before: nothing about the namespace, exit 0).
      const pre = await mesh(['precheck', '--set', `namespace=${ns}`, '-o', 'json']);
      expectFail(
        pre,
        'Install namespace',
        new RegExp(`^${ns} is being deleted \\(since .*${HOLD}.*\\): install cannot apply into it$`),
      );
    } finally {
      await release();
    }
  });

  it('the namespace deleted while install waits for istiod: stops at once, naming the namespace and what was applied', async () => {
    const ns = uniqueName('mesh-deleted-mid');
    let release: (() => Promise<void>) | undefined;
    let deleting: Promise<void> | undefined;
    // istiod cannot be scheduled (no node matches), so install waits for it until the namespace goes.
    const run = await mesh(
      ['install', '-y', ...inputs(ns, 'default'), '--readiness-timeout', '120s', ...UNSCHEDULABLE],
      (soFar) => {
        if (deleting || !soFar.includes('Pilot: waiting for')) return;
        deleting = (async () => {
          release = await holdNamespace(ns);
          await c.core.deleteNamespace({ name: ns });
        })();
      },
    );
    await deleting;
    try {
      expect(run.code).toBe(1);
      // Before: `deployments.apps "istiod" not found (…)` and "re-running the same command completes the install".
      expect(run.stderr).toMatch(
        new RegExp(
          `Error: Namespace/${ns} is being deleted \\(since [^)]*\\): mesh cannot apply it until it is gone \\(already applied \\d+ object\\(s\\): CRDs and namespace \\d+/\\d+ ready, Base \\d+/\\d+ ready, Pilot (\\d+)/\\1 applied\\)`,
        ),
      );
      expect(run.stderr).toContain('Hint: wait until it is gone');
      expect(run.stderr).toContain(`- Deployment/${ns}/istiod\n`);
      expect(run.stderr).not.toContain('not ready after');
    } finally {
      await release?.();
    }
  });

  it('check reports a Deployment held by a finalizer as being deleted, not as ready (exit 79)', async () => {
    const ns = uniqueName('mesh-check-del');
    expect((await install(ns, '-r', 'going')).code).toBe(0);
    await c.apps.patchNamespacedDeployment({
      name: 'istiod-going',
      namespace: ns,
      body: [{ op: 'add', path: '/metadata/finalizers', value: [HOLD] }],
    });
    await c.apps.deleteNamespacedDeployment({ name: 'istiod-going', namespace: ns });
    try {
      // Its pods are still ready while the finalizer holds it: before, check said "is ready", exit 0.
      const run = await mesh(['check', '--skip-proxies', '--set', `namespace=${ns}`, '-o', 'json']);
      const results = JSON.parse(run.stdout).results.map((r: any) => `${r.status} ${r.message}`);
      expect(results).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^fail Deployment/${ns}/istiod-going is being deleted \\(since [^;]+; finalizers ${HOLD}\\)$`,
          ),
        ),
      );
      expect(results).not.toContain(`ok Deployment/${ns}/istiod-going is ready`);
      expect(run.code).toBe(79);
      // precheck for the same inputs: install would stop on it (before: "install updates it in place").
      const pre = await mesh(['precheck', '--set', `namespace=${ns}`, '-r', 'going', '-o', 'json']);
      expectFail(
        pre,
        'Control planes',
        new RegExp(
          `^${ns}/istiod-going \\(revision going, version 1\\.30\\.0\\) is being deleted \\(since [^;]+; finalizers ${HOLD}\\): install cannot apply to it until it is gone$`,
        ),
      );
      // install does not re-apply into it either: nothing changes until it is gone.
      const again = await install(ns, '-r', 'going');
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`Error: Deployment/${ns}/istiod-going is being deleted (since `);
      expect(again.stderr).toContain('nothing was changed');
    } finally {
      await c.apps.patchNamespacedDeployment({
        name: 'istiod-going',
        namespace: ns,
        body: [{ op: 'remove', path: '/metadata/finalizers' }],
      });
    }
    await mesh(['uninstall', '-y', '-r', 'going']);
  });
});

describe('a rollout that never completes', () => {
  it('upgrade waits for the new istiod, not the old one still serving: the timeout names it and the new pod (exit 1)', async () => {
    const ns = uniqueName('mesh-rollout');
    expect((await install(ns, '-r', 'roll', '--set', 'tag=1.29.0')).code).toBe(0);
    // The new template's pod cannot be scheduled; the old pod stays ready and available meanwhile.
    const run = await mesh([
      'upgrade',
      '-y',
      ...inputs(ns, 'roll'),
      '--readiness-timeout',
      '6s',
      ...UNSCHEDULABLE,
    ]);
    // Before: '✔ Pilot: 16 object(s) applied and ready' and '✔ Upgraded 1.30.0', exit 0.
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `Error: Deployment/${ns}/istiod-roll is not ready after 6s: 1/1 replicas ready; 1/1 updated, 1 old replica\\(s\\) not replaced yet; pod istiod-roll-[a-z0-9-]+: PodScheduled=False: 0/1 nodes are available.* \\(already applied \\d+ object\\(s\\): .*Pilot (\\d+)/\\1 applied\\)`,
      ),
    );
    expect(run.stderr).not.toContain('Upgraded');
    await mesh(['uninstall', '-y', '-r', 'roll']);
  });
});

describe('interrupted while applying', () => {
  it('Ctrl+C while install waits: it stops writing, says what was applied, releases the lock (exit 1)', async () => {
    const ns = uniqueName('mesh-interrupted');
    const term = runMeshInPty([
      'install',
      '-y',
      '--kubeconfig',
      tb.kubeconfig,
      ...inputs(ns, 'stop'),
      '--readiness-timeout',
      '60s',
      ...UNSCHEDULABLE,
    ]);
    await term.waitFor('Pilot: waiting for');
    term.type('\x03');
    const { code, screen } = await term.done;
    // Before: Ctrl+C did nothing under the spinner (ora held the terminal in raw mode without reading
    // it); mesh waited out the readiness timeout. Killed by the signal, it said nothing of what it applied.
    expect(code, screen).toBe(1);
    expect(screen).toMatch(
      /Error: interrupted \(Ctrl\+C\) while applying \(already applied \d+ object\(s\): CRDs and namespace \d+\/\d+ ready, Base \d+\/\d+ ready, Pilot (\d+)\/\1 applied\)/,
    );
    expect(screen).toContain('Applied before the failure:');
    expect(screen).toContain(`- Deployment/${ns}/istiod-stop`);
    // The lock went with it: the next run goes ahead.
    await expectLockReleased();
    expect((await install(ns, '-r', 'stop')).code).toBe(0);
    await mesh(['uninstall', '-y', '-r', 'stop']);
  });
});

describe('interrupted while uninstalling', () => {
  it('Ctrl+C while uninstall waits for the deleted objects: what is still terminating is named, the lock released (exit 1)', async () => {
    const ns = uniqueName('mesh-unint');
    expect((await install(ns, '-r', 'unint')).code).toBe(0);
    // a finalizer nobody removes holds one of the deleted objects in Terminating: uninstall waits for it
    const held = { name: 'istio-unint', namespace: ns };
    await c.core.patchNamespacedConfigMap(
      { ...held, body: [{ op: 'add', path: '/metadata/finalizers', value: [HOLD] }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const term = runMeshInPty([
      'uninstall',
      '-y',
      '-r',
      'unint',
      '--kubeconfig',
      tb.kubeconfig,
      '--wait',
      '60s',
    ]);
    await term.waitFor('to be gone');
    term.type('\x03');
    const { code, screen } = await term.done;
    // Before: killed by the signal (exit 130) with the spinner's line as the last word: nothing said that
    // every object had been deleted, nor what was left.
    expect(code, screen).toBe(1);
    expect(screen).toMatch(
      new RegExp(
        `Error: interrupted \\(Ctrl\\+C\\) while waiting until the (\\d+) deleted object\\(s\\) are gone: all \\1 object\\(s\\) were deleted, 1 still terminating: ConfigMap/${ns}/istio-unint`,
      ),
    );
    await expectLockReleased();
    await c.core.patchNamespacedConfigMap(
      { ...held, body: [{ op: 'remove', path: '/metadata/finalizers' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  });
});

describe('half of an install already gone', () => {
  it('check names a deleted istiod as missing next to the rest of its install; uninstall removes what is left (exit 0)', async () => {
    const ns = uniqueName('mesh-half');
    expect((await install(ns, '-r', 'half')).code).toBe(0);
    await c.apps.deleteNamespacedDeployment({ name: 'istiod-half', namespace: ns });
    await c.core.deleteNamespacedConfigMap({ name: 'istio-sidecar-injector-half', namespace: ns });
    await eventually('istiod-half to be gone', () =>
      c.apps.readNamespacedDeployment({ name: 'istiod-half', namespace: ns }).then(
        () => undefined,
        () => true,
      ),
    );
    const run = await mesh(['check', '--skip-proxies', ...inputs(ns, 'half'), '-o', 'json']);
    const results = JSON.parse(run.stdout).results.map((r: any) => `${r.status} ${r.message}`);
    // Before: only the webhooks' "no ready endpoints", or, with no other Deployment of mesh's left,
    // "no control plane installed by mesh in this cluster".
    expect(results).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^fail Deployment/${ns}/istiod-half is missing, while \\d+ other object\\(s\\) mesh installed with it are there$`,
        ),
      ),
    );
    expect(results).not.toContain('fail no control plane installed by mesh in this cluster');
    expect(run.code).toBe(79);
    const un = await mesh(['uninstall', '-y', '-r', 'half']);
    expect(un.code, un.stderr).toBe(0);
    expect(un.stderr).toMatch(/✔ Removed \d+ object\(s\) of revision half\./);
    await expect(c.core.readNamespacedConfigMap({ name: 'istio-half', namespace: ns })).rejects.toThrow();
  });
});

describe("objects that carry mesh's labels but are not mesh's", () => {
  it("a user's copy of mesh's ConfigMap, labels and all, is neither pruned by install nor deleted by uninstall; both say so", async () => {
    const ns = uniqueName('mesh-copied');
    expect((await install(ns, '-r', 'copied')).code).toBe(0);
    const original = await c.core.readNamespacedConfigMap({ name: 'istio-copied', namespace: ns });
    // What `kubectl get cm -o yaml`, a new name and `kubectl apply` give: the same labels, another writer.
    await apply(c.objects, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'my-mesh-config', namespace: ns, labels: original.metadata!.labels },
      data: original.data,
    } as any);
    const ref = `ConfigMap/${ns}/my-mesh-config`;
    const stillThere = () =>
      c.core.readNamespacedConfigMap({ name: 'my-mesh-config', namespace: ns }).then(
        () => true,
        () => false,
      );

    const plan = await mesh(['manifest', 'diff', ...inputs(ns, 'copied')]);
    expect(plan.stdout).not.toContain(`- ${ref}`);
    expect(plan.stdout).toContain(`  ${ref} (written by mesh-e2e)`);
    expect(plan.code, plan.stdout).toBe(0);
    // Before: the plan listed it as "- ConfigMap/…/my-mesh-config" and install -y deleted it.
    const run = await install(ns, '-r', 'copied');
    expect(run.code, run.stderr).toBe(0);
    expect(await stillThere()).toBe(true);

    const un = await mesh(['uninstall', '-y', '-r', 'copied']);
    expect(un.code, un.stderr).toBe(0);
    expect(un.stderr).toContain(
      `Left alone: 1 object(s) carry mesh's labels but mesh never applied them:\n  ${ref} (written by mesh-e2e)`,
    );
    expect(un.stderr).not.toContain(`- ${ref}`);
    expect(await stillThere()).toBe(true);
    await expect(c.core.readNamespacedConfigMap({ name: 'istio-copied', namespace: ns })).rejects.toThrow();
  });
});

describe('objects replaced between the list and the delete', () => {
  it('uninstall leaves alone an object deleted and created again by someone else while the prompt waited, and says so', async () => {
    const ns = uniqueName('mesh-replaced');
    expect((await install(ns, '-r', 'swap')).code).toBe(0);
    const term = runMeshInPty(['uninstall', '-r', 'swap', '--kubeconfig', tb.kubeconfig]);
    await term.waitFor('[y/N]');
    // While the user reads the list: another tool deletes mesh's ConfigMap and writes its own of that name.
    await c.core.deleteNamespacedConfigMap({ name: 'istio-swap', namespace: ns });
    await c.core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'istio-swap' }, data: { owner: 'someone else' } },
    });
    term.type('y\r');
    const { code, screen } = await term.done;
    expect(code, screen).toBe(0);
    // Before: the delete went by name, and the new ConfigMap was deleted with the rest.
    expect(screen).toContain(
      'Left alone: 1 object(s) were replaced by a new object of the same name since mesh listed them',
    );
    expect(screen).toContain(`  ConfigMap/${ns}/istio-swap`);
    const kept = await c.core.readNamespacedConfigMap({ name: 'istio-swap', namespace: ns });
    expect(kept.data).toEqual({ owner: 'someone else' });
    await expect(c.apps.readNamespacedDeployment({ name: 'istiod-swap', namespace: ns })).rejects.toThrow();
  });
});

describe('objects edited between the plan and the apply', () => {
  it("a user's edit made while the prompt waited is not overwritten: install stops naming the object and the other manager (exit 1)", async () => {
    const ns = uniqueName('mesh-edited');
    expect((await install(ns, '-r', 'edit')).code).toBe(0);
    const term = runMeshInPty([
      'install',
      '--kubeconfig',
      tb.kubeconfig,
      ...inputs(ns, 'edit'),
      '--set',
      'meshConfig.accessLogFile=/dev/stdout',
    ]);
    await term.waitFor('[y/N]');
    // The plan was computed; now someone edits the mesh config by hand (an update, as kubectl edit does).
    await c.core.patchNamespacedConfigMap(
      {
        name: 'istio-edit',
        namespace: ns,
        fieldManager: 'kubectl-edit',
        body: { data: { mesh: 'accessLogFile: /var/log/by-hand\n' } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    term.type('y\r');
    const { code, screen } = await term.done;
    expect(code, screen).toBe(1);
    expect(screen).toMatch(
      new RegExp(
        `Error: ConfigMap/${ns}/istio-edit: Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: \\.data\\.mesh \\(already applied`,
      ),
    );
    expect(screen).toContain('--force');
    const cm = await c.core.readNamespacedConfigMap({ name: 'istio-edit', namespace: ns });
    expect(cm.data?.mesh).toBe('accessLogFile: /var/log/by-hand\n');
  });
});

describe("a port of mesh's renumbered by hand", () => {
  it("install refuses naming the port and who changed it (exit 1, the edit kept), precheck says so, and install --force restores mesh's port on the same Service", async () => {
    const ns = uniqueName('mesh-port');
    const name = 'istiod-port';
    expect((await install(ns, '-r', 'port')).code).toBe(0);
    const before = await c.core.readNamespacedService({ name, namespace: ns });
    const dns = before.spec!.ports!.findIndex((p) => p.name === 'https-dns');
    // as `kubectl patch --type=json`: Service ports are keyed by port and protocol, so this is another entry
    await c.core.patchNamespacedService(
      {
        name,
        namespace: ns,
        fieldManager: 'kubectl-patch',
        body: [{ op: 'replace', path: `/spec/ports/${dns}/port`, value: 15013 }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    const taken = `name "https-dns" of .spec.ports is taken by port 15013/TCP, written by "kubectl-patch"; mesh gives it to port 15012/TCP (--force removes port 15013/TCP)`;

    // Before: plan, install and install --force all ended with the server's
    // `Service "istiod-port" is invalid: spec.ports[…].name: Duplicate value: "https-dns"`.
    const refused = await install(ns, '-r', 'port');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `Error: Service/${ns}/${name}: conflict: ${taken}\nHint: re-run with --force to take over the fields (nothing was changed)\n`,
    );
    const kept = await c.core.readNamespacedService({ name, namespace: ns });
    expect(kept.spec!.ports!.find((p) => p.name === 'https-dns')?.port).toBe(15013);

    const dry = await mesh(['install', '--dry-run', ...inputs(ns, 'port')]);
    expect(dry.code).toBe(79);
    expect(dry.stdout).toContain(`! Service/${ns}/${name}: conflict: ${taken}\n`);
    const pre = await mesh(['precheck', ...inputs(ns, 'port'), '-o', 'json']);
    expectFail(
      pre,
      'Install plan',
      new RegExp(
        `^install would refuse: 1 object\\(s\\) have fields other field managers own \\(a conflict\\): Service/${ns}/${name}$`,
      ),
    );
    expect(JSON.parse(pre.stdout).results).toContainEqual(
      expect.objectContaining({
        group: 'Install plan',
        hint: expect.stringContaining('install --force takes over'),
      }),
    );
    const forcedDry = await mesh(['install', '--dry-run', '--force', ...inputs(ns, 'port')]);
    expect(forcedDry.code, forcedDry.stderr).toBe(0);
    expect(forcedDry.stdout).toContain(
      `~ Service/${ns}/${name}\n    spec.ports[name:https-dns].port: 15013 → 15012\nPlan: 0 to create, 1 to change,`,
    );
    const forcedPre = await mesh(['precheck', ...inputs(ns, 'port'), '--force', '-o', 'json']);
    expect(JSON.parse(forcedPre.stdout).results).toContainEqual(
      expect.objectContaining({
        group: 'Install plan',
        status: 'ok',
        message: expect.stringMatching(/^install --force would apply its plan: 0 to create, 1 to change,/),
      }),
    );

    const forced = await install(ns, '-r', 'port', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    const after = await c.core.readNamespacedService({ name, namespace: ns });
    expect(after.spec!.ports).toEqual(before.spec!.ports);
    expect(after.spec!.clusterIP).toBe(before.spec!.clusterIP);
    expect(after.metadata!.uid).toBe(before.metadata!.uid);
    expect(after.metadata!.managedFields!.map((f) => `${f.manager}/${f.operation}`)).toEqual(['mesh/Apply']);
    const again = await mesh(['install', '--dry-run', ...inputs(ns, 'port')]);
    expect(again.stdout).toMatch(/^Plan: 0 to create, 0 to change, 0 to prune, \d+ unchanged\.$/m);
  });
});

describe('two mesh runs at once', () => {
  it('a second install while one is applying is refused before changing anything, naming the first; the lock goes with the first', async () => {
    const first = uniqueName('mesh-first');
    const second = uniqueName('mesh-second');
    let during: Promise<Awaited<ReturnType<typeof mesh>>> | undefined;
    // The first waits for an istiod that cannot be scheduled; the second starts meanwhile.
    const run = await mesh(
      ['install', '-y', ...inputs(first, 'first'), '--readiness-timeout', '8s', ...UNSCHEDULABLE],
      (soFar) => {
        if (!during && soFar.includes('Pilot: waiting for')) during = install(second, '-r', 'second');
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Deployment/${first}/istiod-first is not ready after 8s`);
    const refused = await during!;
    // Before: both applied at once, each reporting its own inputs as installed.
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `Error: another mesh run is changing this cluster: \\S+@\\S+ pid \\d+: install of revision first in ${first} \\(since [^)]+\\); nothing was changed\n`,
      ),
    );
    expect(refused.stderr).toContain('Lease kube-system/mesh-install');
    await expect(
      c.core.readNamespacedConfigMap({ name: 'istio-second', namespace: second }),
    ).rejects.toThrow();
    // The first released the lock when it ended: the second now goes through.
    const again = await install(second, '-r', 'second');
    expect(again.code, again.stderr).toBe(0);
    await mesh(['uninstall', '-y', '-r', 'second']);
    await mesh(['uninstall', '-y', '-r', 'first']);
  });
});

describe('a CRD being deleted', () => {
  // Last in this file: the CRD goes for good.
  it('precheck and check give × and install refuses before changing anything while a custom resource holds the CRD', async () => {
    const ns = uniqueName('mesh-crd-going');
    expect((await install(ns, '-r', 'crd')).code).toBe(0);
    const vs = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'held', namespace: ns, finalizers: [HOLD] },
      spec: { hosts: ['web'] },
    };
    await apply(c.objects, vs as any);
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'virtualservices.networking.istio.io' },
    };
    await c.objects.delete(crd as any);
    try {
      const pre = await mesh(['precheck', '--set', `namespace=${ns}`, '-o', 'json']);
      expectFail(
        pre,
        'CRDs',
        /^virtualservices\.networking\.istio\.io is being deleted \(since [^)]*\): install cannot apply it until it is gone$/,
      );
      const check = await mesh(['check', '--skip-proxies', '--set', `namespace=${ns}`, '-o', 'json']);
      expect(JSON.parse(check.stdout).results).toContainEqual(
        expect.objectContaining({
          group: 'CRDs',
          status: 'fail',
          message: expect.stringMatching(/^virtualservices\.networking\.istio\.io is being deleted \(since /),
        }),
      );
      expect(check.code).toBe(79);
      const run = await install(ns, '-r', 'crd');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        'Error: CustomResourceDefinition/virtualservices.networking.istio.io is being deleted (since ',
      );
      expect(run.stderr).toContain('nothing was changed');
    } finally {
      await c.objects.patch(
        { ...vs, metadata: { ...vs.metadata, finalizers: null } } as any,
        undefined,
        undefined,
        undefined,
        undefined,
        'application/merge-patch+json' as any,
      );
    }
  });
});
