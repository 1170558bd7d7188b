import { stringifyForKube } from './kube-yaml.js';
import type { InstallSpec } from './spec.js';
import { WAIT_FOR_PROXY } from './mesh-config.js';
type Obj = Record<string, unknown>;

/**
 * mesh's own sidecar injection template and the injector settings. The template is rendered at install
 * time into plain YAML with no Go-template actions left: everything install-specific (images, istiod
 * address, proxy settings) is filled in here, and what differs per pod comes from the downward API and
 * `$(VAR)` expansion at run time. So istiod's injector (which renders `templates.sidecar` as a Go
 * template) and `mesh kube-inject` apply exactly the same patch.
 */

export interface SidecarSettings {
  proxyImage: string;
  /** `istio-init`'s image: `values.global.proxy_init.image` (not the proxy's), as istiod renders it. */
  initImage: string;
  discoveryAddress: string;
  caAddress: string;
  clusterDomain: string;
  clusterId: string;
  meshId: string;
  logLevel: string;
  holdApplication: boolean;
  resources: Obj;
  revision: string;
  imagePullPolicy?: string;
  /** `values.global.logAsJson`: istio-init and the proxy agent log JSON (`--log_as_json`). */
  logAsJson?: boolean;
  /** `values.global.network`: the network the proxies say they are on (ISTIO_META_NETWORK). */
  network?: string;
}

export function sidecarSettings(s: InstallSpec, istiodService: string): SidecarSettings {
  const values = s.spec.values as any;
  const g = values.global;
  const address = `${istiodService}.${s.namespace}.svc:15012`;
  return {
    proxyImage: imageRef(s.hub, g.proxy.image, s.tag),
    initImage: imageRef(s.hub, g.proxy_init?.image || 'proxyv2', s.tag),
    discoveryAddress: address,
    caAddress: address,
    clusterDomain: g.proxy.clusterDomain,
    clusterId: g.multiCluster.clusterName,
    meshId: g.meshID || 'cluster.local',
    logLevel: g.proxy.logLevel,
    holdApplication: g.proxy.holdApplicationUntilProxyStarts,
    resources: g.proxy.resources,
    revision: s.revision || 'default',
    ...(g.imagePullPolicy ? { imagePullPolicy: g.imagePullPolicy } : {}),
    ...(g.network ? { network: g.network } : {}),
    ...(g.logAsJson === true ? { logAsJson: true } : {}),
  };
}

/**
 * An image reference as Istio's charts and injector make one from a values image (`global.proxy.image`,
 * `global.proxy_init.image`, `pilot.image`; istioctl manifest generate and kube-inject are the oracle):
 * `<hub>/<image>:<tag>`, or the image as it is when it names its own repository (has a `/`).
 */
export function imageRef(hub: string, image: string, tag: string): string {
  return image.includes('/') ? image : `${hub}/${image}:${tag}`;
}

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** The pod fragment the injector merges into a pod: init container, proxy container, volumes. */
export function sidecarPatch(c: SidecarSettings): {
  initContainers: Obj[];
  containers: Obj[];
  volumes: Obj[];
} {
  const pull = c.imagePullPolicy ? { imagePullPolicy: c.imagePullPolicy } : {};
  const init: Obj = {
    name: 'istio-init',
    image: c.initImage,
    ...pull,
    args: [
      'istio-iptables',
      '-p',
      '15001',
      '-z',
      '15006',
      '-u',
      '1337',
      '-m',
      'REDIRECT',
      '-i',
      '*',
      '-x',
      '',
      '-b',
      '*',
      '-d',
      '15090,15021,15020',
      '--log_output_level=default:info',
      // as istiod's injector renders it with global.logAsJson (istioctl carries it into its values)
      ...(c.logAsJson ? ['--log_as_json'] : []),
    ],
    resources: { requests: { cpu: '10m', memory: '40Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    },
  };
  const proxy: Obj = {
    name: 'istio-proxy',
    image: c.proxyImage,
    ...pull,
    args: [
      'proxy',
      'sidecar',
      '--domain',
      `$(POD_NAMESPACE).svc.${c.clusterDomain}`,
      `--proxyLogLevel=${c.logLevel}`,
      '--proxyComponentLogLevel=misc:error',
      '--log_output_level=default:info',
      ...(c.logAsJson ? ['--log_as_json'] : []),
    ],
    env: [
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      { name: 'CA_ADDR', value: c.caAddress },
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      fieldEnv('INSTANCE_IP', 'status.podIP'),
      fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      fieldEnv('HOST_IP', 'status.hostIP'),
      { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'PROXY_CONFIG', value: JSON.stringify({ discoveryAddress: c.discoveryAddress }) },
      { name: 'ISTIO_META_CLUSTER_ID', value: c.clusterId },
      { name: 'ISTIO_META_MESH_ID', value: c.meshId },
      ...(c.network ? [{ name: 'ISTIO_META_NETWORK', value: c.network }] : []),
      { name: 'TRUST_DOMAIN', value: 'cluster.local' },
      { name: 'ISTIO_META_POD_PORTS', value: '[]' },
    ],
    ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
    readinessProbe: {
      httpGet: { path: '/healthz/ready', port: 15021 },
      initialDelaySeconds: 0,
      periodSeconds: 15,
      timeoutSeconds: 3,
      failureThreshold: 4,
    },
    startupProbe: {
      httpGet: { path: '/healthz/ready', port: 15021 },
      initialDelaySeconds: 0,
      periodSeconds: 1,
      timeoutSeconds: 3,
      failureThreshold: 600,
    },
    resources: c.resources,
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: true,
      runAsUser: 1337,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
      { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
      { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
      { name: 'istio-data', mountPath: '/var/lib/istio/data' },
      { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
      { name: 'istio-podinfo', mountPath: '/etc/istio/pod' },
    ],
  };
  if (c.holdApplication) proxy.lifecycle = WAIT_FOR_PROXY;
  const volumes: Obj[] = [
    { name: 'workload-socket', emptyDir: {} },
    { name: 'credential-socket', emptyDir: {} },
    { name: 'workload-certs', emptyDir: {} },
    { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
    { name: 'istio-data', emptyDir: {} },
    {
      name: 'istio-podinfo',
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
        ],
      },
    },
    {
      name: 'istio-token',
      projected: {
        sources: [
          { serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } },
        ],
      },
    },
    { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
  ];
  return { initContainers: [init], containers: [proxy], volumes };
}

/** The `config` key of the injector ConfigMap (what istiod's injector reads). */
export function injectorConfig(c: SidecarSettings, autoInject: string, injectedAnnotations: Obj): string {
  const template = stringifyForKube({ spec: sidecarPatch(c) }, { lineWidth: 0 });
  return stringifyForKube(
    {
      policy: autoInject,
      alwaysInjectSelector: [],
      neverInjectSelector: [],
      injectedAnnotations,
      defaultTemplates: ['sidecar'],
      templates: { sidecar: template },
    },
    { lineWidth: 0 },
  );
}
