// `mesh kube-inject --injectConfigMapName/--meshConfigMapName` against the testbed's real API server: the
// injector and mesh config ConfigMaps mesh renders are created in a namespace of their own (with a
// `canary` revision next to the default one), read back by kube-inject, and must give exactly what the
// offline render with the same inputs gives; a changed ConfigMap changes the output, a missing one is
// one clear error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { runMesh } from './support/mesh-cli.js';
import { clientsFor, uniqueName, type Clients } from './support/kube.js';

const testbed = inject('testbed');
const NS = uniqueName('inject-cp');
const DEPLOYMENTS = 'examples/bookinfo/20-deployments.yaml';
const dir = mkdtempSync(join(tmpdir(), 'mesh-inject-e2e-'));
let c: Clients;

const kube = ['--kubeconfig', testbed.kubeconfig, '-i', NS];
const inNs = ['--set', `values.global.istioNamespace=${NS}`];

async function ok(args: string[]): Promise<string> {
  const r = await runMesh(args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** The ConfigMaps `istio[-rev]` and `istio-sidecar-injector[-rev]` of a render into NS. */
async function renderedConfigMaps(revisionArgs: string[]): Promise<V1ConfigMap[]> {
  const out = await ok(['manifest', 'generate', ...inNs, ...revisionArgs]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as V1ConfigMap & { kind: string })
    .filter((o) => o.kind === 'ConfigMap');
}

const CANARY_CONFIGMAPS = [
  '-r',
  'canary',
  '--injectConfigMapName',
  'istio-sidecar-injector',
  '--meshConfigMapName',
  'istio',
];

/** kube-inject of the bookinfo Deployments with the ConfigMaps of NS. */
const injectFromCluster = (...flags: string[]) => ok(['kube-inject', '-f', DEPLOYMENTS, ...kube, ...flags]);

const pods = (out: string) =>
  parseAllDocuments(out).map((d) => (d.toJS() as any).spec.template.spec as Record<string, any>);
const proxyOf = (pod: any) => pod.containers.find((x: any) => x.name === 'istio-proxy');
const env = (container: any) => Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));

beforeAll(async () => {
  c = clientsFor(testbed.kubeconfig);
  await c.core.createNamespace({ body: { metadata: { name: NS } } });
  for (const cm of [...(await renderedConfigMaps([])), ...(await renderedConfigMaps(['-r', 'canary']))])
    await c.core.createNamespacedConfigMap({ namespace: NS, body: cm });
});

describe('kube-inject with the ConfigMaps of a cluster', () => {
  it('--injectConfigMapName gives exactly the offline render of the same template', async () => {
    const offline = await ok(['kube-inject', '-f', DEPLOYMENTS, ...inNs]);
    const fromCluster = await injectFromCluster('--injectConfigMapName', 'istio-sidecar-injector');
    expect(fromCluster).toBe(offline);
    const proxy = proxyOf(pods(fromCluster)[0]);
    expect(env(proxy).CA_ADDR).toBe(`istiod.${NS}.svc:15012`);
    // the mesh config mesh installed agrees with its template: reading it too changes nothing
    const withMesh = await injectFromCluster(
      '--injectConfigMapName',
      'istio-sidecar-injector',
      '--meshConfigMapName',
      'istio',
    );
    expect(withMesh).toBe(offline);
  });

  it('--revision reads istio-sidecar-injector-<rev> (and istio-<rev>), as the offline render of that revision', async () => {
    const offline = await ok(['kube-inject', '-f', DEPLOYMENTS, ...inNs, '-r', 'canary']);
    const fromCluster = await injectFromCluster(...CANARY_CONFIGMAPS);
    expect(fromCluster).toBe(offline);
    const pod = parseAllDocuments(fromCluster)[0]!.toJS() as any;
    const status = JSON.parse(pod.spec.template.metadata.annotations['sidecar.istio.io/status']);
    expect(status.revision).toBe('canary');
    expect(env(proxyOf(pod.spec.template.spec)).CA_ADDR).toBe(`istiod-canary.${NS}.svc:15012`);
  });

  it('a changed mesh config ConfigMap changes the sidecar as --meshConfigFile with the same config does', async () => {
    const mesh = parse(
      (await c.core.readNamespacedConfigMap({ name: 'istio-canary', namespace: NS })).data!.mesh!,
    );
    mesh.defaultConfig.holdApplicationUntilProxyStarts = true;
    mesh.defaultConfig.proxyMetadata = { ISTIO_META_DNS_CAPTURE: 'true' };
    await c.core.patchNamespacedConfigMap({
      name: 'istio-canary',
      namespace: NS,
      body: [{ op: 'replace', path: '/data/mesh', value: stringify(mesh) }],
    });
    const fromCluster = await injectFromCluster(...CANARY_CONFIGMAPS);
    const [pod] = pods(fromCluster);
    expect(pod!.containers.map((x: any) => x.name)).toEqual(['istio-proxy', 'productpage']);
    expect(proxyOf(pod).lifecycle.postStart.exec.command).toEqual(['pilot-agent', 'wait']);
    expect(env(proxyOf(pod)).ISTIO_META_DNS_CAPTURE).toBe('true');
    expect(JSON.parse(env(proxyOf(pod)).PROXY_CONFIG).holdApplicationUntilProxyStarts).toBe(true);
    const meshFile = join(dir, 'mesh.yaml');
    writeFileSync(meshFile, stringify(mesh));
    const fromFile = await injectFromCluster(
      '-r',
      'canary',
      '--injectConfigMapName',
      'istio-sidecar-injector',
      '--meshConfigFile',
      meshFile,
    );
    expect(fromFile).toBe(fromCluster);
  });

  it('a changed injector ConfigMap changes the injected containers', async () => {
    const name = 'istio-sidecar-injector';
    const cm = await c.core.readNamespacedConfigMap({ name, namespace: NS });
    const config = parse(cm.data!.config!);
    config.templates.sidecar = config.templates.sidecar.replaceAll(
      'docker.io/istio/proxyv2:1.30.0',
      'registry.example/proxyv2:9.9.9',
    );
    await c.core.patchNamespacedConfigMap({
      name,
      namespace: NS,
      body: [{ op: 'replace', path: '/data/config', value: stringify(config) }],
    });
    const out = await injectFromCluster('--injectConfigMapName', name);
    for (const pod of pods(out)) {
      expect(proxyOf(pod).image).toBe('registry.example/proxyv2:9.9.9');
      expect(pod.initContainers[0].image).toBe('registry.example/proxyv2:9.9.9');
    }
  });

  it('a missing ConfigMap is one clear error naming it and the namespace, exit 1, nothing on stdout', async () => {
    for (const [flags, name] of [
      [['--injectConfigMapName', 'no-such-injector'], 'no-such-injector'],
      [['--injectConfigMapName', 'istio-sidecar-injector', '-r', 'ghost'], 'istio-sidecar-injector-ghost'],
      [['--injectConfigMapName', 'istio-sidecar-injector', '--meshConfigMapName', 'no-mesh'], 'no-mesh'],
    ] as const) {
      const r = await runMesh(['kube-inject', '-f', DEPLOYMENTS, ...kube, ...flags]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]).toBe(`Error: ConfigMap "${name}" not found in namespace "${NS}"`);
    }
  });

  it('a user without RBAC for ConfigMaps gets the server reason and an RBAC hint, exit 1', async () => {
    const r = await runMesh([
      'kube-inject',
      '-f',
      DEPLOYMENTS,
      '--kubeconfig',
      testbed.restrictedKubeconfig,
      '-i',
      NS,
      '--injectConfigMapName',
      'istio-sidecar-injector',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('forbidden');
    expect(r.stderr).toContain('lacks the RBAC permission');
  });
});
