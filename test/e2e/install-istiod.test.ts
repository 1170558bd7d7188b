// The real istiod (the testbed's pilot-discovery) runs on what `mesh install` put into the cluster: it
// reads the mesh config and injector ConfigMaps mesh created, and its injection webhook, called directly
// on loopback, patches a pod with mesh's template — the same containers `mesh kube-inject` adds.
// istiod only starts its injector when the injector ConfigMap exists at start-up, so it is started here,
// after the install (with the same loopback-only listeners the testbed gives it).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runMesh } from './support/mesh-cli.js';
import { eventually } from './support/kube.js';
import { freePort, startTestbed, testbedBinDir, type Testbed } from './support/testbed.js';

const NS = 'istio-system';

const mesh = (args: string[], input?: string) => runMesh(args, input === undefined ? {} : { input });

let tb: Testbed;
let istiod: ChildProcess;
const port: Record<string, number> = {};

/** POST an AdmissionReview to istiod's webhook server (self-signed certificate, loopback). */
function postInject(review: unknown): Promise<any> {
  const body = JSON.stringify(review);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: port.webhook,
        path: '/inject',
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(JSON.parse(text))
            : reject(new Error(`${res.statusCode}: ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Applies an RFC 6902 patch (add/replace/remove, as istiod emits) to a copy of `doc`. */
function applyPatch(doc: any, ops: Array<{ op: string; path: string; value?: unknown }>): any {
  const out = structuredClone(doc);
  for (const op of ops) {
    const keys = op.path
      .split('/')
      .slice(1)
      .map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = keys.pop()!;
    let parent = out;
    for (const k of keys) parent = parent[k];
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op.op === 'add') parent.splice(i, 0, op.value);
      else if (op.op === 'replace') parent[i] = op.value;
      else parent.splice(i, 1);
    } else if (op.op === 'remove') delete parent[last];
    else parent[last] = op.value;
  }
  return out;
}

/** `object` (a Pod in namespace shop) as istiod's /inject patches it, admitted. */
async function istiodInjects(object: any): Promise<any> {
  const review = await postInject({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `e2e-${object.metadata.name}-${Date.now()}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'shop',
      operation: 'CREATE',
      object,
    },
  });
  expect(review.response.allowed).toBe(true);
  return applyPatch(object, JSON.parse(Buffer.from(review.response.patch, 'base64').toString('utf8')));
}

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
};

beforeAll(async () => {
  tb = await startTestbed({ controllerManager: true, nodes: true });
  const run = await mesh([
    'install',
    '-y',
    '--kubeconfig',
    tb.kubeconfig,
    '--set',
    'profile=minimal',
    '--set',
    'meshConfig.accessLogFile=/dev/stdout',
  ]);
  expect(run.code, run.stderr).toBe(0);
  for (const name of ['http', 'grpc', 'secureGrpc', 'monitoring', 'webhook', 'ctrlz'])
    port[name] = await freePort();
  istiod = spawn(
    join(testbedBinDir(), 'pilot-discovery'),
    [
      'discovery',
      `--kubeconfig=${tb.kubeconfig}`,
      `--httpAddr=127.0.0.1:${port.http}`,
      `--grpcAddr=127.0.0.1:${port.grpc}`,
      `--secureGRPCAddr=127.0.0.1:${port.secureGrpc}`,
      `--monitoringAddr=127.0.0.1:${port.monitoring}`,
      `--httpsAddr=127.0.0.1:${port.webhook}`,
      '--ctrlz_address=127.0.0.1',
      `--ctrlz_port=${port.ctrlz}`,
      '--log_output_level=default:warn',
    ],
    {
      env: { ...process.env, POD_NAMESPACE: NS, POD_NAME: 'istiod-e2e', REVISION: 'default' },
      stdio: 'ignore',
    },
  );
  await eventually(
    'istiod ready',
    async () =>
      (await fetch(`http://127.0.0.1:${port.http}/ready`).catch(() => undefined))?.status === 200
        ? true
        : undefined,
    90_000,
  );
}, 240_000);

afterAll(async () => {
  if (istiod && istiod.exitCode === null) {
    const exited = new Promise((r) => istiod.once('exit', r));
    istiod.kill('SIGTERM');
    await exited;
  }
  await tb?.stop();
});

describe('istiod on the ConfigMaps mesh installed', () => {
  it('serves the mesh config from ConfigMap istio (its debug endpoint shows our settings)', async () => {
    const meshConfig = await (await fetch(`http://127.0.0.1:${port.http}/debug/mesh`)).json();
    expect(meshConfig).toMatchObject({
      accessLogFile: '/dev/stdout',
      rootNamespace: NS,
      defaultConfig: { discoveryAddress: 'istiod.istio-system.svc:15012' },
    });
  });

  it("its /inject patches a pod with mesh's template, and mesh kube-inject adds the same containers", async () => {
    const patched = await istiodInjects(pod);
    const offline = await mesh(['kube-inject', '-f', '-', '--set', 'profile=minimal'], stringify(pod));
    expect(offline.code, offline.stderr).toBe(0);
    const injected = parse(offline.stdout);
    const shape = (p: any) => ({
      initContainers: (p.spec.initContainers ?? []).map((x: any) => ({
        name: x.name,
        image: x.image,
        args: x.args,
      })),
      containers: p.spec.containers.map((x: any) => ({
        name: x.name,
        image: x.image,
        args: x.args,
        ports: x.ports,
        volumeMounts: x.volumeMounts,
      })),
      volumes: (p.spec.volumes ?? []).map((v: any) => v.name),
    });
    expect(shape(patched)).toEqual(shape(injected));
    expect(shape(patched).containers.map((x: any) => x.name)).toEqual(['web', 'istio-proxy']);
    expect(patched.spec.containers[1].image).toBe('docker.io/istio/proxyv2:1.30.0');
  });

  it("reads a pod's proxy.istio.io/config as mesh kube-inject does for the proxy's place; the metrics port as documented", async () => {
    // the proxy goes first: istiod's patch turns containers[0] into it field by field, assuming the
    // `resources: {}` its Go types give every container
    const annotated = {
      ...pod,
      metadata: {
        ...pod.metadata,
        annotations: {
          'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts": true, "statusPort": 15030}',
        },
      },
      spec: { containers: [{ ...pod.spec.containers[0], resources: {} }] },
    };
    const patched = await istiodInjects(annotated);
    const offline = await mesh(['kube-inject', '-f', '-', '--set', 'profile=minimal'], stringify(annotated));
    expect(offline.code, offline.stderr).toBe(0);
    const injected = parse(offline.stdout);
    const names = (p: any) => p.spec.containers.map((x: any) => x.name);
    expect(names(patched)).toEqual(['istio-proxy', 'web']);
    expect(names(injected)).toEqual(names(patched));
    // a documented difference: istiod points metrics at the mesh config's status port, istioctl (and mesh)
    // at the annotation's, where the pod's agent listens
    const metrics = (p: any) => p.metadata.annotations['prometheus.io/port'];
    expect(metrics(patched)).toBe('15020');
    expect(metrics(injected)).toBe('15030');
  });
});
