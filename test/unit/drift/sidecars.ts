/**
 * Sidecar config dumps for the drift tests: test/fixtures/drift/sidecar.json is an Istio 1.22-style
 * sidecar dump (synthetic: outbound 0.0.0.0_8080 with RDS, virtualOutbound, virtualInbound with mTLS and
 * plaintext chains, a listener per endpoint of a headless TCP Service (cassandra, 10.244.1.5/2.7/3.9),
 * eight clusters, one route, a ROOTCA secret). `replica` gives each replica its own bootstrap (node id,
 * INSTANCE_IPS), the mutations what differs between replicas; `driftInCluster` runs drift against a
 * fake cluster serving them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli.js';
import { startEnvoyAdmin, type AdminServer, type Fault } from '../../support/envoy-admin-server.js';
import { fakePod, startFakeKube } from '../../support/port-forward-server.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/drift');
const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
const BASE = readFileSync(join(FIXTURES, 'sidecar.json'), 'utf8');
export const ROOT2 = readFileSync(join(FIXTURES, 'root2.pem'), 'utf8');
/** The IPs the fixture has listeners for (a headless Service's endpoints, port 9042). */
export const CASSANDRA = ['10.244.1.5', '10.244.2.7', '10.244.3.9'];

export const section = (d: any, name: string) => d.configs.find((c: any) => c['@type'] === ADMIN + name);
export const dynamicListeners = (d: any): any[] => section(d, 'ListenersConfigDump').dynamic_listeners;
export const dynamicClusters = (d: any): any[] => section(d, 'ClustersConfigDump').dynamic_active_clusters;
export const listener = (d: any, name: string) =>
  dynamicListeners(d).find((l: any) => l.name === name).active_state.listener;
/** The HTTP filters of virtualInbound's mTLS chain: metadata_exchange, rbac, fault, stats, router. */
export const inboundHttpFilters = (d: any): any[] =>
  listener(d, 'virtualInbound').filter_chains[0].filters[1].typed_config.http_filters;

/** The dump of pod `pod` (IP `ip`): its bootstrap names them, as Envoy's does. */
export function replica(pod: string, ip: string, ns = 'shop'): any {
  const d = JSON.parse(BASE);
  const node = section(d, 'BootstrapConfigDump').bootstrap.node;
  node.id = `sidecar~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`;
  Object.assign(node.metadata, { INSTANCE_IPS: ip, POD_NAME: pod, NAME: pod, NAMESPACE: ns });
  return d;
}

/** Listeners and clusters in another order (a replica that restarted later lists them so). */
export function reordered(d: any, listeners: number[], rotateClusters = 0): any {
  const ls = dynamicListeners(d);
  section(d, 'ListenersConfigDump').dynamic_listeners = listeners.map((i) => ls[i]);
  const cs = dynamicClusters(d);
  section(d, 'ClustersConfigDump').dynamic_active_clusters = [
    ...cs.slice(rotateClusters),
    ...cs.slice(0, rotateClusters),
  ];
  return d;
}

/** Another weight split of route 8080 (90/10 in the fixture). */
export function weights(d: any, v1: number, v2: number): any {
  const route = section(d, 'RoutesConfigDump').dynamic_route_configs[0].route_config;
  const [a, b] = route.virtual_hosts[0].routes[0].route.weighted_clusters.clusters;
  [a.weight, b.weight] = [v1, v2];
  return d;
}

/**
 * The listeners a StatefulSet pod of the headless Service has: one per endpoint but its own (istiod
 * builds none for the proxy's own IP).
 */
export function headlessPeer(d: any, own: string): any {
  const ls = dynamicListeners(d);
  section(d, 'ListenersConfigDump').dynamic_listeners = ls.filter((l: any) => l.name !== `${own}_9042`);
  return d;
}

/** A listener bound to the pod's own IP (a Sidecar ingress listener), a copy of virtualInbound. */
export function inboundOnPodIp(d: any, ip: string): any {
  const l = structuredClone(listener(d, 'virtualInbound'));
  l.name = `${ip}_8080`;
  l.address.socket_address = { address: ip, port_value: 8080 };
  dynamicListeners(d).push({ name: l.name, active_state: { version_info: 'x', listener: l } });
  return d;
}

/** The ROOTCA secret with other root certificates. */
export function trusting(d: any, pem: string): any {
  const rootca = section(d, 'SecretsConfigDump').dynamic_active_secrets.find((s: any) => s.name === 'ROOTCA');
  rootca.secret.validation_context.trusted_ca.inline_bytes = Buffer.from(pem).toString('base64');
  return d;
}

/** An ECDS section with a WasmPlugin's filter config (`deny` its configuration). */
export function withWasm(d: any, deny: string): any {
  d.configs.push({
    '@type': `${ADMIN}EcdsConfigDump`,
    ecds_filters: [
      {
        version_info: '1',
        ecds_filter: {
          '@type': 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig',
          name: 'shop.waf',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
            config: {
              name: 'shop.waf',
              vm_config: {
                runtime: 'envoy.wasm.runtime.v8',
                code: { local: { filename: '/var/lib/istio/data/abc/module.wasm' } },
              },
              configuration: {
                '@type': 'type.googleapis.com/google.protobuf.StringValue',
                value: JSON.stringify({ deny }),
              },
            },
          },
        },
        last_updated: '2025-01-01T00:00:00Z',
      },
    ],
  });
  return d;
}

/** A directory for dump files, and a writer into it. */
export function dumpDir(prefix: string): { dir: string; write: (name: string, dump: unknown) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write: (name, dump) => {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify(dump, null, 1));
      return file;
    },
  };
}

/** A pod of the fake cluster: its IP, and its controller (`[kind, name]`) if any. */
export interface ClusterPod {
  name: string;
  ip: string;
  owner?: [string, string];
  dump: unknown;
  fault?: Fault;
}

/**
 * `mesh drift` against a fake cluster (API stand-in, port-forwards to an Envoy admin stand-in per pod)
 * in namespace shop, with `objects` (ReplicaSets) beside the pods.
 */
export async function driftInCluster(pods: ClusterPod[], objects: unknown[] = [], args: string[] = []) {
  const closers: Array<{ close(): Promise<void> }> = [];
  try {
    const admins = new Map<string, AdminServer>();
    for (const p of pods) {
      const admin = await startEnvoyAdmin({ dump: p.dump, fault: p.fault });
      closers.push(admin);
      admins.set(p.name, admin);
    }
    const podObjects = pods.map((p) => {
      const o = fakePod(p.name, 'shop');
      if (p.owner) o.metadata.ownerReferences = [{ kind: p.owner[0], name: p.owner[1], controller: true }];
      o.status.podIP = p.ip;
      o.status.podIPs = [{ ip: p.ip }];
      return o;
    });
    const kube = await startFakeKube({
      objects: [...podObjects, ...objects],
      forward: (_ns, pod) => Number(new URL(admins.get(pod)!.url).port),
    });
    closers.push(kube);
    return await runCli(['drift', '--kubeconfig', kube.kubeconfig({ namespace: 'shop' }), ...args]);
  } finally {
    await Promise.all(closers.map((c) => c.close()));
  }
}
