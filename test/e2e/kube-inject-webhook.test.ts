// `mesh kube-inject --webhookConfig` against the cluster's own sidecar injector, as `istioctl kube-inject`
// injects by default: the testbed's real istiod serves `/inject` (its injector ConfigMap, istioctl's own
// default-profile render, exists when it starts) and writes its CA into the MutatingWebhookConfiguration
// `istioctl manifest generate` renders; the Service `istiod` sends 443 to 15017 of a kwok pod, which kwok
// relays to the real istiod's webhook port. mesh and the testbed's istioctl each find that webhook, port-
// forward through the real API server to the pod and POST AdmissionReviews; istioctl's output is the oracle.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdmissionregistrationV1Api,
  type V1ConfigMap,
  type V1MutatingWebhookConfiguration,
  type V1Service,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { clientsFor, eventually, type Clients } from './support/kube.js';
import { runMesh, type MeshRun } from './support/mesh-cli.js';
import { createSidecarPods } from './support/sidecars.js';
import { ISTIO_NAMESPACE, startTestbed, testbedBinDir, type Testbed } from './support/testbed.js';

const DEPLOYMENTS = 'examples/bookinfo/20-deployments.yaml';
const ISTIOD_POD = 'istiod-6c9f7d8b5-q4lzx';
const WEBHOOK_PORT = 15017;
const binDir = testbedBinDir();
const istioctlBin = join(binDir, 'istioctl');

let testbed: Testbed;
let c: Clients;
let dir: string;

/** What `istioctl install` (default profile) creates that the injector webhook needs, from istioctl's own render. */
function istioctlInstallObjects() {
  const r = spawnSync(istioctlBin, ['manifest', 'generate'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`istioctl manifest generate: exit ${r.status}: ${r.stderr}`);
  const docs = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null)
    .filter((o) => o?.kind);
  const find = <T>(kind: string, name: string): T => {
    const o = docs.find((d) => d!.kind === kind && d!.metadata!.name === name);
    if (!o) throw new Error(`istioctl manifest generate rendered no ${kind} ${name}`);
    return o as T;
  };
  return {
    configMaps: [
      find<V1ConfigMap>('ConfigMap', 'istio'),
      find<V1ConfigMap>('ConfigMap', 'istio-sidecar-injector'),
    ],
    service: find<V1Service>('Service', 'istiod'),
    webhook: find<V1MutatingWebhookConfiguration>('MutatingWebhookConfiguration', 'istio-sidecar-injector'),
  };
}

/** Runs the testbed's istioctl without blocking the event loop (kwok and the API server relay its port-forward). */
function istioctl(args: string[]): Promise<MeshRun> {
  return new Promise((resolve) => {
    const child = spawn(istioctlBin, [...args, '--kubeconfig', testbed.kubeconfig], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** One of istiod's Prometheus counters (the injection webhook counts its requests). */
async function istiodCounter(name: string): Promise<number> {
  const text = await (await fetch(`${testbed.istiod!.monitoringUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const mwcApi = () => c.kc.makeApiClient(AdmissionregistrationV1Api);

type Obj = Record<string, any>;
const docsOf = (yaml: string): Obj[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);

/**
 * istioctl's output for `source` without the fields Go's YAML serialization of empty structs and nil
 * times adds, and nothing else: `metadata.creationTimestamp: null`, `spec.template.metadata.
 * creationTimestamp: null`, `status: {}`, `spec.strategy: {}`, and `resources: {}` on a container the
 * source has without `resources`. Each goes only when it has exactly that empty value and is not in the
 * source; the webhook patches only the pod, and everything it adds (its containers' resources, the
 * `emptyDir: {}` of its volumes) stays and is compared.
 */
function withoutGoArtefacts(workload: Obj, source: Obj): Obj {
  const o = structuredClone(workload);
  const isEmpty = (v: unknown) => v !== null && typeof v === 'object' && Object.keys(v).length === 0;
  if (o.metadata?.creationTimestamp === null && !('creationTimestamp' in source.metadata))
    delete o.metadata.creationTimestamp;
  if (isEmpty(o.status) && !('status' in source)) delete o.status;
  if (isEmpty(o.spec?.strategy) && !('strategy' in source.spec)) delete o.spec.strategy;
  const template = o.spec?.template;
  if (!template) return o;
  if (
    template.metadata?.creationTimestamp === null &&
    !('creationTimestamp' in source.spec.template.metadata)
  )
    delete template.metadata.creationTimestamp;
  const containers = (pod: Obj): Obj[] => [
    ...(pod.spec.initContainers ?? []),
    ...(pod.spec.containers ?? []),
  ];
  const bare = new Set(
    containers(source.spec.template)
      .filter((x) => !('resources' in x))
      .map((x) => x.name),
  );
  for (const container of containers(template))
    if (bare.has(container.name) && isEmpty(container.resources)) delete container.resources;
  return o;
}

const kube = () => ['--kubeconfig', testbed.kubeconfig];

async function meshOk(args: string[]): Promise<string> {
  const r = await runMesh(args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function istioctlOk(file: string): Promise<string> {
  const r = await istioctl(['kube-inject', '-f', file]);
  expect(r.code, r.stderr).toBe(0);
  // istioctl falls back to the injector ConfigMap (with this warning) when it finds no webhook to ask
  expect(r.stderr).not.toContain('fall back');
  return r.stdout;
}

/** mesh's result for `file` is what the webhook gave istioctl, workload by workload, in the same order. */
function expectSameAsIstioctl(file: string, mesh: string, oracle: string): Obj[] {
  const source = docsOf(readFileSync(file, 'utf8'));
  const ours = docsOf(mesh);
  const theirs = docsOf(oracle);
  const names = (docs: Obj[]) => docs.map((d) => `${d.kind}/${d.metadata.name}`);
  expect(names(ours)).toEqual(names(source));
  expect(names(theirs)).toEqual(names(source));
  for (const [i, doc] of ours.entries())
    if (doc.spec?.template) expect(doc).toEqual(withoutGoArtefacts(theirs[i]!, source[i]!));
  return ours;
}

describe('mesh kube-inject --webhookConfig: the cluster’s own injector webhook (real istiod)', () => {
  beforeAll(async () => {
    const install = istioctlInstallObjects();
    testbed = await startTestbed({
      istiod: true,
      nodes: true,
      // a name its webhook certificate also holds, for a webhook configured by URL (127.0.0.1 it has not)
      istiodEnv: { ISTIOD_CUSTOM_HOST: 'localhost' },
      // istiod serves /inject only when its injector ConfigMap exists as it starts
      beforeIstiod: async (kubeconfig) => {
        const k = clientsFor(kubeconfig);
        for (const body of install.configMaps)
          await k.core.createNamespacedConfigMap({ namespace: ISTIO_NAMESPACE, body });
        await k.core.createNamespacedService({ namespace: ISTIO_NAMESPACE, body: install.service });
        await k.kc
          .makeApiClient(AdmissionregistrationV1Api)
          .createMutatingWebhookConfiguration({ body: install.webhook });
      },
    });
    c = clientsFor(testbed.kubeconfig);
    dir = mkdtempSync(join(tmpdir(), 'mesh-inject-webhook-'));
    const webhookPort = Number(testbed.istiod!.webhookAddress.split(':')[1]);
    // the istiod Deployment's pod, as the Service selects it: its 15017 is the real istiod's webhook port
    await createSidecarPods(
      c,
      ISTIO_NAMESPACE,
      [
        {
          name: ISTIOD_POD,
          app: 'istiod',
          labels: { istio: 'pilot' },
          forwards: { [WEBHOOK_PORT]: webhookPort },
        },
      ],
      { createNamespace: false },
    );
    const selector = install.service.spec!.selector!;
    const pod = await c.core.readNamespacedPod({ name: ISTIOD_POD, namespace: ISTIO_NAMESPACE });
    for (const [k, v] of Object.entries(selector)) expect(pod.metadata!.labels![k]).toBe(v);
    expect(install.service.spec!.ports!.find((p) => p.port === 443)!.targetPort).toBe(WEBHOOK_PORT);
  });

  afterAll(async () => {
    await testbed?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('istiod writes its CA into every sidecar-injector webhook, and its webhook port serves that CA’s certificate for istiod.istio-system.svc', async () => {
    const mwc = await eventually(
      'istiod to patch the caBundle',
      async () => {
        const m = await mwcApi().readMutatingWebhookConfiguration({ name: 'istio-sidecar-injector' });
        return m.webhooks!.every((w) => w.clientConfig.caBundle) ? m : undefined;
      },
      60_000,
    );
    const bundles = new Set(mwc.webhooks!.map((w) => w.clientConfig.caBundle));
    expect(bundles.size).toBe(1);
    const ca = Buffer.from([...bundles][0]!, 'base64').toString();
    expect(ca).toContain('-----BEGIN CERTIFICATE-----');
    const [host, port] = testbed.istiod!.webhookAddress.split(':');
    const verified = await new Promise<boolean>((resolve, reject) => {
      const s = connect({ host, port: Number(port), ca, servername: 'istiod.istio-system.svc' }, () => {
        resolve(s.authorized);
        s.end();
      });
      s.on('error', reject);
    });
    expect(verified).toBe(true);
  });

  it('the oracle: istioctl kube-inject asks that webhook for every bookinfo Deployment', async () => {
    const before = await istiodCounter('sidecar_injection_success_total');
    const out = await istioctlOk(DEPLOYMENTS);
    expect(await istiodCounter('sidecar_injection_success_total')).toBe(before + 6);
    for (const d of docsOf(out)) {
      const pod = d.spec.template;
      expect(pod.spec.containers.map((x: Obj) => x.name)).toContain('istio-proxy');
      expect(JSON.parse(pod.metadata.annotations['sidecar.istio.io/status']).revision).toBe('default');
    }
  });

  it('--webhookConfig without a name injects every Deployment exactly as the webhook does for istioctl', async () => {
    const before = await istiodCounter('sidecar_injection_success_total');
    const mesh = await meshOk(['kube-inject', '-f', DEPLOYMENTS, ...kube(), '--webhookConfig']);
    expect(await istiodCounter('sidecar_injection_success_total')).toBe(before + 6);
    const injected = expectSameAsIstioctl(DEPLOYMENTS, mesh, await istioctlOk(DEPLOYMENTS));
    expect(injected).toHaveLength(6);
    for (const d of injected) {
      const pod = d.spec.template;
      const status = JSON.parse(pod.metadata.annotations['sidecar.istio.io/status']);
      const names = (list?: Obj[]) => (list ?? []).map((x) => x.name);
      // what the status annotation says was injected is there
      for (const name of status.containers) expect(names(pod.spec.containers)).toContain(name);
      for (const name of status.initContainers) expect(names(pod.spec.initContainers)).toContain(name);
      for (const name of status.volumes) expect(names(pod.spec.volumes)).toContain(name);
      expect([...names(pod.spec.containers), ...names(pod.spec.initContainers)]).toContain('istio-proxy');
      expect(pod.spec.containers.map((x: Obj) => x.name)).toContain(d.metadata.labels.app);
    }
  });

  it('--webhookConfig NAME uses that configuration; Services and ConfigMaps come back byte for byte', async () => {
    const service = [
      '# the Service in front of ratings',
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: ratings',
      '  namespace: bookinfo',
      '  labels: {app: ratings, service: ratings}',
      'spec:',
      '  ports:',
      '    - port: 9080',
      '      name: "http"   # protocol by name',
      '  selector:',
      '    app: ratings',
      '',
    ].join('\n');
    const configMap = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: ratings-flags',
      '  namespace: bookinfo',
      'data:',
      '  flags: |',
      '    --verbose',
      "    --port='9080'",
      '',
    ].join('\n');
    const ratings = readFileSync(DEPLOYMENTS, 'utf8')
      .split(/^---\n/m)
      .find((d) => d.includes('name: ratings-v1'))!;
    const file = join(dir, 'mixed.yaml');
    writeFileSync(file, [service, ratings, configMap].join('---\n'));

    const mesh = await meshOk([
      'kube-inject',
      '-f',
      file,
      ...kube(),
      '--webhookConfig',
      'istio-sidecar-injector',
    ]);
    expect(mesh).toContain(service);
    expect(mesh).toContain(configMap);
    expect(mesh.indexOf(service)).toBeLessThan(mesh.indexOf('name: ratings-v1'));
    expect(mesh.indexOf('name: ratings-v1')).toBeLessThan(mesh.indexOf(configMap));
    const [, deployment] = expectSameAsIstioctl(file, mesh, await istioctlOk(file));
    expect(deployment!.spec.template.metadata.annotations['sidecar.istio.io/status']).toBeDefined();
  });

  it('a workload annotated sidecar.istio.io/inject: "false" comes back unchanged (the webhook skips it)', async () => {
    const source = readFileSync(DEPLOYMENTS, 'utf8').split(/^---\n/m)[0]!;
    const optedOut = source.replace(
      '  template:\n    metadata:\n',
      "  template:\n    metadata:\n      annotations:\n        sidecar.istio.io/inject: 'false'\n",
    );
    expect(optedOut).not.toBe(source);
    const file = join(dir, 'opted-out.yaml');
    writeFileSync(file, optedOut);
    const skipped = await istiodCounter('sidecar_injection_skip_total');
    const r = await runMesh(['kube-inject', '-f', file, ...kube(), '--webhookConfig']);
    expect(r.code).toBe(0);
    expect(await istiodCounter('sidecar_injection_skip_total')).toBe(skipped + 1);
    expect(r.stdout).toBe(optedOut);
    const oracle = await istioctl(['kube-inject', '-f', file]);
    expect(oracle.code).toBe(0);
    expect(docsOf(r.stdout)).toEqual([withoutGoArtefacts(docsOf(oracle.stdout)[0]!, docsOf(optedOut)[0]!)]);
  });

  it('a proxy the application waits for goes first and an HTTP probe is rewritten, as for istioctl', async () => {
    // istiod diffs its patch against its own encoding of the pod, list index by index: the app container
    // turns into istio-proxy field by field and comes back at index 1, and the probe's port and path change
    const source = readFileSync(DEPLOYMENTS, 'utf8').split(/^---\n/m)[0]!;
    const held = source
      .replace(
        '  template:\n    metadata:\n',
        '  template:\n    metadata:\n      annotations:\n        proxy.istio.io/config: \'{"holdApplicationUntilProxyStarts": true}\'\n',
      )
      .replace(
        '          ports:\n            - containerPort: 9080\n',
        '          ports:\n            - containerPort: 9080\n          readinessProbe:\n            httpGet: {path: /health, port: 9080}\n',
      );
    expect(held).toContain('holdApplicationUntilProxyStarts');
    expect(held).toContain('readinessProbe');
    const file = join(dir, 'held.yaml');
    writeFileSync(file, held);
    const mesh = await meshOk(['kube-inject', '-f', file, ...kube(), '--webhookConfig']);
    const [deployment] = expectSameAsIstioctl(file, mesh, await istioctlOk(file));
    const containers: Obj[] = deployment!.spec.template.spec.containers;
    expect(containers.map((x) => x.name)).toEqual(['istio-proxy', 'productpage']);
    expect(containers[1]!.readinessProbe.httpGet.port).not.toBe(9080);
    expect(containers[1]).not.toHaveProperty('resources');
  });

  it('a pod asking for a native sidecar gets istio-proxy among its init containers, as for istioctl', async () => {
    const source = readFileSync(DEPLOYMENTS, 'utf8').split(/^---\n/m)[0]!;
    const native = source.replace(
      '  template:\n    metadata:\n',
      '  template:\n    metadata:\n      annotations:\n        sidecar.istio.io/nativeSidecar: "true"\n',
    );
    expect(native).toContain('nativeSidecar');
    const file = join(dir, 'native.yaml');
    writeFileSync(file, native);
    const mesh = await meshOk(['kube-inject', '-f', file, ...kube(), '--webhookConfig']);
    const [deployment] = expectSameAsIstioctl(file, mesh, await istioctlOk(file));
    const spec = deployment!.spec.template.spec;
    expect(spec.containers.map((x: Obj) => x.name)).toEqual(['productpage']);
    const proxy = spec.initContainers.find((x: Obj) => x.name === 'istio-proxy');
    expect(proxy.restartPolicy).toBe('Always');
  });

  it('a configuration whose webhook has a clientConfig.url: mesh POSTs there, with the same result', async () => {
    const patched = await mwcApi().readMutatingWebhookConfiguration({ name: 'istio-sidecar-injector' });
    const [, port] = testbed.istiod!.webhookAddress.split(':');
    await mwcApi().createMutatingWebhookConfiguration({
      body: {
        metadata: { name: 'istiod-by-url' },
        webhooks: [
          {
            ...patched.webhooks![0]!,
            name: 'sidecar-injector.istio.io',
            clientConfig: {
              url: `https://localhost:${port}/inject`,
              caBundle: patched.webhooks![0]!.clientConfig.caBundle,
            },
          },
        ],
      },
    });
    const before = await istiodCounter('sidecar_injection_success_total');
    const mesh = await meshOk([
      'kube-inject',
      '-f',
      DEPLOYMENTS,
      ...kube(),
      '--webhookConfig',
      'istiod-by-url',
    ]);
    expect(await istiodCounter('sidecar_injection_success_total')).toBe(before + 6);
    expectSameAsIstioctl(DEPLOYMENTS, mesh, await istioctlOk(DEPLOYMENTS));
  });

  describe('errors: one line naming what failed (and a hint), exit 1, nothing on stdout', () => {
    const expectOneLineError = (r: MeshRun, ...words: (string | RegExp)[]) => {
      expect(r.stdout).toBe('');
      expect(r.code).toBe(1);
      const [error, ...rest] = r.stderr.trimEnd().split('\n');
      expect(error).toMatch(/^Error: /);
      // mesh's errors are one line, optionally followed by one `Hint:` line on what to do
      expect(rest.length <= 1 && rest.every((l) => l.startsWith('Hint: ')), r.stderr).toBe(true);
      for (const w of words) expect(error).toMatch(w);
    };

    it('no MutatingWebhookConfiguration of that name', async () => {
      const r = await runMesh(['kube-inject', '-f', DEPLOYMENTS, ...kube(), '--webhookConfig', 'no-such']);
      expectOneLineError(r, 'no-such');
    });

    it('no MutatingWebhookConfiguration labelled with the revision', async () => {
      const r = await runMesh([
        'kube-inject',
        '-f',
        DEPLOYMENTS,
        ...kube(),
        '--webhookConfig',
        '-r',
        'canary',
      ]);
      expectOneLineError(r, 'canary');
    });

    it('no running pod behind the webhook’s Service (the istiod pod gone, another still Pending)', async () => {
      await c.core.deleteNamespacedPod({
        name: ISTIOD_POD,
        namespace: ISTIO_NAMESPACE,
        gracePeriodSeconds: 0,
      });
      await createSidecarPods(
        c,
        ISTIO_NAMESPACE,
        [
          {
            name: 'istiod-6c9f7d8b5-pnd42',
            app: 'istiod',
            labels: { istio: 'pilot' },
            forwards: {},
            pending: true,
          },
        ],
        { createNamespace: false },
      );
      await eventually('the istiod pod to be gone', async () => {
        const pods = await c.core.listNamespacedPod({ namespace: ISTIO_NAMESPACE });
        return pods.items.some((p) => p.metadata!.name === ISTIOD_POD) ? undefined : true;
      });
      const r = await runMesh(['kube-inject', '-f', DEPLOYMENTS, ...kube(), '--webhookConfig']);
      expectOneLineError(r, 'istiod.istio-system', /no running pod/i);
    });
  });
});
