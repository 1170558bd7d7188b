/**
 * JSON Schema of the IstioOperator document mesh accepts (install.istio.io/v1alpha1). Strict: every map
 * lists its fields, so an unknown field is an error naming its path. Free-form parts are only those that
 * are free-form in Istio too (meshConfig, pilot env, labels, annotations, and Kubernetes objects such as
 * affinity or resources, which the API server validates when the objects are applied).
 */

import type { PathStep } from './values.js';
import { DNS_LABEL } from '../util/names.js';

const str = { type: 'string' };
/** A Kubernetes namespace name (DNS-1123 label): anything else renders objects the API server rejects. */
const namespace = { type: 'string', maxLength: 63, pattern: DNS_LABEL.source };
const bool = { type: 'boolean' };
const int = { type: 'integer', minimum: 0 };
const freeMap = { type: 'object' };
const strMap = { type: 'object', additionalProperties: { type: 'string' } };
const quantity = { anyOf: [{ type: 'string' }, { type: 'number' }] };
const resources = {
  type: 'object',
  additionalProperties: false,
  properties: {
    requests: { type: 'object', additionalProperties: quantity },
    limits: { type: 'object', additionalProperties: quantity },
  },
};
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  ...(required.length > 0 ? { required } : {}),
});

const k8s = obj({
  affinity: freeMap,
  env: { type: 'array', items: freeMap },
  hpaSpec: obj({ minReplicas: int, maxReplicas: int }),
  imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
  nodeSelector: strMap,
  podAnnotations: strMap,
  priorityClassName: str,
  replicaCount: int,
  resources,
  serviceAnnotations: strMap,
  tolerations: { type: 'array', items: freeMap },
});

const component = obj({ enabled: bool, namespace, hub: str, tag: { type: ['string', 'number'] }, k8s });
const gateway = obj(
  {
    name: { type: 'string', pattern: DNS_LABEL.source },
    enabled: bool,
    namespace,
    hub: str,
    tag: { type: ['string', 'number'] },
    label: strMap,
    k8s,
  },
  ['name'],
);

const port = obj({ name: str, port: int, targetPort: int, protocol: str, nodePort: int }, ['port']);
const gatewayValues = obj({
  autoscaleEnabled: bool,
  autoscaleMin: int,
  autoscaleMax: int,
  type: { enum: ['ClusterIP', 'NodePort', 'LoadBalancer'] },
  ports: { type: 'array', items: port },
  labels: strMap,
  serviceAnnotations: strMap,
  resources,
  enabled: bool,
});

/** `spec.values`: also what the injector ConfigMap's `values` key holds (kube-inject --valuesFile). */
export const VALUES_SCHEMA = obj({
  defaultRevision: str,
  revision: str,
  profile: str,
  global: obj({
    hub: str,
    tag: { type: ['string', 'number'] },
    istioNamespace: namespace,
    configValidation: bool,
    logAsJson: bool,
    imagePullPolicy: { enum: ['', 'Always', 'IfNotPresent', 'Never'] },
    meshID: str,
    network: str,
    multiCluster: obj({ clusterName: str, enabled: bool }),
    proxy: obj({
      image: str,
      autoInject: { enum: ['enabled', 'disabled'] },
      clusterDomain: str,
      logLevel: { enum: ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] },
      holdApplicationUntilProxyStarts: bool,
      resources,
    }),
    proxy_init: obj({ image: str }),
  }),
  pilot: obj({
    enabled: bool,
    image: str,
    autoscaleEnabled: bool,
    autoscaleMin: int,
    autoscaleMax: int,
    replicaCount: int,
    cpu: obj({ targetAverageUtilization: { type: 'integer', minimum: 1, maximum: 100 } }),
    traceSampling: { type: 'number', minimum: 0, maximum: 100 },
    resources,
    env: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    configMap: bool,
    nodeSelector: strMap,
    podAnnotations: strMap,
  }),
  gateways: { type: 'object', additionalProperties: gatewayValues },
  sidecarInjectorWebhook: obj({
    enableNamespacesByDefault: bool,
    injectedAnnotations: strMap,
    // mesh's template never rewrites probes (the injector ConfigMap's values say so): only false is honest.
    rewriteAppHTTPProbe: { enum: [false] },
  }),
  telemetry: obj({ enabled: bool }),
  istiodRemote: obj({ enabled: bool, injectionURL: str }),
  meshConfig: freeMap,
  base: obj({ enableIstioConfigCRDs: bool }),
});

export const ISTIO_OPERATOR_SCHEMA = obj(
  {
    apiVersion: { const: 'install.istio.io/v1alpha1' },
    kind: { const: 'IstioOperator' },
    metadata: obj({ name: str, namespace, labels: strMap, annotations: strMap }),
    spec: obj({
      profile: str,
      hub: str,
      tag: { type: ['string', 'number'] },
      namespace,
      revision: str,
      compatibilityVersion: str,
      meshConfig: freeMap,
      components: obj({
        base: component,
        pilot: component,
        ingressGateways: { type: 'array', items: gateway },
        egressGateways: { type: 'array', items: gateway },
      }),
      values: VALUES_SCHEMA,
    }),
  },
  ['apiVersion', 'kind'],
);

/**
 * True when the schema takes only a string at `steps` under `spec` (a label, an annotation, a hub, a
 * name): there a `--set` value such as `true` or `1` stays a string instead of failing validation. Paths
 * the schema does not know, free-form parts (meshConfig) and mixed types are typed by trial as before.
 */
export function takesOnlyString(steps: readonly PathStep[]): boolean {
  let node: any = (ISTIO_OPERATOR_SCHEMA.properties as any).spec;
  for (const step of steps) {
    if (node === undefined) return false;
    if (step.kind === 'key')
      node = Object.hasOwn(node.properties ?? {}, step.key)
        ? node.properties[step.key]
        : typeof node.additionalProperties === 'object'
          ? node.additionalProperties
          : undefined;
    else node = node.items;
  }
  return node?.type === 'string';
}
