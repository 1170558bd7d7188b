import jsYaml from 'js-yaml';
import type { Resource } from '../../manifests/types.js';
import { defineAnalyzer, K, type AnalysisContext, type Workload, WORKLOAD_INPUTS } from '../types.js';
import { allContainers, INJECTION_LABEL, ISTIO_PROXY, REVISION_LABEL } from '../util/labels.js';
import { isEmptyLabels, labelMap, labelsMatch } from '../../kube/labels.js';
import { injectedProxyImage, injectorConfigMap, injectorConfigMapName, injectorValues } from './injector.js';
import { text } from '../../util/values.js';
import { KUBE_YAML_SCHEMA } from '../../manifests/yaml-schema.js';

/**
 * The proxy image variant (`distroless`, `debug`) in effect for a pod: mesh default, then the root
 * namespace ProxyConfig, the pod's namespace ProxyConfig, a ProxyConfig selecting the pod, and finally the
 * pod's `proxy.istio.io/config` annotation; the later one wins.
 */
function imageVariant(ctx: AnalysisContext, pod: Workload): string {
  const root = text(ctx.meshConfig.rootNamespace || 'istio-system');
  const typeOf = (pc: any) => (typeof pc?.image?.imageType === 'string' ? pc.image.imageType : '');
  let variant = typeOf(ctx.meshConfig.defaultConfig);
  const configs = ctx.each(K.ProxyConfig);
  const layers: Array<(pc: Resource) => boolean> = [
    (pc) => pc.namespace === root,
    (pc) =>
      pc.namespace === pod.namespace &&
      pc.namespace !== root &&
      isEmptyLabels(pc.spec?.selector?.matchLabels),
    (pc) =>
      pc.namespace === pod.namespace &&
      pc.namespace !== root &&
      !isEmptyLabels(pc.spec?.selector?.matchLabels) &&
      labelsMatch(pc.spec.selector.matchLabels, pod.labels),
  ];
  for (const applies of layers)
    for (const pc of configs) if (applies(pc) && typeOf(pc.spec)) variant = typeOf(pc.spec);
  const annotation = pod.annotations['proxy.istio.io/config'];
  if (annotation !== undefined) {
    try {
      const v = typeOf(jsYaml.load(annotation, { schema: KUBE_YAML_SCHEMA }));
      if (v) variant = v;
    } catch {
      // An unparsable annotation is the annotation analyzer's business; the injector ignores it here too.
    }
  }
  return variant === 'default' ? '' : variant;
}

/**
 * Why the sidecar injector ConfigMap `cm` (of any revision) gives no proxy image to compare pods with (its
 * `data.values` missing, or not a JSON object): the pods of its revision are not checked (istioctl takes
 * the image for empty then, and reports IST0158 on every namespace running proxies). Undefined when
 * `cm` is not an injector ConfigMap of `istioNamespace`, or its values are read.
 */
export function unreadableInjectorValues(cm: Resource, istioNamespace: string): string | undefined {
  const base = injectorConfigMapName('');
  if (
    cm.key !== K.ConfigMap ||
    cm.namespace !== istioNamespace ||
    (cm.name !== base && !cm.name.startsWith(`${base}-`)) ||
    injectorValues(cm)
  )
    return undefined;
  const raw: unknown = cm.body.data?.values;
  if (raw === undefined || raw === null) return 'is missing';
  if (typeof raw !== 'string') return 'is not a string';
  try {
    JSON.parse(raw);
  } catch {
    return 'is not JSON';
  }
  return 'is not a JSON object';
}

export default defineAnalyzer({
  name: 'injection.ImageAnalyzer',
  description: 'Compares the proxy image of running pods with the image the injector would use now',
  codes: ['IST0158'],
  inputs: [K.Namespace, K.ConfigMap, K.MeshConfig, K.ProxyConfig, ...WORKLOAD_INPUTS],
  requires: [K.Namespace, K.Pod, K.ConfigMap],
  analyze(ctx) {
    // namespace → injector revision, for namespaces that get sidecars injected
    const revisions = new Map<string, string>();
    for (const ns of ctx.each(K.Namespace)) {
      const labels = labelMap(ns.metadata.labels);
      if (labels[REVISION_LABEL] !== undefined) revisions.set(ns.name, labels[REVISION_LABEL]);
      else if (labels[INJECTION_LABEL] === 'enabled') revisions.set(ns.name, 'default');
    }
    const mismatched = new Map<string, string[]>();
    for (const pod of ctx.workloads()) {
      if (!pod.isPod) continue;
      const revision = revisions.get(pod.namespace);
      // A pod that asks for its own proxy image is meant to differ.
      if (revision === undefined || pod.annotations['sidecar.istio.io/proxyImage']) continue;
      const cm = injectorConfigMap(ctx, revision);
      const values = cm && injectorValues(cm);
      if (!values) continue;
      const expected = injectedProxyImage(values);
      const variant = imageVariant(ctx, pod);
      for (const c of allContainers(pod.podSpec)) {
        if (
          c.name !== ISTIO_PROXY ||
          c.image === expected ||
          (variant && c.image === `${expected}-${variant}`)
        )
          continue;
        mismatched.set(pod.namespace, [...(mismatched.get(pod.namespace) ?? []), pod.name]);
      }
    }
    for (const [ns, pods] of mismatched) {
      const resource = ctx.get(K.Namespace, '', ns);
      if (resource) ctx.report('IST0158', resource, [pods.sort()], { path: 'metadata.name' });
    }
  },
});
