import type { JsonMap } from './values.js';

/**
 * Install profiles as data: each is an IstioOperator `spec` overlaid on `default` (see install.md §1.2 for
 * what istioctl's profiles turn on). Only settings the templates in render.ts read appear here; every
 * one of them is also what the spec schema accepts.
 */

/** The Istio release whose images are installed unless `hub`/`tag` say otherwise. */
export const DEFAULT_HUB = 'docker.io/istio';
export const DEFAULT_TAG = '1.30.0';

export const PROFILE_NAMES = ['default', 'demo', 'minimal', 'remote', 'empty'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

const DEFAULT: JsonMap = {
  hub: DEFAULT_HUB,
  tag: DEFAULT_TAG,
  namespace: 'istio-system',
  components: {
    base: { enabled: true },
    pilot: { enabled: true },
    ingressGateways: [{ name: 'istio-ingressgateway', enabled: true }],
    egressGateways: [{ name: 'istio-egressgateway', enabled: false }],
  },
  meshConfig: {},
  values: {
    defaultRevision: '',
    global: {
      configValidation: true,
      logAsJson: false,
      proxy: {
        image: 'proxyv2',
        autoInject: 'enabled',
        clusterDomain: 'cluster.local',
        logLevel: 'warning',
        holdApplicationUntilProxyStarts: false,
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } },
      },
      proxy_init: { image: 'proxyv2' },
      meshID: '',
      network: '',
      multiCluster: { clusterName: 'Kubernetes' },
    },
    pilot: {
      image: 'pilot',
      autoscaleEnabled: true,
      autoscaleMin: 1,
      autoscaleMax: 5,
      replicaCount: 1,
      cpu: { targetAverageUtilization: 80 },
      traceSampling: 1.0,
      resources: { requests: { cpu: '500m', memory: '2048Mi' } },
      env: {},
      configMap: true,
    },
    gateways: {
      'istio-ingressgateway': {
        autoscaleEnabled: true,
        autoscaleMin: 1,
        autoscaleMax: 5,
        type: 'LoadBalancer',
        ports: [
          { name: 'status-port', port: 15021, targetPort: 15021 },
          { name: 'http2', port: 80, targetPort: 8080 },
          { name: 'https', port: 443, targetPort: 8443 },
        ],
      },
      'istio-egressgateway': {
        autoscaleEnabled: true,
        autoscaleMin: 1,
        autoscaleMax: 5,
        type: 'ClusterIP',
        ports: [
          { name: 'http2', port: 80, targetPort: 8080 },
          { name: 'https', port: 443, targetPort: 8443 },
        ],
      },
    },
    sidecarInjectorWebhook: { enableNamespacesByDefault: false, injectedAnnotations: {} },
    telemetry: { enabled: true },
    istiodRemote: { enabled: false, injectionURL: '' },
  },
};

const SMALL = { requests: { cpu: '10m', memory: '40Mi' } };

/** Each profile's overlay on `default`. */
const OVERLAYS: Record<ProfileName, JsonMap> = {
  default: {},
  demo: {
    components: {
      egressGateways: [{ name: 'istio-egressgateway', enabled: true }],
    },
    meshConfig: { accessLogFile: '/dev/stdout' },
    values: {
      global: { proxy: { resources: SMALL } },
      pilot: {
        autoscaleEnabled: false,
        traceSampling: 100,
        resources: { requests: { cpu: '10m', memory: '100Mi' } },
      },
      gateways: {
        'istio-ingressgateway': { autoscaleEnabled: false },
        'istio-egressgateway': { autoscaleEnabled: false },
      },
    },
  },
  minimal: {
    components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }] },
  },
  remote: {
    components: { ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }] },
    values: { istiodRemote: { enabled: true }, pilot: { configMap: false }, telemetry: { enabled: false } },
  },
  empty: {
    components: {
      base: { enabled: false },
      pilot: { enabled: false },
      ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }],
    },
  },
};

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

export function defaultProfile(): JsonMap {
  return structuredClone(DEFAULT);
}

export function profileOverlay(name: ProfileName): JsonMap {
  return structuredClone(OVERLAYS[name]);
}
