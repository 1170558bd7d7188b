// Real xDS clients for the e2e suite: each is a child process running @grpc/grpc-js-xds (see
// xds-proxy.mjs) bootstrapped against istiod like an Istio proxyless gRPC workload, with a CSDS port.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Clients } from './kube.js';

export interface XdsProxy {
  /** `<pod>.<namespace>`, the proxy id istiod reports. */
  id: string;
  /** Where its CSDS (grpc-js admin services) answers, plaintext. */
  csds: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface XdsProxyOptions {
  pod: string;
  namespace: string;
  /** istiod's plaintext gRPC address (host:port). */
  istiod: string;
  /** The xds:/// target the workload dials, e.g. xds:///catalog.shop.svc.cluster.local:8080. */
  target: string;
  /** Where to write the bootstrap file. */
  dir: string;
  clusterId?: string;
  istioVersion?: string;
  /** More node metadata. */
  metadata?: Record<string, unknown>;
}

export async function startXdsProxy(o: XdsProxyOptions): Promise<XdsProxy> {
  const id = `${o.pod}.${o.namespace}`;
  const bootstrap = join(o.dir, `bootstrap-${id}.json`);
  writeFileSync(
    bootstrap,
    JSON.stringify({
      xds_servers: [
        { server_uri: o.istiod, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
      ],
      node: {
        id: `sidecar~127.0.0.1~${id}~${o.namespace}.svc.cluster.local`,
        // grpc-js-xds refuses a node without one
        locality: {},
        metadata: {
          GENERATOR: 'grpc',
          NAMESPACE: o.namespace,
          CLUSTER_ID: o.clusterId ?? 'Kubernetes',
          ISTIO_VERSION: o.istioVersion ?? '1.31.0',
          // istiod lists a connection in syncz only when it carries a ProxyConfig
          PROXY_CONFIG: {},
          ...o.metadata,
        },
      },
    }),
  );
  const child = spawn(process.execPath, [join(import.meta.dirname, 'xds-proxy.mjs'), o.target], {
    env: { ...process.env, GRPC_XDS_BOOTSTRAP: bootstrap },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const csds = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { csds: string }).csds));
    child.once('exit', (code) => reject(new Error(`xDS proxy ${id} exited (${code}): ${stderr}`)));
  });
  return {
    id,
    csds,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Service `catalog` in namespace `shop` (gRPC on 8080): what the clients ask for. A new one gets a new cluster IP. */
export async function createCatalogService(c: Clients, clusterIP?: string): Promise<void> {
  await c.core.createNamespacedService({
    namespace: 'shop',
    body: {
      metadata: { name: 'catalog' },
      spec: {
        selector: { app: 'catalog' },
        ports: [{ name: 'grpc', port: 8080, targetPort: 8080 }],
        ...(clusterIP ? { clusterIP } : {}),
      },
    },
  });
}
