/**
 * Reaching the control plane as istioctl does: `--xds-address` directly, or every Running istiod pod
 * (`app=istiod`, plus `istio.io/rev` for a revision) through a port-forward to its xDS port; TLS with a
 * Kubernetes TokenRequest token (audience `istio-ca`) unless `--plaintext` or `--cert-dir`.
 */
import { MeshError, usageError } from '../util/errors.js';
import type { KubeApi } from '../kube/api.js';
import { KubeRest } from '../kube/rest.js';
import { lazyKubeApi } from '../kube/lazy-api.js';
import { readCertDir, type XdsSecurity, type XdsTarget } from './client.js';
import { checkIstioNamespace, checkLabelSelector, checkRevision } from './flag-checks.js';

export interface ControlPlaneOptions {
  xdsAddress?: string;
  plaintext: boolean;
  certDir?: string;
  insecure: boolean;
  authority?: string;
  istioNamespace: string;
  revision?: string;
  xdsPort: number;
  xdsLabel: string;
  timeoutMs: number;
  kubeconfig?: string;
  context?: string;
}

export interface ControlPlane {
  targets: XdsTarget[];
  close(): Promise<void>;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/;

/**
 * `host:port` for `flag`, the port in 1..65535: anything else is a usage error naming the flag, rather
 * than a name resolution error or a socket's RangeError once mesh connects.
 */
export function checkHostPort(flag: string, value: string, example: string): void {
  const port = Number(HOST_PORT.exec(value)?.[2] ?? Number.NaN);
  if (port >= 1 && port <= 65535) return;
  const why = Number.isNaN(port) ? '' : `: port ${port} is not in 1..65535`;
  throw usageError(`invalid ${flag} "${value}"${why}`, `use host:port, e.g. ${example}`);
}

export function validateControlPlaneOptions(o: ControlPlaneOptions): void {
  checkIstioNamespace(o.istioNamespace);
  if (o.revision !== undefined) checkRevision(o.revision);
  checkLabelSelector(o.xdsLabel);
  if (o.xdsAddress !== undefined) checkHostPort('--xds-address', o.xdsAddress, 'istiod.istio-system:15012');
  if (o.plaintext && o.certDir !== undefined)
    throw usageError('--plaintext and --cert-dir cannot be used together');
  if (!Number.isInteger(o.xdsPort) || o.xdsPort < 1 || o.xdsPort > 65535)
    throw usageError(`port number ${o.xdsPort} must be in the range 1..65535`);
}

/**
 * A token for service account `default` in the istio namespace, audience `istio-ca`, one hour, from the
 * API server's TokenRequest API (what istiod accepts as a caller's identity). Never printed.
 */
export async function requestIstioToken(kube: KubeApi, namespace: string): Promise<string> {
  const res = await new KubeRest(kube.kube, kube.timeoutMs).request(
    'POST',
    `/api/v1/namespaces/${namespace}/serviceaccounts/default/token`,
    {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { audiences: ['istio-ca'], expirationSeconds: 3600 },
    },
  );
  const answer = res.body as { status?: { token?: unknown }; message?: unknown };
  const token = answer?.status?.token;
  if ((res.status === 201 || res.status === 200) && typeof token === 'string' && token !== '') return token;
  const message = typeof answer?.message === 'string' ? answer.message : `HTTP ${res.status}`;
  throw new MeshError(
    `cannot get a token for service account ${namespace}/default (audience istio-ca): ${message}`,
    { hint: 'mesh needs create on serviceaccounts/token there, or use --cert-dir / --plaintext' },
  );
}

async function security(
  o: ControlPlaneOptions,
  authority: string | undefined,
  api: () => Promise<KubeApi>,
): Promise<XdsSecurity> {
  if (o.plaintext) return { mode: 'plaintext' };
  if (o.certDir !== undefined)
    return { mode: 'tls', insecure: o.insecure, authority, ...readCertDir(o.certDir) };
  // istioctl's default: TLS without verifying istiod's certificate, identity by token
  return {
    mode: 'tls',
    insecure: true,
    authority,
    token: await requestIstioToken(await api(), o.istioNamespace),
  };
}

export async function openControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  validateControlPlaneOptions(o);
  const api = lazyKubeApi(o, o.timeoutMs);
  const authority =
    o.authority ??
    (o.revision && o.revision !== 'default'
      ? `istiod-${o.revision}.${o.istioNamespace}.svc`
      : `istiod.${o.istioNamespace}.svc`);
  if (o.xdsAddress !== undefined) {
    const sec = await security(o, authority, api);
    return { targets: [{ address: o.xdsAddress, name: o.xdsAddress, security: sec }], close: async () => {} };
  }
  const kube = await api();
  const selector =
    o.revision && o.revision !== 'default'
      ? [o.xdsLabel, `istio.io/rev=${o.revision}`].filter((s) => s.trim() !== '').join(',')
      : o.xdsLabel;
  const { isRunning, listPods } = await import('../kube/pods.js');
  const pods = (await listPods(kube, o.istioNamespace, selector))
    .filter(isRunning)
    .sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  if (pods.length === 0) throw new MeshError(`no running Istio pods in "${o.istioNamespace}"`);
  const sec = await security(o, authority, api);
  const { startPortForward } = await import('../kube/port-forward.js');
  const forwards = await Promise.all(
    pods.map((p) =>
      startPortForward({ api: kube, namespace: o.istioNamespace, pod: p.metadata.name, port: o.xdsPort }),
    ),
  );
  const portHint = `nothing answers on port ${o.xdsPort} of the istiod pod: --xds-port must be the port istiod serves xDS on (15012, TLS; 15010, plaintext, with --plaintext)`;
  return {
    targets: pods.map((p, i) => {
      const forward = forwards[i]!;
      return {
        address: `127.0.0.1:${forward.localPort}`,
        name: String(p.metadata.name),
        security: sec,
        forwardFailure: () =>
          forward.lastError === undefined
            ? undefined
            : { message: forward.lastError, ...(forward.lastErrorFromPod ? { hint: portHint } : {}) },
      };
    }),
    close: async () => {
      await Promise.all(forwards.map((f) => f.close()));
    },
  };
}
